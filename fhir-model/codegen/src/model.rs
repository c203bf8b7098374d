//! Reading `StructureDefinitions` into a small model of Rust types.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Where a generated struct comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A resource (has `resourceType`).
    Resource,
    /// A complex datatype.
    Datatype,
    /// A backbone element nested in a resource or datatype.
    Backbone,
}

/// One generated struct.
#[derive(Debug, Clone)]
pub struct TypeDef {
    /// Rust name (`PatientContact`).
    pub name: String,
    /// FHIR path of the element that defines it (`Patient.contact`).
    pub path: String,
    /// Resource, datatype or backbone.
    pub kind: Kind,
    /// Short description from the definitions.
    pub doc: String,
    /// Elements in definition order.
    pub fields: Vec<Field>,
    /// The root resource or datatype this struct belongs to (`Patient`).
    pub root: String,
}

/// Primitive-ness of a field's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldTy {
    /// `System.String` element (`Resource.id`, `Element.id`, `Extension.url`): a plain string, no `_x` sibling.
    Plain {
        /// FHIR primitive whose format applies.
        fhir: String,
    },
    /// A FHIR primitive (`boolean`, `date`, `code`…).
    Prim {
        /// FHIR type code.
        fhir: String,
    },
    /// A complex datatype or backbone element, by Rust name.
    Complex {
        /// Rust type name.
        name: String,
    },
    /// Any resource (`Resource` enum).
    Resource,
    /// `x[x]`: an enum over the allowed types.
    Choice {
        /// Rust enum name.
        enum_name: String,
        /// Allowed FHIR type codes, in definition order.
        types: Vec<String>,
    },
}

/// One element of a generated struct.
#[derive(Debug, Clone)]
pub struct Field {
    /// JSON name (choice elements: the base name without `[x]`).
    pub json: String,
    /// Rust field name.
    pub rust: String,
    /// Short description.
    pub doc: String,
    /// Minimum cardinality.
    pub min: u32,
    /// Maximum cardinality (`None` = `*`).
    pub max: Option<u32>,
    /// Type.
    pub ty: FieldTy,
    /// Canonical URL of a required binding's value set.
    pub required_binding: Option<String>,
    /// Whether a singular complex field is boxed (breaks type cycles).
    pub boxed: bool,
}

impl Field {
    /// Whether the element repeats.
    pub fn repeats(&self) -> bool {
        self.max != Some(1)
    }
}

/// Errors while reading the definitions.
pub type Result<T> = std::result::Result<T, String>;

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Collapses whitespace of a definition text into one line fit for a `///` comment.
pub fn doc_line(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            let w = w.replace('[', "\\[").replace(']', "\\]").replace('<', "&lt;").replace('>', "&gt;");
            // Bare URLs become autolinks so rustdoc renders them.
            if w.starts_with("http://") || w.starts_with("https://") {
                let end = w.trim_end_matches(['.', ',', ')', ';']);
                format!("<{end}>{}", &w[end.len()..])
            } else {
                w
            }
        })
        .collect();
    words.join(" ")
}

/// Rust keywords (strict and reserved) that cannot be field names.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// `birthDate` → `birth_date`; Rust keywords get a trailing `_`.
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }

    if KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// `doseAndRate` → `DoseAndRate`.
pub fn pascal(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// Rust name of the struct for an element path (`Bundle.entry.request` → `BundleEntryRequest`).
pub fn path_type_name(path: &str) -> String {
    path.split('.').map(pascal).collect()
}

/// The FHIR primitive type codes.
pub const PRIMITIVES: &[&str] = &[
    "base64Binary",
    "boolean",
    "canonical",
    "code",
    "date",
    "dateTime",
    "decimal",
    "id",
    "instant",
    "integer",
    "markdown",
    "oid",
    "positiveInt",
    "string",
    "time",
    "unsignedInt",
    "uri",
    "url",
    "uuid",
    "xhtml",
];

/// Reads one `StructureDefinition`'s snapshot into structs (the root and its backbone elements).
pub fn read_structure(sd: &Value, kind: Kind) -> Result<Vec<TypeDef>> {
    let root = s(sd, "type").ok_or("StructureDefinition without type")?.to_string();
    let elements =
        sd.pointer("/snapshot/element").and_then(Value::as_array).ok_or_else(|| format!("{root}: no snapshot"))?;
    let mut defs: Vec<TypeDef> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for el in elements {
        if el.get("sliceName").is_some() {
            continue;
        }
        let path = s(el, "path").ok_or("element without path")?;
        let doc = doc_line(s(el, "short").unwrap_or(""));
        if path == root {
            index.insert(path.to_string(), defs.len());
            defs.push(TypeDef {
                name: root.clone(),
                path: root.clone(),
                kind,
                doc,
                fields: Vec::new(),
                root: root.clone(),
            });
            continue;
        }
        let Some((parent, last)) = path.rsplit_once('.') else { continue };
        let Some(&owner) = index.get(parent) else {
            return Err(format!("{path}: parent {parent} not seen"));
        };
        let min = u32::try_from(el.get("min").and_then(Value::as_u64).unwrap_or(0)).map_err(|e| e.to_string())?;
        let max = match s(el, "max").unwrap_or("1") {
            "*" => None,
            m => Some(m.parse::<u32>().map_err(|e| format!("{path}: max {m}: {e}"))?),
        };
        let types: Vec<&Value> =
            el.get("type").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
        let codes: Vec<String> = types.iter().filter_map(|t| s(t, "code")).map(str::to_string).collect();
        let (json, ty) = if let Some(base) = last.strip_suffix("[x]") {
            let enum_name = format!("{}{}", defs[owner].name, pascal(base));
            (base.to_string(), FieldTy::Choice { enum_name, types: codes.clone() })
        } else if let Some(reference) = s(el, "contentReference") {
            let target = reference.trim_start_matches('#');
            (last.to_string(), FieldTy::Complex { name: path_type_name(target) })
        } else {
            let code = codes.first().ok_or_else(|| format!("{path}: no type"))?;
            let ty = if code.starts_with("http://hl7.org/fhirpath/System.") {
                let fhir = types
                    .first()
                    .and_then(|t| t.pointer("/extension/0/valueUrl"))
                    .and_then(Value::as_str)
                    .unwrap_or("string");
                // Resource.id is of type id in the specification text; the snapshot says string.
                let fhir = if last == "id" && kind == Kind::Resource && parent == root { "id" } else { fhir };
                FieldTy::Plain { fhir: fhir.to_string() }
            } else if PRIMITIVES.contains(&code.as_str()) {
                FieldTy::Prim { fhir: code.clone() }
            } else if code == "BackboneElement"
                || (code == "Element" && path.matches('.').count() >= 1 && root != "Element")
            {
                let name = path_type_name(path);
                index.insert(path.to_string(), defs.len());
                defs.push(TypeDef {
                    name: name.clone(),
                    path: path.to_string(),
                    kind: Kind::Backbone,
                    doc: doc.clone(),
                    fields: Vec::new(),
                    root: root.clone(),
                });
                FieldTy::Complex { name }
            } else if code == "Resource" {
                FieldTy::Resource
            } else {
                FieldTy::Complex { name: code.clone() }
            };
            (last.to_string(), ty)
        };
        let required_binding = el.get("binding").and_then(|b| {
            if s(b, "strength") == Some("required") {
                s(b, "valueSet").map(|v| v.split('|').next().unwrap_or(v).to_string())
            } else {
                None
            }
        });
        let rust = snake(&json);
        if rust == "unknown" {
            return Err(format!("{path}: element name clashes with the `unknown` field"));
        }
        defs[owner].fields.push(Field { json, rust, doc, min, max, ty, required_binding, boxed: false });
    }
    Ok(defs)
}

/// Marks singular complex fields that must be boxed because their type reaches back to the owner.
pub fn mark_boxes(defs: &mut [TypeDef]) {
    let edges: BTreeMap<String, BTreeSet<String>> = defs
        .iter()
        .map(|d| {
            let targets = d
                .fields
                .iter()
                .filter(|f| !f.repeats())
                .filter_map(|f| match &f.ty {
                    FieldTy::Complex { name } => Some(name.clone()),
                    _ => None,
                })
                .collect();
            (d.name.clone(), targets)
        })
        .collect();
    let reaches = |from: &str, to: &str| -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n.clone()) {
                if let Some(next) = edges.get(&n) {
                    stack.extend(next.iter().cloned());
                }
            }
        }
        false
    };
    // Singular backbone elements are boxed too: they are large and usually absent, and keeping
    // them out of line keeps resources and Bundle entries small (less copying when reading).
    let backbones: BTreeSet<String> =
        defs.iter().filter(|d| d.kind == Kind::Backbone).map(|d| d.name.clone()).collect();
    // Large datatypes (estimated over 128 bytes inline, e.g. Identifier, Reference, Meta) are
    // boxed when singular: resources stay compact, which is most of the cost of reading and
    // writing them. Small ones (CodeableConcept, Period) stay inline.
    let sizes = estimate_sizes(defs);
    let large = |name: &str| sizes.get(name).is_some_and(|s| *s > 128);
    for d in defs.iter_mut() {
        let owner = d.name.clone();
        for f in &mut d.fields {
            if let FieldTy::Complex { name } = &f.ty {
                if !f.repeats() && (reaches(name, &owner) || backbones.contains(name) || large(name)) {
                    f.boxed = true;
                }
            }
        }
    }
}

/// Estimated inline size of `name` (memoised in `sizes`).
fn size_of(name: &str, by_name: &BTreeMap<&str, &TypeDef>, sizes: &mut BTreeMap<String, usize>, depth: usize) -> usize {
    if let Some(s) = sizes.get(name) {
        return *s;
    }
    let Some(d) = by_name.get(name) else { return 8 };
    if depth > 6 {
        return 8;
    }
    let mut total = 8; // `unknown`
    for f in &d.fields {
        total += match &f.ty {
            _ if f.repeats() => 24,
            FieldTy::Plain { .. } => 24,
            FieldTy::Prim { .. } => 32,
            FieldTy::Resource => 16,
            FieldTy::Choice { .. } => 40,
            FieldTy::Complex { name } => size_of(name, by_name, sizes, depth + 1),
        };
    }
    sizes.insert(name.to_string(), total);
    total
}

/// Rough inline size in bytes of each struct if no singular field were boxed (64-bit layout:
/// `Option<String>` 24, `Option<Primitive<_>>` 32, `Vec` 24, choice enums 40).
fn estimate_sizes(defs: &[TypeDef]) -> BTreeMap<String, usize> {
    let by_name: BTreeMap<&str, &TypeDef> = defs.iter().map(|d| (d.name.as_str(), d)).collect();
    let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
    for d in defs {
        size_of(&d.name, &by_name, &mut sizes, 0);
    }
    sizes
}
