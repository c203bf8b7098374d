//! Every expected Bundle in `shared/conformance/cases` reads into typed values and writes back
//! to an equal JSON value.

#[path = "../../hl7-core/tests/common/shared.rs"]
mod shared;

use std::path::{Path, PathBuf};

use fhir_model::{ReadMode, Resource};
use serde_json::Value;

fn cases_dir() -> Option<PathBuf> {
    shared::shared_dir("conformance/cases")
}

fn fhir_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            fhir_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "fhir") {
            out.push(p);
        }
    }
}

#[allow(clippy::many_single_char_names)]
/// JSON paths where `a` and `b` differ (at most `limit`).
fn diff(a: &Value, b: &Value, path: &str, out: &mut Vec<String>, limit: usize) {
    if out.len() >= limit {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => diff(p, q, &format!("{path}.{k}"), out, limit),
                    (Some(_), None) => out.push(format!("{path}.{k} (dropped)")),
                    (None, _) => out.push(format!("{path}.{k} (added)")),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff(p, q, &format!("{path}[{i}]"), out, limit);
            }
        }
        _ if a == b => {}
        _ => out.push(format!("{path} (differs)")),
    }
}

/// Drops empty objects, arrays and strings (recursively), noting their paths.
fn without_empty(v: Value, path: &str, dropped: &mut Vec<String>) -> Value {
    fn is_empty(v: &Value) -> bool {
        match v {
            Value::Object(o) => o.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::String(s) => s.is_empty(),
            _ => false,
        }
    }
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .filter_map(|(k, x)| {
                    let p = format!("{path}.{k}");
                    let x = without_empty(x, &p, dropped);
                    if is_empty(&x) {
                        dropped.push(p);
                        None
                    } else {
                        Some((k, x))
                    }
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(
            a.into_iter()
                .enumerate()
                .filter_map(|(i, x)| {
                    let p = format!("{path}[{i}]");
                    let x = without_empty(x, &p, dropped);
                    if is_empty(&x) {
                        dropped.push(p);
                        None
                    } else {
                        Some(x)
                    }
                })
                .collect(),
        ),
        other => other,
    }
}

#[test]
fn conformance_bundles_round_trip() {
    let Some(dir) = cases_dir() else { return };
    let mut files = Vec::new();
    fhir_files(&dir, &mut files);
    assert!(!files.is_empty(), "no .fhir file under {}", dir.display());
    files.sort();
    let mut failures = Vec::new();
    let mut normalized = Vec::new();
    for f in &files {
        let name = f.strip_prefix(&dir).unwrap_or(f).display().to_string();
        let bytes = std::fs::read(f).expect("readable case");
        let typed = match Resource::from_json(&bytes, ReadMode::Strict) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{name}: read: {e}"));
                continue;
            }
        };
        let written = typed.to_json().expect("writes");
        let original: Value = serde_json::from_slice(&bytes).expect("case is JSON");
        let again: Value = serde_json::from_slice(&written).expect("output is JSON");
        let mut empties = Vec::new();
        let original = without_empty(original, "", &mut empties);
        if !empties.is_empty() {
            normalized.push(format!("{name}: {}", empties.join(", ")));
        }
        let mut paths = Vec::new();
        diff(&original, &again, "", &mut paths, 5);
        if !paths.is_empty() {
            failures.push(format!("{name}: differs at {}", paths.join(", ")));
        }
        // A second round trip is byte-identical: numbers and dates keep their lexical form.
        let again_typed = Resource::from_json(&written, ReadMode::Strict).expect("reads own output");
        if again_typed.to_json().expect("writes") != written {
            failures.push(format!("{name}: second write differs from the first"));
        }
    }
    if !normalized.is_empty() {
        eprintln!(
            "note: {} expected bundles contain empty objects/arrays/strings, which FHIR JSON forbids and this crate does not write; \
             they are compared after removing them:",
            normalized.len()
        );
        for n in &normalized {
            eprintln!("  {n}");
        }
    }
    assert!(failures.is_empty(), "{} of {} cases fail:\n{}", failures.len(), files.len(), failures.join("\n"));
    eprintln!("{} conformance bundles round-tripped", files.len());
}
