//! Exemplar instances: for each generated resource, JSON documents in which every element of
//! every struct the resource reaches is present, so that each generated reader, writer and
//! validator branch has an input. They are fixtures (`fhir-model/tests/exemplars/`) and fuzz seeds.
//!
//! The rules, chosen so that the documents are finite, valid FHIR R4 and small:
//! - a complex type already being written further up is left out (this is what breaks cycles such
//!   as `Identifier.assigner` → `Reference.identifier` → `Identifier`), as is anything deeper than
//!   [`MAX_DEPTH`]; `min` 1 elements cut this way would make a document invalid, and
//!   [`Exemplars::cut_required`] lists them;
//! - a choice element `x[x]` takes its `k`-th allowed type in the `k`-th exemplar (cycling), so the
//!   exemplars of a resource together cover every type of every choice it reaches;
//! - the resource's own `extension` list carries one extension per `Extension.value[x]` type, spread
//!   over the exemplars; nested `extension`/`modifierExtension` lists hold one small extension;
//! - a primitive takes a valid lexical value of its type (a code of the required value set when
//!   there is one), and in odd-numbered exemplars also its `_name` sibling (id and an extension;
//!   not for `xhtml`, which FHIR JSON gives none);
//! - an element of type `Resource` holds a minimal resource (a `Patient` with an id).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::model::{pascal, Field, FieldTy, Kind, TypeDef, PRIMITIVES};
use crate::valuesets::Expansion;
use crate::{GeneratedFile, Schema};

/// Deepest nesting of complex values below the resource.
pub const MAX_DEPTH: usize = 6;

/// The exemplar files and what the rules had to leave out.
#[derive(Debug, Clone)]
pub struct Exemplars {
    /// `patient-1.json`, … (one to a file, pretty-printed, definition order).
    pub files: Vec<GeneratedFile>,
    /// `Type.element` paths with `min` ≥ 1 that a cycle or the depth cut left out.
    pub cut_required: Vec<String>,
}

/// JSON kept in definition order (`serde_json`'s map would sort the keys).
enum J {
    Obj(Vec<(String, J)>),
    Arr(Vec<J>),
    Str(String),
    /// A number or boolean, written as is.
    Lit(&'static str),
}

impl J {
    fn write(&self, out: &mut String, indent: usize) {
        let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
        match self {
            J::Obj(members) if members.is_empty() => out.push_str("{}"),
            J::Obj(members) => {
                out.push_str("{\n");
                for (i, (k, v)) in members.iter().enumerate() {
                    pad(out, indent + 2);
                    let _ = write!(out, "{}: ", quote(k));
                    v.write(out, indent + 2);
                    out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push('}');
            }
            J::Arr(items) => {
                out.push_str("[\n");
                for (i, v) in items.iter().enumerate() {
                    pad(out, indent + 2);
                    v.write(out, indent + 2);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push(']');
            }
            J::Str(s) => out.push_str(&quote(s)),
            J::Lit(s) => out.push_str(s),
        }
    }
}

fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// A valid lexical value of a FHIR primitive type.
fn primitive(fhir: &str) -> J {
    let s = |v: &str| J::Str(v.to_string());
    match fhir {
        "base64Binary" => s("aGw3cnM="),
        "boolean" => J::Lit("true"),
        "canonical" => s("http://example.org/fhir/StructureDefinition/exemplar"),
        "code" => s("exemplar"),
        "date" => s("2020-02-29"),
        "dateTime" => s("2020-02-29T13:45:06+01:00"),
        // Trailing zero: the model keeps a decimal's lexical form.
        "decimal" => J::Lit("12.50"),
        "id" => s("ex-1"),
        "instant" => s("2020-02-29T13:45:06.789Z"),
        "integer" => J::Lit("-7"),
        "markdown" => s("Exemplar *markdown*"),
        "oid" => s("urn:oid:2.16.840.1.113883.3.1"),
        "positiveInt" => J::Lit("3"),
        "time" => s("13:45:06"),
        "unsignedInt" => J::Lit("0"),
        "uri" | "url" => s("http://example.org/fhir/exemplar"),
        "uuid" => s("urn:uuid:6f1c3b2e-4b1a-4d5e-9a7b-2c3d4e5f6a7b"),
        "xhtml" => s("<div xmlns=\"http://www.w3.org/1999/xhtml\">Exemplar</div>"),
        _ => s("Exemplar text"),
    }
}

/// First code of a required value set whose system is enumerated, with its system.
fn bound_code(expansion: &Expansion) -> Option<(&str, &str)> {
    expansion
        .systems
        .iter()
        .filter(|(_, c)| !c.open)
        .find_map(|(system, c)| c.codes.iter().next().map(|code| (system.as_str(), code.as_str())))
}

/// Elements whose value must agree with another's: every reference names the contained or
/// Bundle-entry `Patient/contained-1` (see [`minimal_resource`]), so that it resolves.
const SPECIAL: &[(&str, &str)] = &[
    ("Reference.reference", "Patient/contained-1"),
    ("Bundle.entry.fullUrl", "http://example.org/fhir/Patient/contained-1"),
];

fn small_extension() -> J {
    J::Obj(vec![
        ("url".into(), J::Str("http://example.org/fhir/StructureDefinition/small".into())),
        ("valueString".into(), J::Str("small".into())),
    ])
}

struct Writer<'a> {
    types: &'a BTreeMap<&'a str, &'a TypeDef>,
    expansions: &'a BTreeMap<String, Expansion>,
    /// Which exemplar of the resource is being written (choice k takes type `pick % n`).
    pick: usize,
    /// Complex types being written, outermost first.
    stack: Vec<&'a str>,
    /// Datatypes written in full once in this document; later values of them are short.
    written: BTreeSet<&'a str>,
    cut_required: Vec<String>,
}

impl<'a> Writer<'a> {
    /// Members of a struct. `root_extensions` replaces the resource's own `extension` list.
    fn object(&mut self, def: &'a TypeDef, mut root_extensions: Option<J>) -> Vec<(String, J)> {
        self.stack.push(def.name.as_str());
        let mut members = Vec::new();
        for f in &def.fields {
            let many = |v: J| if f.repeats() { J::Arr(vec![v]) } else { v };
            match &f.ty {
                _ if f.json == "extension" || f.json == "modifierExtension" => {
                    let list = if f.json == "extension" { root_extensions.take() } else { None };
                    members.push((f.json.clone(), list.unwrap_or_else(|| J::Arr(vec![small_extension()]))));
                }
                FieldTy::Plain { fhir } => members.push((f.json.clone(), primitive(fhir))),
                FieldTy::Prim { fhir } => {
                    members.push((f.json.clone(), many(self.prim_value(def, f, fhir))));
                    if self.pick % 2 == 1 && fhir != "xhtml" {
                        let sibling = J::Obj(vec![
                            ("id".into(), J::Str("p1".into())),
                            ("extension".into(), J::Arr(vec![small_extension()])),
                        ]);
                        members.push((format!("_{}", f.json), many(sibling)));
                    }
                }
                FieldTy::Complex { name } => {
                    let binding = f.required_binding.as_ref().and_then(|u| self.expansions.get(u)).and_then(bound_code);
                    match self.complex(name, binding) {
                        Some(v) => members.push((f.json.clone(), many(v))),
                        None if f.min > 0 => self.cut_required.push(format!("{}.{}", def.path, f.json)),
                        None => {}
                    }
                }
                FieldTy::Resource => members.push((f.json.clone(), many(minimal_resource()))),
                FieldTy::Choice { types, .. } => {
                    // The picked type, or the next one that is not cut.
                    let n = types.len();
                    let value = (0..n).find_map(|i| {
                        let t = &types[(self.pick + i) % n];
                        self.typed(t).map(|v| (format!("{}{}", f.json, pascal(t)), v))
                    });
                    match value {
                        Some((key, v)) => members.push((key, v)),
                        None if f.min > 0 => self.cut_required.push(format!("{}.{}[x]", def.path, f.json)),
                        None => {}
                    }
                }
            }
        }
        self.stack.pop();
        members
    }

    /// A datatype already written in full: its required elements and its first element that
    /// gives a value (`coding` too for a `CodeableConcept`, so that a binding can be filled in).
    fn short(&mut self, def: &'a TypeDef) -> Vec<(String, J)> {
        self.stack.push(def.name.as_str());
        let mut members = Vec::new();
        let mut content = false;
        for f in &def.fields {
            let wanted = f.min > 0 || !content || (def.name == "CodeableConcept" && f.json == "coding");
            if !wanted || f.json == "id" || f.json == "extension" {
                continue;
            }
            let many = |v: J| if f.repeats() { J::Arr(vec![v]) } else { v };
            let member = match &f.ty {
                FieldTy::Prim { fhir } | FieldTy::Plain { fhir } => {
                    Some((f.json.clone(), self.prim_value(def, f, fhir)))
                }
                FieldTy::Complex { name } => self.complex(name, None).map(|v| (f.json.clone(), v)),
                FieldTy::Resource => Some((f.json.clone(), minimal_resource())),
                FieldTy::Choice { types, .. } => types
                    .iter()
                    .find(|t| PRIMITIVES.contains(&t.as_str()))
                    .map(|t| (format!("{}{}", f.json, pascal(t)), primitive(t))),
            };
            if let Some((k, v)) = member {
                members.push((k, many(v)));
                content = true;
            }
        }
        self.stack.pop();
        members
    }

    /// A primitive element's value: a code of its required value set, if it has one.
    fn prim_value(&self, owner: &TypeDef, f: &Field, fhir: &str) -> J {
        if let Some(v) =
            SPECIAL.iter().find(|(path, _)| path.split_once('.') == Some((owner.path.as_str(), f.json.as_str())))
        {
            return J::Str(v.1.into());
        }
        match f.required_binding.as_ref().and_then(|u| self.expansions.get(u)).and_then(bound_code) {
            Some((_, code)) if fhir == "code" => J::Str(code.into()),
            _ => primitive(fhir),
        }
    }

    /// A value of FHIR type `t` (primitive or complex), `None` when cut.
    fn typed(&mut self, t: &str) -> Option<J> {
        if PRIMITIVES.contains(&t) {
            Some(primitive(t))
        } else {
            self.complex(t, None)
        }
    }

    /// A complex value, `None` when its type is already being written or too deep.
    /// `binding` fills a `Coding`/`CodeableConcept` with a code of its required value set.
    fn complex(&mut self, name: &str, binding: Option<(&str, &str)>) -> Option<J> {
        let name = match name {
            "SimpleQuantity" | "MoneyQuantity" => "Quantity",
            n => n,
        };
        if self.stack.contains(&name) || self.stack.len() > MAX_DEPTH {
            return None;
        }
        let def = *self.types.get(name)?;
        let mut members = if def.kind == Kind::Datatype && !self.written.insert(def.name.as_str()) {
            self.short(def)
        } else {
            self.object(def, None)
        };
        if let Some((system, code)) = binding {
            let coded = |members: &mut Vec<(String, J)>| {
                for (key, value) in [("system", system), ("code", code)] {
                    match members.iter_mut().find(|(k, _)| k == key) {
                        Some((_, v)) => *v = J::Str(value.into()),
                        None => members.push((key.into(), J::Str(value.into()))),
                    }
                }
            };
            if name == "Coding" {
                coded(&mut members);
            } else if let Some((_, J::Arr(codings))) = members.iter_mut().find(|(k, _)| k == "coding") {
                for c in codings {
                    if let J::Obj(m) = c {
                        coded(m);
                    }
                }
            }
        }
        // FHIR JSON has no empty objects: a value with nothing in it is left out.
        (!members.is_empty()).then_some(J::Obj(members))
    }
}

fn minimal_resource() -> J {
    J::Obj(vec![("resourceType".into(), J::Str("Patient".into())), ("id".into(), J::Str("contained-1".into()))])
}

/// Number of types of the widest choice a struct reaches (1 when none), over the types it
/// reaches without passing through one already seen.
fn widest_choice<'a>(name: &'a str, types: &BTreeMap<&'a str, &'a TypeDef>, seen: &mut Vec<&'a str>) -> usize {
    let Some(def) = types.get(name) else { return 1 };
    if seen.contains(&name) {
        return 1;
    }
    seen.push(name);
    let mut widest = 1;
    for f in &def.fields {
        match &f.ty {
            _ if f.json == "extension" || f.json == "modifierExtension" => {}
            FieldTy::Choice { types: t, .. } => {
                widest = widest.max(t.len());
                for x in t {
                    widest = widest.max(widest_choice(x, types, seen));
                }
            }
            FieldTy::Complex { name } => widest = widest.max(widest_choice(name, types, seen)),
            _ => {}
        }
    }
    widest
}

/// Writes the exemplars of every resource in the schema.
pub fn exemplars(schema: &Schema) -> Exemplars {
    let mut types: BTreeMap<&str, &TypeDef> = schema.datatypes.iter().map(|d| (d.name.as_str(), d)).collect();
    for (_, defs) in &schema.resources {
        types.extend(defs.iter().map(|d| (d.name.as_str(), d)));
    }
    let extension_types: Vec<String> = types
        .get("Extension")
        .and_then(|d| d.fields.iter().find(|f| f.json == "value"))
        .and_then(|f| match &f.ty {
            FieldTy::Choice { types, .. } => Some(types.clone()),
            _ => None,
        })
        .unwrap_or_default();

    let mut files = Vec::new();
    let mut cut_required = Vec::new();
    for (resource, defs) in &schema.resources {
        let Some(root) = defs.first() else { continue };
        // Enough exemplars for every type of the widest choice, and at least two (the second
        // carries the `_name` siblings of primitives).
        let count = widest_choice(resource, &types, &mut Vec::new()).max(2);
        for pick in 0..count {
            let mut w = Writer {
                types: &types,
                expansions: &schema.expansions,
                pick,
                stack: Vec::new(),
                written: BTreeSet::new(),
                cut_required: Vec::new(),
            };
            // This exemplar's share of the Extension.value[x] types: one extension each.
            let extensions: Vec<J> = extension_types
                .iter()
                .enumerate()
                .filter(|(i, _)| i % count == pick)
                .filter_map(|(_, t)| {
                    w.stack.push("Extension");
                    let value = w.typed(t);
                    w.stack.pop();
                    Some(J::Obj(vec![
                        ("url".into(), J::Str(format!("http://example.org/fhir/StructureDefinition/value-{t}"))),
                        (format!("value{}", pascal(t)), value?),
                    ]))
                })
                .collect();
            let mut members = vec![("resourceType".to_string(), J::Str(resource.clone()))];
            members.extend(w.object(root, Some(J::Arr(extensions))));
            let mut text = String::new();
            J::Obj(members).write(&mut text, 0);
            text.push('\n');
            files.push(GeneratedFile {
                name: format!("{}-{}.json", crate::snake_file(resource).replace('_', "-"), pick + 1),
                text,
            });
            cut_required.append(&mut w.cut_required);
        }
    }
    cut_required.sort();
    cut_required.dedup();
    Exemplars { files, cut_required }
}
