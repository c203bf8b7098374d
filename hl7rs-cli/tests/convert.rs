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

fn v2_example() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hl7-map/examples/v2v2").display().to_string()
}

#[test]
fn to_v2_writes_er7_through_the_matrix() {
    let dir = std::env::temp_dir().join(format!("hl7rs-v2v2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.hl7");
    std::fs::write(
        &input,
        "MSH|^~\\&|A|B|C|D|20240131||ADT^A01^ADT_A01|7|P|2.5.1\rPID|1||123||Smith, John||19800102103000|7|||||||||||999-99-9999\rZPI|Roe, Jane\r",
    )
    .unwrap();
    let (code, out, err) =
        hl7rs(&["convert", "--to", "v2", "--v2-matrix", &v2_example(), "--issues", input.to_str().unwrap()]);
    // Code 7 is not in LocalSex: left as is, reported without the value.
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "MSH|^~\\&|A|B|C|D|20240131||ADT^A01^ADT_A01|7|P|2.5.1\rPID|1||123||SMITH^JOHN||19800102|7|ROE^JANE||||||||||\r"
    );
    assert!(err.contains("map: code not in LocalSex at PID[1]-8[1], row PID.csv:3"), "{err}");
    assert!(!err.contains("Smith") && !err.contains("999-99"), "{err}");

    // A bad matrix: file, row and column; exit 1. Without --v2-matrix: usage error.
    let bad = dir.join("bad");
    std::fs::create_dir_all(bad.join("maps")).unwrap();
    std::fs::write(bad.join("maps/x.csv"), "source,target,transform\nPID-5,PID-5,upper\nPID-7,PID-7,date:\n").unwrap();
    let (code, out, err) =
        hl7rs(&["convert", "--to", "v2", "--v2-matrix", bad.to_str().unwrap(), input.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("x.csv row 3, column transform"), "{err}");
    let (code, _, err) = hl7rs(&["convert", "--to", "v2", input.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
