//! Cardinality checks of the generated validators, element by element: every member of every
//! object in the exemplars (`fhir-model/tests/exemplars/`) is removed in turn, and the model's
//! validation must report a `required` issue exactly when the schema says the element has
//! `min` ≥ 1, at that element, and no `required` issue otherwise. Each element of each struct is
//! removed once, where it first stands.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use fhir_codegen::model::{pascal, FieldTy, TypeDef};
use fhir_model::{ReadMode, Resource};
use serde_json::Value;

/// One removal: the member's pointer, and where a `required` issue is expected (if anywhere).
struct Case {
    parent: String,
    key: String,
    expected: Option<String>,
}

/// Collects one removal for each (struct, element) not yet in `seen`: the generated validator of
/// an element is the same code wherever its struct stands.
fn walk<'a>(
    v: &Value,
    def: &'a TypeDef,
    at: &str,
    types: &BTreeMap<&'a str, &'a TypeDef>,
    seen: &mut BTreeSet<(String, String)>,
    out: &mut Vec<Case>,
) {
    let Value::Object(members) = v else { return };
    let own = members.keys().filter(|k| !k.starts_with('_') && *k != "resourceType").count();
    for (key, value) in members {
        if key.starts_with('_') || key == "resourceType" {
            continue;
        }
        // The element this key names: `name`, or a choice `base` + type.
        let (field, ty) = def
            .fields
            .iter()
            .find_map(|f| match &f.ty {
                FieldTy::Choice { types: allowed, .. } => {
                    allowed.iter().find(|t| *key == format!("{}{}", f.json, pascal(t))).map(|t| (f, Some(t.as_str())))
                }
                FieldTy::Complex { name } if f.json == *key => Some((f, Some(name.as_str()))),
                _ if f.json == *key => Some((f, None)),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{at}/{key}: not an element of {}", def.name));
        // Removing the only member would leave an empty object, which FHIR JSON has not.
        if own > 1 && seen.insert((def.name.clone(), key.clone())) {
            let expected = (field.min > 0).then(|| format!("{at}/{}", field.json));
            out.push(Case { parent: at.to_string(), key: key.clone(), expected });
        }
        let child = ty.map(|t| match t {
            "SimpleQuantity" | "MoneyQuantity" => "Quantity",
            t => t,
        });
        if let Some(child) = child.and_then(|t| types.get(t)) {
            match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        walk(item, child, &format!("{at}/{key}/{i}"), types, seen, out);
                    }
                }
                item => walk(item, child, &format!("{at}/{key}"), types, seen, out),
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

#[test]
fn removing_an_element_is_reported_exactly_when_it_is_required() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let input = manifest.join("../../../shared/fhir-r4");
    if !input.join("profiles-resources.json").exists() {
        eprintln!("skipping: ../shared/fhir-r4 absent");
        return;
    }
    let schema = fhir_codegen::read_schema(&input).expect("definitions read");
    let mut types: BTreeMap<&str, &TypeDef> = schema.datatypes.iter().map(|d| (d.name.as_str(), d)).collect();
    for (_, defs) in &schema.resources {
        types.extend(defs.iter().map(|d| (d.name.as_str(), d)));
    }
    let exemplars = fhir_codegen::exemplars::exemplars(&schema);
    let (mut required, mut optional, mut failures) = (0, 0, Vec::new());
    let mut seen = BTreeSet::new();
    for file in &exemplars.files {
        let exemplar: Value = serde_json::from_str(&file.text).expect("exemplar is JSON");
        let root = exemplar.get("resourceType").and_then(Value::as_str).and_then(|r| types.get(r)).expect("a resource");
        let mut cases = Vec::new();
        walk(&exemplar, root, "", &types, &mut seen, &mut cases);
        for case in cases {
            let mut broken = exemplar.clone();
            if let Some(Value::Object(m)) = broken.pointer_mut(&case.parent) {
                m.remove(&case.key);
                m.remove(&format!("_{}", case.key));
            }
            let json = serde_json::to_vec(&broken).expect("writes");
            let resource = Resource::from_json(&json, ReadMode::Strict).expect("still reads");
            let outcome = resource.validate();
            let reported: Vec<String> = outcome
                .issue
                .iter()
                .filter(|i| i.code.as_ref().and_then(|c| c.as_str()) == Some("required"))
                .flat_map(|i| i.expression.iter().filter_map(|e| e.as_str()).map(pointer_of))
                .collect();
            let want: Vec<String> = case.expected.iter().cloned().collect();
            if reported != want {
                failures.push(format!("{}{}/{}: required issues at {reported:?}", file.name, case.parent, case.key));
            }
            if case.expected.is_some() {
                required += 1;
            } else {
                optional += 1;
            }
        }
    }
    eprintln!("removed {required} required and {optional} optional elements");
    assert!(required > 120 && optional > 1_300, "too few removals: {required} required, {optional} optional");
    assert!(failures.is_empty(), "{} removals misreported:\n{}", failures.len(), failures.join("\n"));
}
