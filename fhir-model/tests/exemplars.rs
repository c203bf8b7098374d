//! The exemplar instances (`tests/exemplars/`, written by `cargo run -p fhir-codegen`): for each
//! resource, documents in which every element of every struct it reaches is present and every type
//! of every choice appears in one of them. Each must read strictly (no element unknown to the
//! model), write back the same JSON, and validate without an error, so every generated reader,
//! writer and validator is run on a value of each of its elements. (fhir-codegen's
//! `tests/exemplar_validation.rs` then breaks and removes each element, knowing the schema.)

use std::collections::BTreeSet;
use std::path::PathBuf;

use fhir_model::{ReadMode, Resource};
use serde_json::Value;

fn exemplars() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/exemplars");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("tests/exemplars exists")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).expect("readable")))
        .collect();
    files.sort();
    files
}

/// JSON pointer of the first place where `left` and `right` differ.
fn first_difference(left: &Value, right: &Value, at: &str) -> Option<String> {
    match (left, right) {
        (Value::Object(l), Value::Object(r)) => l.keys().chain(r.keys()).find_map(|k| match (l.get(k), r.get(k)) {
            (Some(u), Some(v)) => first_difference(u, v, &format!("{at}/{k}")),
            (Some(_), None) => Some(format!("{at}/{k} (dropped)")),
            (None, _) => Some(format!("{at}/{k} (added)")),
        }),
        (Value::Array(l), Value::Array(r)) if l.len() == r.len() => {
            l.iter().zip(r).enumerate().find_map(|(i, (u, v))| first_difference(u, v, &format!("{at}/{i}")))
        }
        _ => (left != right).then(|| format!("{at} ({left} vs {right})")),
    }
}

fn read(name: &str, bytes: &[u8]) -> Resource {
    Resource::from_json(bytes, ReadMode::Strict).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_resource_type_has_exemplars() {
    let files = exemplars();
    let mut types = BTreeSet::new();
    for (name, bytes) in &files {
        types.insert(read(name, bytes).resource_type().to_string());
    }
    // One per resource the model holds: the same list as the `Resource` enum.
    assert_eq!(types.len(), fhir_model::RESOURCE_TYPES.len(), "resource types with exemplars: {types:?}");
    assert!(files.len() >= 2 * fhir_model::RESOURCE_TYPES.len(), "at least two exemplars each");
}

#[test]
fn exemplars_read_strictly_and_write_back_the_same_json() {
    for (name, bytes) in exemplars() {
        let resource = read(&name, &bytes);
        let written = resource.to_json().unwrap_or_else(|e| panic!("{name}: writes: {e}"));
        let input: Value = serde_json::from_slice(&bytes).expect("exemplar is JSON");
        let output: Value = serde_json::from_slice(&written).expect("written JSON is JSON");
        let difference = first_difference(&input, &output, "");
        assert!(difference.is_none(), "{name}: written JSON differs from the exemplar at {difference:?}");
        // serde_json's Value compares decimals as f64: check the lexical form separately.
        let text = String::from_utf8(written).expect("utf-8");
        assert_eq!(
            text.matches("12.50").count(),
            String::from_utf8_lossy(&bytes).matches("12.50").count(),
            "{name}: a decimal lost its trailing zero"
        );
    }
}

#[test]
fn exemplars_validate_without_errors() {
    let mut failures = Vec::new();
    for (name, bytes) in exemplars() {
        let outcome = read(&name, &bytes).validate();
        let errors: Vec<String> = outcome.errors().map(|i| format!("{name}: {i}")).collect();
        failures.extend(errors);
    }
    assert!(failures.is_empty(), "{} validation errors:\n{}", failures.len(), failures.join("\n"));
}
