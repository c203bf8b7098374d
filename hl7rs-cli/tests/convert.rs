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

/// The files of a directory (name → bytes).
fn files(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

fn manifest(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn ndjson_writes_one_file_per_resource_type_and_a_manifest_that_counts_them() {
    let dir = common::temp_dir("convert", "ndjson");
    let out = dir.join("out");
    let (code, stdout, err) = hl7rs(&[
        "convert",
        "--ndjson",
        out.to_str().unwrap(),
        &corpus("basic/adt_a01_v251_cr.hl7"),
        &corpus("message-types"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.is_empty());
    let m = manifest(&out);
    assert!(m.get("transactionTime").is_none(), "no clock without --recorded");
    assert_eq!(m["requiresAccessToken"], false);
    assert!(m["request"].as_str().unwrap().starts_with("hl7rs convert "));
    assert_eq!(m["error"], serde_json::json!([]));
    let written = files(&out);
    let mut listed = vec!["manifest.json".to_owned()];
    let mut patients = 0;
    for item in m["output"].as_array().unwrap() {
        let (kind, url, count) =
            (item["type"].as_str().unwrap(), item["url"].as_str().unwrap(), item["count"].as_u64().unwrap());
        assert_eq!(url, format!("{kind}.ndjson"));
        listed.push(url.to_owned());
        let text = String::from_utf8(written[url].clone()).unwrap();
        assert!(text.ends_with('\n') && !text.contains('\r'));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len() as u64, count, "{url}");
        for line in lines {
            let r: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(r["resourceType"], kind);
            assert!(r["id"].is_string());
            // References between the resources of a message are Type/id, not urn:uuid.
            assert!(!line.contains("\"reference\":\"urn:uuid:"), "{line}");
        }
        if kind == "Patient" {
            patients = count;
        }
    }
    assert!(patients >= 2, "one Patient per message with a PID");
    listed.sort();
    assert_eq!(written.keys().cloned().collect::<Vec<_>>(), listed, "every file is in the manifest");
    // With --recorded the manifest has the transaction time.
    let again = dir.join("again");
    let (code, _, err) = hl7rs(&[
        "convert",
        "--ndjson",
        again.to_str().unwrap(),
        "--recorded",
        "2025-03-04T05:06:07Z",
        &corpus("basic/adt_a01_v251_cr.hl7"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(manifest(&again)["transactionTime"], "2025-03-04T05:06:07Z");
}

#[test]
fn an_unparseable_message_lands_in_the_error_file_with_its_kind_and_offset() {
    let dir = common::temp_dir("convert", "errors");
    let good = "MSH|^~\\&|APP|FAC|||20240131093000-0500||ADT^A01|1|P|2.5.1\rPID|1||123^^^H^MR||QZSECRET^Jane\r";
    // The second message's header has one encoding character: it does not parse.
    let input = dir.join("batch.hl7");
    std::fs::write(&input, format!("{good}MSH|^|QZSECRET\rPID|1||QZSECRET\r")).unwrap();
    let out = dir.join("out");
    let (code, _, err) = hl7rs(&["convert", "--ndjson", out.to_str().unwrap(), input.to_str().unwrap()]);
    assert_eq!(code, 1, "a message failed: {err}");
    let m = manifest(&out);
    assert_eq!(m["error"][0]["type"], "OperationOutcome");
    assert_eq!(m["error"][0]["url"], "OperationOutcome.ndjson");
    assert_eq!(m["error"][0]["count"], 1);
    assert_eq!(m["output"].as_array().unwrap().iter().find(|o| o["type"] == "Patient").unwrap()["count"], 1);
    let text = std::fs::read_to_string(out.join("OperationOutcome.ndjson")).unwrap();
    assert!(!text.contains("QZSECRET"), "{text}");
    let outcome: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    let issue = &outcome["issue"][0];
    assert_eq!(issue["severity"], "error");
    let diagnostics = issue["diagnostics"].as_str().unwrap();
    // The offset is the byte in the file: inside the second message.
    let offset: usize = diagnostics
        .split("byte ")
        .nth(1)
        .unwrap()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(offset >= good.len(), "{diagnostics}");
    assert!(diagnostics.contains("batch.hl7") && diagnostics.contains("encoding"), "{diagnostics}");
    let outcome: hl7rs::fhir::Resource =
        hl7rs::fhir::from_json_str(text.lines().next().unwrap(), hl7rs::fhir::ReadMode::Strict).unwrap();
    assert!(!outcome.validate().has_errors());
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let dir = common::temp_dir("convert", "determinism");
    let run = |name: &str| {
        let out = dir.join(name);
        let (code, _, err) = hl7rs(&[
            "convert",
            "--ndjson",
            out.to_str().unwrap(),
            "--lineage",
            "--coverage",
            "--issues",
            "--audit",
            &corpus("basic"),
            &corpus("z-segments"),
        ]);
        assert_eq!(code, 0, "{err}");
        files(&out)
    };
    let (a, b) = (run("a"), run("b"));
    assert!(a.contains_key("Patient.ndjson") && a.contains_key("lineage.ndjson") && a.contains_key("coverage.ndjson"));
    assert_eq!(a, b);
    // The Bundles on stdout too.
    let args =
        ["convert", "--bundle-type", "transaction", "--audit", "--recorded", "2025-01-02T03:04:05Z", &corpus("basic")];
    assert_eq!(hl7rs(&args).1, hl7rs(&args).1);
}

/// A message with a token in every field, component and subcomponent (a Z-segment too).
fn canary_message() -> String {
    [
        "MSH|^~\\&|QZC01APP|QZC02FAC|QZC03RCV|QZC04RFAC|20240131093000-0500||ADT^A01^ADT_A01|QZC05CTL|P|2.5.1",
        "EVN|QZC06|20240131093000-0500",
        "PID|1|QZC07ALT|QZC08ID^^^QZC09AUTH&QZC10&ISO^MR||QZC11FAM^QZC12GIV^QZC13MID||19800101|QZC14SEX|||QZC15ST^^QZC16CITY^QZC17ST^QZC18ZIP||QZC19TEL",
        "PV1|1|QZC20|QZC21^QZC22^QZC23",
        "ZQZ|QZC24^QZC25&QZC26|QZC27~QZC28",
        "",
    ]
    .join("\r")
}

#[test]
fn issue_coverage_lineage_and_error_lines_carry_no_values() {
    let dir = common::temp_dir("convert", "canary");
    let input = dir.join("canary.hl7");
    std::fs::write(&input, canary_message()).unwrap();
    let out = dir.join("out");
    let (code, _, err) = hl7rs(&[
        "convert",
        "--ndjson",
        out.to_str().unwrap(),
        "--lineage",
        "--coverage",
        "--issues",
        "--audit",
        input.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let written = files(&out);
    // The tokens reached the resources (the test would prove nothing otherwise)...
    assert!(String::from_utf8_lossy(&written["Patient.ndjson"]).contains("QZC11FAM"));
    // ...and none of the side files, nor stderr.
    for name in ["lineage.ndjson", "coverage.ndjson", "OperationOutcome.ndjson", "manifest.json"] {
        let text = String::from_utf8_lossy(&written[name]);
        assert!(!text.is_empty(), "{name} is empty");
        assert!(!text.contains("QZC"), "{name}: {text}");
    }
    assert!(!err.contains("QZC"), "{err}");
    // The Z-segment's leaves are all listed as not covered.
    let coverage = String::from_utf8_lossy(&written["coverage.ndjson"]);
    for p in ["ZQZ-1[1].1", "ZQZ-1[1].2.1", "ZQZ-1[1].2.2", "ZQZ-2[1]", "ZQZ-2[2]"] {
        assert!(coverage.contains(&format!("\"source\":\"{p}\"")), "{p}: {coverage}");
    }
    // The same on stderr without --ndjson.
    let (code, stdout, err) = hl7rs(&["convert", "--lineage", "--coverage", "--issues", input.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.contains("QZC11FAM"));
    assert!(err.lines().any(|l| l.starts_with("{\"element\":")), "{err}");
    assert!(err.lines().any(|l| l.starts_with("{\"coverage_summary\":")), "{err}");
    assert!(err.contains(": map: "));
    assert!(!err.contains("QZC"), "{err}");
}

#[test]
fn a_transaction_bundle_with_its_audit_event_validates() {
    let (code, out, err) = hl7rs(&[
        "convert",
        "--bundle",
        "--bundle-type",
        "transaction",
        "--audit",
        "--recorded",
        "2025-01-02T03:04:05Z",
        &corpus("basic/adt_a01_v251_cr.hl7"),
    ]);
    assert_eq!(code, 0, "{err}");
    let bundle: hl7rs::fhir::Resource = hl7rs::fhir::from_json_str(&out, hl7rs::fhir::ReadMode::Strict).unwrap();
    let report = bundle.validate();
    assert!(!report.has_errors(), "{report}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["type"], "transaction");
    let entries = json["entry"].as_array().unwrap();
    for e in entries {
        assert_eq!(e["request"]["method"], "POST");
        assert_eq!(e["request"]["url"], e["resource"]["resourceType"]);
    }
    let audit = entries.iter().map(|e| &e["resource"]).find(|r| r["resourceType"] == "AuditEvent").unwrap();
    assert_eq!(audit["recorded"], "2025-01-02T03:04:05Z");
    // A collection has no requests.
    let (_, out, _) = hl7rs(&["convert", "--bundle-type", "collection", &corpus("basic/adt_a01_v251_cr.hl7")]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["type"], "collection");
    assert!(json["entry"].as_array().unwrap().iter().all(|e| e.get("request").is_none()));
}

#[test]
fn issue_offsets_are_bytes_of_the_file() {
    let dir = common::temp_dir("convert", "offsets");
    let one = "MSH|^~\\&|APP|FAC|||20240131093000-0500||ADT^A01|1|P|2.5.1\rPID|1||123^^^H^MR||Doe^Jane||19800101|F\r";
    let two = "MSH|^~\\&|APP|FAC|||20240131093000-0500||ADT^A01|2|P|2.5.1\rPID|1||123^^^H^MR||Doe^Jane||19800101|QZ\r";
    let input = dir.join("two.hl7");
    std::fs::write(&input, format!("{one}{two}")).unwrap();
    let (code, _, err) = hl7rs(&["convert", "--issues", input.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let line = err.lines().find(|l| l.contains("message 2: map: unmapped code")).unwrap_or_else(|| panic!("{err}"));
    let offset: usize = line.split("(byte ").nth(1).unwrap().split(')').next().unwrap().parse().unwrap();
    assert_eq!(&format!("{one}{two}").as_bytes()[offset..offset + 2], b"QZ", "{line}");
}

#[test]
fn a_bad_recorded_time_is_a_usage_error() {
    let (code, _, err) = hl7rs(&["convert", "--recorded", "yesterday", &corpus("basic/adt_a01_v251_cr.hl7")]);
    assert_eq!(code, 2);
    assert!(err.contains("FHIR instant"), "{err}");
    let (code, _, _) = hl7rs(&["convert", "--bundle", "--ndjson", "x", &corpus("basic/adt_a01_v251_cr.hl7")]);
    assert_eq!(code, 2, "--bundle and --ndjson conflict");
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
