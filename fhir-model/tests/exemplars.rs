//! The exemplar instances (`tests/exemplars/`, written by `cargo run -p fhir-codegen`): for each
//! resource, documents in which every element of every struct it reaches is present and every type
//! of every choice appears in one of them. Each must read strictly (no element unknown to the
//! model), write back the same JSON, and validate without an error, so every generated reader,
//! writer and validator is run on a value of each of its elements. Then each formatted value and
//! each value-set code is broken, one at a time (about 6 200 cases), and validation must report
//! exactly that one element.

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
        let errors: Vec<String> = outcome
            .issue
            .iter()
            .filter(|i| matches!(i.severity.as_ref().and_then(|s| s.as_str()), Some("error" | "fatal")))
            .map(|i| {
                let at: Vec<&str> = i.expression.iter().filter_map(|e| e.as_str()).collect();
                format!(
                    "{name}: {} at {}",
                    i.diagnostics.as_ref().and_then(|d| d.as_str()).unwrap_or("?"),
                    at.join(", ")
                )
            })
            .collect();
        failures.extend(errors);
    }
    assert!(failures.is_empty(), "{} validation errors:\n{}", failures.len(), failures.join("\n"));
}

/// The exemplars' value of each formatted primitive type (see fhir-codegen's `exemplars.rs`) and
/// a text that breaks that format.
const FORMATS: &[(&str, &str)] = &[
    ("2020-02-29", "2020-02-29T"),                                          // date
    ("2020-02-29T13:45:06+01:00", "2020-02-29T13:45:06"),                   // dateTime: a time needs a zone
    ("2020-02-29T13:45:06.789Z", "2020-02-29"),                             // instant: needs a time
    ("13:45:06", "13:45"),                                                  // time
    ("ex-1", "ex_1"),                                                       // id
    ("exemplar", "exemplar  code"),                                         // code (no double space)
    ("urn:oid:2.16.840.1.113883.3.1", "urn:oid:2.16..1"),                   // oid
    ("urn:uuid:6f1c3b2e-4b1a-4d5e-9a7b-2c3d4e5f6a7b", "urn:uuid:6f1c3b2e"), // uuid
    ("aGw3cnM=", "aGw3c"),                                                  // base64Binary
    ("http://example.org/fhir/exemplar", "http://example.org/ exemplar"),   // uri, url
    ("http://example.org/fhir/StructureDefinition/exemplar", "http://example.org/ canonical"),
];

/// String values of the exemplars that are neither formatted nor codes of a value set.
fn free_text(key: &str, value: &str) -> bool {
    matches!(key, "id" | "url" | "system" | "reference" | "fullUrl" | "resourceType" | "div")
        || matches!(value, "Exemplar text" | "Exemplar *markdown*" | "small" | "p1")
        || value.starts_with("http://example.org/")
}

/// JSON pointer of a validation issue's FHIRPath-style expression (`Patient.name[0].given[1]` →
/// `/name/0/given/1`; `value.ofType(Quantity)` → `/valueQuantity`; a contained or Bundle-entry
/// resource's `ofType(Patient)` adds nothing).
fn pointer_of(expression: &str) -> String {
    let mut segments: Vec<String> = Vec::new();
    for part in expression.split('.').skip(1) {
        if let Some(t) = part.strip_prefix("ofType(").and_then(|t| t.strip_suffix(')')) {
            match segments.last_mut() {
                Some(last) if !last.bytes().all(|b| b.is_ascii_digit()) && last != "resource" => {
                    let mut c = t.chars();
                    last.extend(c.next().map(|f| f.to_ascii_uppercase()));
                    last.push_str(c.as_str());
                }
                _ => {}
            }
            continue;
        }
        match part.split_once('[') {
            Some((name, index)) => {
                segments.push(name.to_string());
                segments.push(index.trim_end_matches(']').to_string());
            }
            None => segments.push(part.to_string()),
        }
    }
    segments.iter().flat_map(|s| ["/", s.as_str()]).collect()
}

/// `(pointer, key, value)` of every leaf of `v` that a mutation can break, with the broken value
/// and whether the issue must sit at the leaf itself (a format) or may sit above it (a code
/// checked against a value set at its `CodeableConcept`).
fn mutations(v: &Value, at: &str, key: &str, out: &mut Vec<(String, Value, bool)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                // `_name` siblings hold only ids and extensions; the extensions are elsewhere too.
                if !k.starts_with('_') {
                    mutations(x, &format!("{at}/{k}"), k, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                mutations(x, &format!("{at}/{i}"), key, out);
            }
        }
        Value::String(s) => {
            if let Some((_, bad)) = FORMATS.iter().find(|(good, _)| good == s) {
                out.push((at.to_string(), Value::from(*bad), true));
            } else if !free_text(key, s) {
                // A code of a required value set: "exemplar" is in none.
                out.push((at.to_string(), Value::from("exemplar"), false));
            }
        }
        // positiveInt 3 → 0, unsignedInt 0 → -1 (integer -7 and decimal 12.50 have no bad value
        // that still reads).
        Value::Number(n) if n.as_i64() == Some(3) => out.push((at.to_string(), Value::from(0), true)),
        Value::Number(n) if n.as_i64() == Some(0) => out.push((at.to_string(), Value::from(-1), true)),
        _ => {}
    }
}

fn error_pointers(resource: &Resource) -> Vec<String> {
    let outcome = resource.validate();
    outcome
        .issue
        .iter()
        .filter(|i| matches!(i.severity.as_ref().and_then(|s| s.as_str()), Some("error" | "fatal")))
        .flat_map(|i| i.expression.iter().filter_map(|e| e.as_str()).map(pointer_of))
        .collect()
}

/// Breaks each leaf of one exemplar in turn; returns (formats broken, codes broken, failures).
fn break_each_leaf(name: &str, bytes: &[u8]) -> (usize, usize, Vec<String>) {
    let exemplar: Value = serde_json::from_slice(bytes).expect("exemplar is JSON");
    let mut cases = Vec::new();
    mutations(&exemplar, "", "", &mut cases);
    let (mut formats, mut codes, mut failures) = (0, 0, Vec::new());
    for (pointer, bad, exact) in cases {
        let mut broken = exemplar.clone();
        *broken.pointer_mut(&pointer).expect("the leaf exists") = bad;
        let json = serde_json::to_vec(&broken).expect("writes");
        let resource = Resource::from_json(&json, ReadMode::Strict)
            .unwrap_or_else(|e| panic!("{name}{pointer}: the broken value no longer reads: {e}"));
        let errors = error_pointers(&resource);
        let placed = |p: &String| if exact { *p == pointer } else { pointer.starts_with(p.as_str()) };
        if errors.len() != 1 || !errors.iter().all(placed) {
            failures.push(format!("{name}{pointer}: errors at {errors:?}"));
        }
        if exact {
            formats += 1;
        } else {
            codes += 1;
        }
    }
    (formats, codes, failures)
}

/// Each formatted primitive and each code of a required value set, in every struct of every
/// resource, is broken once: validation must then report exactly one error, at that element (a
/// coding checked at its `CodeableConcept` may be reported there).
#[test]
fn validation_reports_each_broken_element_where_it_is() {
    let files = exemplars();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let chunk = files.len().div_ceil(threads);
    let results: Vec<(usize, usize, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|(n, b)| break_each_leaf(n, b)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("no panic")).collect()
    });
    let formats: usize = results.iter().map(|r| r.0).sum();
    let codes: usize = results.iter().map(|r| r.1).sum();
    let failures: Vec<&String> = results.iter().flat_map(|r| &r.2).collect();
    eprintln!("broke {formats} formatted values and {codes} value-set codes");
    assert!(formats > 4_000 && codes > 500, "too few elements broken: {formats} formats, {codes} codes");
    assert!(
        failures.is_empty(),
        "{} of {} broken elements misreported:\n{}",
        failures.len(),
        formats + codes,
        failures.iter().map(|f| f.as_str()).collect::<Vec<_>>().join("\n")
    );
}
