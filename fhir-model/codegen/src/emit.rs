//! Writing Rust source for the model.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::{pascal, snake, Field, FieldTy, Kind, TypeDef, PRIMITIVES};
use crate::valuesets::{static_name, Expansion};

/// Rust value type for a FHIR primitive.
pub fn prim_rust(fhir: &str) -> &'static str {
    match fhir {
        "boolean" => "bool",
        // positiveInt and unsignedInt too: a negative value still reads, and validation says where.
        "integer" | "positiveInt" | "unsignedInt" => "i32",
        "decimal" => "crate::Decimal",
        "date" => "crate::Date",
        "dateTime" => "crate::DateTime",
        "instant" => "crate::Instant",
        "time" => "crate::Time",
        _ => "String",
    }
}

/// `Fmt` variant for a FHIR primitive.
fn fmt_variant(fhir: &str) -> String {
    format!("Fmt::{}", pascal(fhir))
}

fn max_lit(f: &Field) -> String {
    match f.max {
        Some(m) => m.to_string(),
        None => "u32::MAX".to_string(),
    }
}

fn field_type(f: &Field) -> String {
    let inner = match &f.ty {
        FieldTy::Plain { .. } => "String".to_string(),
        FieldTy::Prim { fhir } => format!("Primitive<{}>", prim_rust(fhir)),
        FieldTy::Complex { name } if f.boxed => format!("Box<{name}>"),
        FieldTy::Complex { name } => name.clone(),
        FieldTy::Resource => "Resource".to_string(),
        FieldTy::Choice { enum_name, .. } => return format!("Option<{enum_name}>"),
    };
    if f.repeats() {
        format!("Vec<{inner}>")
    } else {
        format!("Option<{inner}>")
    }
}

fn binding_expr(f: &Field, vs: &BTreeMap<String, Expansion>) -> String {
    match &f.required_binding {
        Some(url) if vs.contains_key(url) => format!("Some(&vs::{})", static_name(url)),
        _ => "None".to_string(),
    }
}

fn is_coded(f: &Field) -> bool {
    matches!(&f.ty, FieldTy::Complex { name } if name == "Coding" || name == "CodeableConcept")
}

/// Emits one struct with its JSON and validation impls.
#[allow(clippy::too_many_lines)]
pub fn emit_struct(out: &mut String, d: &TypeDef, vs: &BTreeMap<String, Expansion>) {
    let _ = writeln!(out, "/// {}", if d.doc.is_empty() { d.path.as_str() } else { d.doc.as_str() });
    let _ = writeln!(out, "///");
    let _ = writeln!(out, "/// FHIR `{}`.", d.path);
    let _ = writeln!(out, "#[derive(Debug, Clone, Default, PartialEq)]");
    let _ = writeln!(out, "pub struct {} {{", d.name);
    for f in &d.fields {
        let _ = writeln!(
            out,
            "    /// {} (`{}`, {}..{})",
            if f.doc.is_empty() { "-" } else { f.doc.as_str() },
            f.json,
            f.min,
            f.max.map_or("*".to_string(), |m| m.to_string())
        );
        let _ = writeln!(out, "    pub {}: {},", f.rust, field_type(f));
    }
    let _ = writeln!(out, "    /// Elements not defined by FHIR R4, kept when read in lenient mode.");
    let _ = writeln!(out, "    pub unknown: Unknown,");
    let _ = writeln!(out, "}}\n");

    // Reading.
    let _ = writeln!(out, "impl FhirObject for {} {{", d.name);
    let _ = writeln!(out, "    const NAME: &'static str = \"{}\";", d.path);
    let _ = writeln!(out, "    const RESOURCE: bool = {};", d.kind == Kind::Resource);
    let _ = writeln!(
        out,
        "    fn read_field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, st: &j::ReadState) -> Result<bool, A::Error> {{"
    );
    // Arms grouped by key length: a short match per length instead of one long chain of
    // string comparisons (reading speed).
    let mut arms: Vec<(String, String)> = Vec::new();
    for f in &d.fields {
        let (j, r) = (&f.json, &f.rust);
        match &f.ty {
            FieldTy::Plain { .. } => {
                arms.push((j.clone(), format!("j::de_plain(map, &mut self.{r})?")));
            }
            FieldTy::Prim { .. } if f.repeats() => {
                arms.push((j.clone(), format!("j::de_prims(map, st, &mut self.{r})?")));
                arms.push((format!("_{j}"), format!("j::de_prims_ext(map, st, &mut self.{r})?")));
            }
            FieldTy::Prim { .. } => {
                arms.push((j.clone(), format!("j::de_prim(map, st, &mut self.{r})?")));
                arms.push((format!("_{j}"), format!("j::de_prim_ext(map, st, &mut self.{r})?")));
            }
            FieldTy::Complex { .. } | FieldTy::Resource if f.repeats() => {
                arms.push((j.clone(), format!("j::de_vec(map, st, &mut self.{r})?")));
            }
            FieldTy::Complex { .. } | FieldTy::Resource => {
                arms.push((j.clone(), format!("j::de_opt(map, st, &mut self.{r})?")));
            }
            FieldTy::Choice { enum_name, types } => {
                for t in types {
                    let key = format!("{j}{}", pascal(t));
                    let v = pascal(t);
                    if PRIMITIVES.contains(&t.as_str()) {
                        let get = format!("|e| if let {enum_name}::{v}(p) = e {{ Some(p) }} else {{ None }}");
                        arms.push((
                            key.clone(),
                            format!("j::de_choice_prim(map, st, &mut self.{r}, {enum_name}::{v}, {get})?"),
                        ));
                        arms.push((
                            format!("_{key}"),
                            format!("j::de_choice_prim_ext(map, st, &mut self.{r}, {enum_name}::{v}, {get})?"),
                        ));
                    } else {
                        arms.push((key.clone(), format!("j::de_choice(map, st, &mut self.{r}, {enum_name}::{v})?")));
                    }
                }
            }
        }
    }
    let mut by_len: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    for (k, code) in arms {
        by_len.entry(k.len()).or_default().push((k, code));
    }
    let _ = writeln!(out, "        match key.len() {{");
    for (len, group) in &by_len {
        let _ = writeln!(out, "            {len} => match key {{");
        for (k, code) in group {
            let _ = writeln!(out, "                \"{k}\" => {code},");
        }
        let _ = writeln!(out, "                _ => return Ok(false),");
        let _ = writeln!(out, "            }},");
    }
    let _ = writeln!(out, "            _ => return Ok(false),");
    let _ = writeln!(out, "        }}");
    let _ = writeln!(out, "        Ok(true)");
    let _ = writeln!(out, "    }}");
    let _ = writeln!(out, "    fn unknown_mut(&mut self) -> &mut Unknown {{ &mut self.unknown }}");
    let _ = writeln!(out, "}}\n");
    let _ = writeln!(out, "j::impl_deserialize!({});\n", d.name);

    // Writing.
    let _ = writeln!(out, "impl Serialize for {} {{", d.name);
    let _ = writeln!(out, "    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {{");
    let _ = writeln!(out, "        let mut m = s.serialize_map(None)?;");
    if d.kind == Kind::Resource {
        let _ = writeln!(out, "        m.serialize_entry(\"resourceType\", \"{}\")?;", d.name);
    }
    for f in &d.fields {
        let (j, r) = (&f.json, &f.rust);
        match &f.ty {
            FieldTy::Plain { .. } => {
                let _ = writeln!(out, "        j::ser_plain(&mut m, \"{j}\", &self.{r})?;");
            }
            FieldTy::Prim { .. } if f.repeats() => {
                let _ = writeln!(out, "        j::ser_prims(&mut m, \"{j}\", \"_{j}\", &self.{r})?;");
            }
            FieldTy::Prim { .. } => {
                let _ = writeln!(out, "        j::ser_prim(&mut m, \"{j}\", \"_{j}\", &self.{r})?;");
            }
            FieldTy::Complex { .. } | FieldTy::Resource if f.repeats() => {
                let _ = writeln!(out, "        j::ser_vec(&mut m, \"{j}\", &self.{r})?;");
            }
            FieldTy::Complex { .. } | FieldTy::Resource => {
                let _ = writeln!(out, "        j::ser_opt(&mut m, \"{j}\", &self.{r})?;");
            }
            FieldTy::Choice { .. } => {
                let _ = writeln!(out, "        if let Some(v) = &self.{r} {{ v.write_entries(&mut m)?; }}");
            }
        }
    }
    let _ = writeln!(out, "        j::ser_unknown(&mut m, &self.unknown)?;");
    let _ = writeln!(out, "        m.end()");
    let _ = writeln!(out, "    }}");
    let _ = writeln!(out, "}}\n");

    // Emptiness.
    let _ = writeln!(out, "impl Empty for {} {{", d.name);
    let _ = writeln!(out, "    #[inline]\n    fn is_empty(&self) -> bool {{");
    if d.kind == Kind::Resource {
        let _ = writeln!(out, "        false");
    } else {
        // Rarely present elements last, so the usual non-empty case stops early. Called as
        // `Empty::is_empty` so that a `Vec` counts as empty when all its items are (the inherent
        // `Vec::is_empty` would win otherwise, and a list of empty items would make the writer
        // emit `{}`).
        let rare = |f: &&Field| matches!(f.json.as_str(), "id" | "extension" | "modifierExtension");
        let mut parts: Vec<String> =
            d.fields.iter().filter(|f| !rare(f)).map(|f| format!("Empty::is_empty(&self.{})", f.rust)).collect();
        parts.extend(d.fields.iter().filter(rare).map(|f| format!("Empty::is_empty(&self.{})", f.rust)));
        parts.push("self.unknown.is_empty()".to_string());
        let _ = writeln!(out, "        {}", parts.join("\n            && "));
    }
    let _ = writeln!(out, "    }}");
    let _ = writeln!(out, "}}\n");

    // Validation.
    let _ = writeln!(out, "impl Validate for {} {{", d.name);
    let _ = writeln!(out, "    fn validate_into(&self, cx: &mut Ctx) {{");
    for f in &d.fields {
        let (j, r, min, max) = (&f.json, &f.rust, f.min, max_lit(f));
        let b = binding_expr(f, vs);
        match &f.ty {
            FieldTy::Plain { fhir } => {
                let _ = writeln!(out, "        cx.plain(\"{j}\", self.{r}.as_deref(), {min}, {});", fmt_variant(fhir));
            }
            FieldTy::Prim { fhir } if f.repeats() => {
                let _ =
                    writeln!(out, "        cx.prims(\"{j}\", &self.{r}, {min}, {max}, {}, {b});", fmt_variant(fhir));
            }
            FieldTy::Prim { fhir } => {
                let _ =
                    writeln!(out, "        cx.prim(\"{j}\", self.{r}.as_ref(), {min}, {}, {b});", fmt_variant(fhir));
            }
            FieldTy::Complex { .. } | FieldTy::Resource if f.repeats() => {
                if is_coded(f) && b != "None" {
                    let _ = writeln!(out, "        cx.many_bound(\"{j}\", &self.{r}, {min}, {max}, {b});");
                } else {
                    let _ = writeln!(out, "        cx.many(\"{j}\", &self.{r}, {min}, {max});");
                }
            }
            FieldTy::Complex { .. } | FieldTy::Resource => {
                let get = if f.boxed { "as_deref" } else { "as_ref" };
                if is_coded(f) && b != "None" {
                    let _ = writeln!(out, "        cx.one_bound(\"{j}\", self.{r}.{get}(), {min}, {b});");
                } else {
                    let _ = writeln!(out, "        cx.one(\"{j}\", self.{r}.{get}(), {min});");
                }
            }
            FieldTy::Choice { .. } => {
                let _ = writeln!(out, "        cx.choice(\"{j}\", self.{r}.as_ref(), {min});");
            }
        }
    }
    if d.name == "Reference" {
        let _ = writeln!(out, "        cx.reference(self);");
    }
    let _ = writeln!(out, "    }}");
    let _ = writeln!(out, "}}\n");

    for f in &d.fields {
        if let FieldTy::Choice { enum_name, types } = &f.ty {
            emit_choice(out, d, f, enum_name, types);
        }
    }
}

fn emit_choice(out: &mut String, d: &TypeDef, f: &Field, enum_name: &str, types: &[String]) {
    let _ = writeln!(out, "/// Choice of types for `{}.{}[x]`.", d.path, f.json);
    let _ = writeln!(out, "#[derive(Debug, Clone, PartialEq)]");
    let _ = writeln!(out, "pub enum {enum_name} {{");
    for t in types {
        let _ = writeln!(out, "    /// `{}{}`", f.json, pascal(t));
        if PRIMITIVES.contains(&t.as_str()) {
            let _ = writeln!(out, "    {}(Primitive<{}>),", pascal(t), prim_rust(t));
        } else if t == "Resource" {
            let _ = writeln!(out, "    {}(Resource),", pascal(t));
        } else {
            let _ = writeln!(out, "    {}(Box<{t}>),", pascal(t));
        }
    }
    let _ = writeln!(out, "}}\n");
    let _ = writeln!(out, "impl {enum_name} {{");
    let _ = writeln!(out, "    fn write_entries<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {{");
    let _ = writeln!(out, "        match self {{");
    for t in types {
        let key = format!("{}{}", f.json, pascal(t));
        if PRIMITIVES.contains(&t.as_str()) {
            let _ =
                writeln!(out, "            Self::{}(v) => j::ser_prim_one(m, \"{key}\", \"_{key}\", v),", pascal(t));
        } else {
            let _ = writeln!(out, "            Self::{}(v) => j::ser_one(m, \"{key}\", v),", pascal(t));
        }
    }
    let _ = writeln!(out, "        }}");
    let _ = writeln!(out, "    }}");
    let _ = writeln!(out, "}}\n");
    let _ = writeln!(out, "impl Empty for {enum_name} {{");
    let _ = writeln!(out, "    #[inline]\n    fn is_empty(&self) -> bool {{");
    let _ = writeln!(out, "        match self {{");
    for t in types {
        let _ = writeln!(out, "            Self::{}(v) => Empty::is_empty(v),", pascal(t));
    }
    let _ = writeln!(out, "        }}");
    let _ = writeln!(out, "    }}");
    let _ = writeln!(out, "}}\n");
    let _ = writeln!(out, "impl Validate for {enum_name} {{");
    let _ = writeln!(out, "    fn validate_into(&self, cx: &mut Ctx) {{");
    let _ = writeln!(out, "        match self {{");
    for t in types {
        if PRIMITIVES.contains(&t.as_str()) {
            let _ =
                writeln!(out, "            Self::{}(v) => cx.variant_prim(\"{t}\", v, {}),", pascal(t), fmt_variant(t));
        } else {
            let _ = writeln!(out, "            Self::{}(v) => cx.variant(\"{t}\", &**v),", pascal(t));
        }
    }
    let _ = writeln!(out, "        }}");
    let _ = writeln!(out, "    }}");
    let _ = writeln!(out, "}}\n");
    let _ = snake; // keep import used when no choice exists
}

/// Emits the `Resource` enum over the generated resources.
pub fn emit_resource_enum(out: &mut String, resources: &[String]) {
    let _ = writeln!(out, "/// Any of the resources this crate models (`resourceType` picks the variant).");
    let _ = writeln!(out, "#[derive(Debug, Clone, PartialEq)]");
    let _ = writeln!(out, "pub enum Resource {{");
    for r in resources {
        let _ = writeln!(out, "    /// A `{r}` resource.");
        let _ = writeln!(out, "    {r}(Box<{r}>),");
    }
    let _ = writeln!(out, "}}\n");
    let _ = writeln!(out, "/// Every `resourceType` the `Resource` enum accepts, sorted.");
    let _ = writeln!(
        out,
        "pub const RESOURCE_TYPES: &[&str] = &[{}];\n",
        resources.iter().map(|r| format!("\"{r}\"")).collect::<Vec<_>>().join(", ")
    );
    let _ = writeln!(out, "impl Resource {{");
    let _ = writeln!(out, "    /// The `resourceType` of this resource.");
    let _ = writeln!(out, "    pub fn resource_type(&self) -> &'static str {{");
    let _ = writeln!(out, "        match self {{");
    for r in resources {
        let _ = writeln!(out, "            Self::{r}(_) => \"{r}\",");
    }
    let _ = writeln!(out, "        }}\n    }}\n");
    let _ = writeln!(out, "    /// The logical id (`Resource.id`), if any.");
    let _ = writeln!(out, "    pub fn id(&self) -> Option<&str> {{");
    let _ = writeln!(out, "        match self {{");
    for r in resources {
        let _ = writeln!(out, "            Self::{r}(x) => x.id.as_deref(),");
    }
    let _ = writeln!(out, "        }}\n    }}\n");
    let _ = writeln!(out, "    /// The `meta` element, if any.");
    let _ = writeln!(out, "    pub fn meta(&self) -> Option<&Meta> {{");
    let _ = writeln!(out, "        match self {{");
    for r in resources {
        let _ = writeln!(out, "            Self::{r}(x) => x.meta.as_deref(),");
    }
    let _ = writeln!(out, "        }}\n    }}\n");
    let _ = writeln!(out, "    /// Contained resources (empty for resources that cannot contain any).");
    let _ = writeln!(out, "    pub fn contained(&self) -> &[Resource] {{");
    let _ = writeln!(out, "        match self {{");
    for r in resources {
        if r == "Bundle" {
            let _ = writeln!(out, "            Self::{r}(_) => &[],");
        } else {
            let _ = writeln!(out, "            Self::{r}(x) => &x.contained,");
        }
    }
    let _ = writeln!(out, "        }}\n    }}\n}}\n");
    let _ = writeln!(out, "pub(crate) fn read_resource<'de, A: MapAccess<'de>>(resource_type: &str, map: A, st: &j::ReadState) -> Result<Resource, A::Error> {{");
    let _ = writeln!(out, "    Ok(match resource_type {{");
    for r in resources {
        let _ = writeln!(out, "        \"{r}\" => Resource::{r}(j::read_rest(map, st)?),");
    }
    let _ = writeln!(
        out,
        "        _ => return Err(st.fail(j::JsonErrorKind::UnsupportedResourceType, Some(resource_type))),"
    );
    let _ = writeln!(out, "    }})\n}}\n");
    let _ = writeln!(out, "impl Serialize for Resource {{");
    let _ = writeln!(out, "    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {{");
    let _ = writeln!(out, "        match self {{");
    for r in resources {
        let _ = writeln!(out, "            Self::{r}(x) => x.serialize(s),");
    }
    let _ = writeln!(out, "        }}\n    }}\n}}\n");
    let _ = writeln!(out, "impl Validate for Resource {{");
    let _ = writeln!(out, "    fn validate_into(&self, cx: &mut Ctx) {{");
    let _ = writeln!(out, "        cx.enter_resource(self);");
    let _ = writeln!(out, "        match self {{");
    for r in resources {
        let _ = writeln!(out, "            Self::{r}(x) => x.validate_into(cx),");
    }
    let _ = writeln!(out, "        }}");
    let _ = writeln!(out, "        cx.exit_resource();");
    let _ = writeln!(out, "    }}\n}}\n");
    for r in resources {
        let _ = writeln!(out, "impl From<{r}> for Resource {{");
        let _ = writeln!(out, "    fn from(r: {r}) -> Self {{ Self::{r}(Box::new(r)) }}");
        let _ = writeln!(out, "}}\n");
    }
}

/// Emits the code tables of the required-binding value sets.
pub fn emit_valuesets(out: &mut String, vs: &BTreeMap<String, Expansion>) {
    for (url, e) in vs {
        let _ = writeln!(out, "/// Codes of `{url}` (required binding).");
        let _ = writeln!(out, "pub static {}: ValueSet = ValueSet {{", static_name(url));
        let _ = writeln!(out, "    url: \"{url}\",");
        let _ = writeln!(out, "    systems: &[");
        for (system, codes) in &e.systems {
            let list: Vec<String> = codes.codes.iter().map(|c| format!("{c:?}")).collect();
            let _ = writeln!(
                out,
                "        SystemCodes {{ system: \"{system}\", open: {}, codes: &[{}] }},",
                codes.open,
                list.join(", ")
            );
        }
        let _ = writeln!(out, "    ],");
        let _ = writeln!(out, "}};\n");
    }
    let _ = writeln!(out, "/// Every value set above, sorted by URL.");
    let list: Vec<String> = vs.keys().map(|u| format!("&{}", static_name(u))).collect();
    let _ = writeln!(out, "pub static ALL: &[&ValueSet] = &[{}];", list.join(", "));
}
