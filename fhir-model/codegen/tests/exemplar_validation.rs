//! The generated validators, element by element, on the exemplars (`fhir-model/tests/exemplars/`,
//! which validate without an error): each element of each struct, where it first stands, is
//! - removed: the model's validation must report a `required` issue exactly when the schema says
//!   the element has `min` ≥ 1, at that element, and none otherwise;
//! - given a value that breaks its format (a primitive) or its required value set (a code, a
//!   `Coding`, a `CodeableConcept`): validation must report exactly one error, at that value (a
//!   coding may be reported at its `CodeableConcept`).
//!
//! The schema the generator read says what each element is, so nothing here guesses from values.

#[path = "../../../hl7-core/tests/common/shared.rs"]
mod shared;

use std::collections::{BTreeMap, BTreeSet};

use fhir_codegen::model::{pascal, Field, FieldTy, TypeDef};
use fhir_model::{ReadMode, Resource};
use serde_json::Value;

/// One element where it first stands in an exemplar.
struct Element<'a> {
    /// Index of the exemplar in [`exemplar_values`].
    file: usize,
    /// Pointer of the object that holds it.
    parent: String,
    /// Its JSON key (`valueQuantity` for a choice).
    key: String,
    field: &'a Field,
    /// Its type: the choice's type, a complex type's name, or the primitive's FHIR type.
    ty: String,
}

/// The element of `def` that `key` names, with its type.
fn element<'a>(def: &'a TypeDef, key: &str) -> (&'a Field, String) {
    def.fields
        .iter()
        .find_map(|f| match &f.ty {
            FieldTy::Choice { types, .. } => {
                types.iter().find(|t| key == format!("{}{}", f.json, pascal(t))).map(|t| (f, t.clone()))
            }
            _ if f.json != key => None,
            FieldTy::Complex { name } => Some((f, name.clone())),
            FieldTy::Prim { fhir } | FieldTy::Plain { fhir } => Some((f, fhir.clone())),
            FieldTy::Resource => Some((f, "Resource".to_string())),
        })
        .unwrap_or_else(|| panic!("{key}: not an element of {}", def.name))
}

struct Schema<'a> {
    types: BTreeMap<&'a str, &'a TypeDef>,
}

impl<'a> Schema<'a> {
    fn def(&self, ty: &str) -> Option<&'a TypeDef> {
        let ty = match ty {
            "SimpleQuantity" | "MoneyQuantity" => "Quantity",
            t => t,
        };
        self.types.get(ty).copied()
    }

    /// Collects each (struct, element) not yet in `seen` (the generated validator of an element is
    /// the same code wherever its struct stands), where removing it leaves its object non-empty.
    fn walk(
        &self,
        file: usize,
        v: &Value,
        def: &'a TypeDef,
        at: &str,
        seen: &mut BTreeSet<(String, String)>,
        out: &mut Vec<Element<'a>>,
    ) {
        let Value::Object(members) = v else { return };
        let own = members.keys().filter(|k| !k.starts_with('_') && *k != "resourceType").count();
        for (key, value) in members {
            if key.starts_with('_') || key == "resourceType" {
                continue;
            }
            let (field, ty) = element(def, key);
            // Removing the only member would leave an empty object, which FHIR JSON has not.
            if own > 1 && seen.insert((def.name.clone(), key.clone())) {
                out.push(Element { file, parent: at.to_string(), key: key.clone(), field, ty: ty.clone() });
            }
            let Some(child) = self.def(&ty) else { continue };
            match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.walk(file, item, child, &format!("{at}/{key}/{i}"), seen, out);
                    }
                }
                item => self.walk(file, item, child, &format!("{at}/{key}"), seen, out),
            }
        }
    }
}

/// JSON pointer of an issue expression (`A.b[0].value.ofType(Quantity)` → `/b/0/valueQuantity`).
fn pointer_of(expression: &str) -> String {
    let mut out = String::new();
    for part in expression.split('.').skip(1) {
        if let Some(t) = part.strip_prefix("ofType(").and_then(|t| t.strip_suffix(')')) {
            out.push_str(&pascal(t));
        } else if let Some((name, index)) = part.split_once('[') {
            out.push('/');
            out.push_str(name);
            out.push('/');
            out.push_str(index.trim_end_matches(']'));
        } else {
            out.push('/');
            out.push_str(part);
        }
    }
    out
}

/// A value that breaks a primitive's format, for the types that have one that still reads.
fn broken_primitive(fhir: &str) -> Option<Value> {
    Some(Value::from(match fhir {
        "date" => "2020-02-29T",
        "dateTime" => "2020-02-29T13:45:06", // a time needs a zone
        "instant" => "2020-02-29",
        "time" => "13:45",
        "id" => "ex_1",
        "code" => "exemplar  code",
        "oid" => "urn:oid:2.16..1",
        "uuid" => "urn:uuid:6f1c3b2e",
        "base64Binary" => "aGw3c",
        "uri" | "url" | "canonical" => "http://example.org/ exemplar",
        "xhtml" => "<p>exemplar</p>",
        "positiveInt" => return Some(Value::from(0)),
        "unsignedInt" => return Some(Value::from(-1)),
        // boolean, integer, decimal, string, markdown: every value that reads is valid.
        _ => return None,
    }))
}

/// Validation issues with code `code` (or errors, for `None`), as JSON pointers.
fn issues(exemplar: &Value, code: Option<&str>) -> Vec<String> {
    let json = serde_json::to_vec(exemplar).expect("writes");
    let resource = Resource::from_json(&json, ReadMode::Strict).expect("still reads");
    resource
        .validate()
        .issues()
        .iter()
        .filter(|i| match code {
            Some(c) => i.code().code() == c,
            None => i.severity().is_error(),
        })
        .map(|i| pointer_of(i.location().as_str()))
        .collect()
}

/// The exemplars as the generator writes them: file name and JSON.
fn exemplar_values(schema: &fhir_codegen::Schema) -> Vec<(String, Value)> {
    let files = fhir_codegen::exemplars::exemplars(schema).files;
    files.into_iter().map(|f| (f.name, serde_json::from_str(&f.text).expect("exemplar is JSON"))).collect()
}

/// Each element of each struct where it first stands in `files`.
fn elements<'a>(schema: &'a fhir_codegen::Schema, files: &[(String, Value)]) -> Vec<Element<'a>> {
    let mut s = Schema { types: schema.datatypes.iter().map(|d| (d.name.as_str(), d)).collect() };
    for (_, defs) in &schema.resources {
        s.types.extend(defs.iter().map(|d| (d.name.as_str(), d)));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (i, (_, exemplar)) in files.iter().enumerate() {
        let root = exemplar.get("resourceType").and_then(Value::as_str).and_then(|r| s.def(r)).expect("a resource");
        s.walk(i, exemplar, root, "", &mut seen, &mut out);
    }
    out
}

/// Calls `visit(schema, exemplar file name, exemplar, element)` for each element where it first
/// stands; `false` (with a printed notice) when the definitions are absent.
fn each_element(mut visit: impl FnMut(&fhir_codegen::Schema, &str, &Value, &Element<'_>)) -> bool {
    let Some(input) = shared::shared_dir("fhir-r4") else { return false };
    let schema = fhir_codegen::read_schema(&input).expect("definitions read");
    let files = exemplar_values(&schema);
    for e in &elements(&schema, &files) {
        let (name, exemplar) = &files[e.file];
        visit(&schema, name, exemplar, e);
    }
    true
}

#[test]
fn removing_an_element_is_reported_exactly_when_it_is_required() {
    let (mut required, mut optional, mut failures) = (0, 0, Vec::new());
    let ran = each_element(|_, name, exemplar, e| {
        let mut broken = exemplar.clone();
        if let Some(Value::Object(m)) = broken.pointer_mut(&e.parent) {
            m.remove(&e.key);
            m.remove(&format!("_{}", e.key));
        }
        let want: Vec<String> =
            (e.field.min > 0).then(|| format!("{}/{}", e.parent, e.field.json)).into_iter().collect();
        let reported = issues(&broken, Some("required"));
        if reported != want {
            failures.push(format!("{name}{}/{}: required issues at {reported:?}", e.parent, e.key));
        }
        if want.is_empty() {
            optional += 1;
        } else {
            required += 1;
        }
    });
    if !ran {
        return;
    }
    eprintln!("removed {required} required and {optional} optional elements");
    assert!(required > 120 && optional > 1_300, "too few removals: {required} required, {optional} optional");
    assert!(failures.is_empty(), "{} removals misreported:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn a_broken_value_is_reported_once_where_it_is() {
    let (mut formats, mut codes, mut failures) = (0, 0, Vec::new());
    let ran = each_element(|schema, name, exemplar, e| {
        let mut pointer = format!("{}/{}", e.parent, e.key);
        let mut broken = exemplar.clone();
        let Some(mut target) = broken.pointer_mut(&pointer) else { return };
        if target.is_array() {
            pointer.push_str("/0");
            target = broken.pointer_mut(&pointer).expect("one item");
        }
        // A required value set that can be enumerated here: one with an open system (an external
        // one such as BCP 13 mime types or ISO 4217 currencies) accepts any code.
        let bound = !matches!(e.field.ty, FieldTy::Choice { .. })
            && e.field
                .required_binding
                .as_ref()
                .and_then(|url| schema.expansions.get(url))
                .is_some_and(|x| !x.systems.is_empty() && x.systems.values().all(|c| !c.open));
        // A code of a required value set, in a code, a Coding or a CodeableConcept's first
        // coding: "exemplar" is in none of them.
        let (code_at, exact) = match e.ty.as_str() {
            "code" if bound => (Some(pointer.clone()), true),
            "Coding" if bound => (Some(format!("{pointer}/code")), false),
            "CodeableConcept" if bound => (Some(format!("{pointer}/coding/0/code")), false),
            _ => (None, true),
        };
        if let Some(code_at) = code_at {
            let Some(code) = broken.pointer_mut(&code_at) else { return };
            *code = Value::from("exemplar");
            codes += 1;
        } else if let Some(bad) = broken_primitive(&e.ty) {
            *target = bad;
            formats += 1;
        } else {
            return;
        }
        let reported = issues(&broken, None);
        let placed = |p: &String| if exact { *p == pointer } else { pointer.starts_with(p.as_str()) };
        if reported.len() != 1 || !reported.iter().all(placed) {
            failures.push(format!("{name}{pointer}: errors at {reported:?}"));
        }
    });
    if !ran {
        return;
    }
    eprintln!("broke {formats} formatted values and {codes} value-set codes");
    assert!(formats > 200 && codes > 60, "too few values broken: {formats} formats, {codes} codes");
    assert!(failures.is_empty(), "{} broken values misreported:\n{}", failures.len(), failures.join("\n"));
}
