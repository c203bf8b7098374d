//! `hl7rs convert`: a message to a FHIR R4 message Bundle (built-in matrix), deterministic output,
//! NDJSON for several messages, issues without values.

use std::path::PathBuf;

mod common;
use common::hl7rs;

fn corpus(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus").join(rel).display().to_string()
}

#[test]
fn an_adt_a01_becomes_a_message_bundle() {
    let (code, out, err) = hl7rs(&["convert", "--bundle", &corpus("basic/adt_a01_v251_cr.hl7")]);
    assert_eq!(code, 0, "{err}");
    let bundle: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "message");
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(entries[0]["resource"]["resourceType"], "MessageHeader");
    let patient = entries.iter().map(|e| &e["resource"]).find(|r| r["resourceType"] == "Patient").unwrap();
    assert_eq!(patient["name"][0]["family"], "TESTPATIENT");
    // The same input gives the same bytes (ids from MSH-10 and positions, no clock).
    let (_, again, _) = hl7rs(&["convert", "--bundle", &corpus("basic/adt_a01_v251_cr.hl7")]);
    assert_eq!(out, again);
}

#[test]
fn ndjson_has_one_bundle_per_message_and_issues_carry_no_values() {
    let (code, out, err) =
        hl7rs(&["convert", "--issues", &corpus("basic/adt_a01_v251_cr.hl7"), &corpus("message-types")]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() >= 2);
    assert!(lines.iter().all(|b| b["resourceType"] == "Bundle"));
    for line in err.lines().filter(|l| l.contains(": map: ")) {
        assert!(!line.contains("TESTPATIENT") && !line.contains("TEST0000"), "value in an issue line: {line}");
    }
}
