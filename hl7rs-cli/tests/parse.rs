//! `hl7rs parse`: text and JSON output, directories and batch files, failures with offsets.

use std::path::PathBuf;
use std::process::Command;

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus").join(rel)
}

fn hl7rs(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hl7rs")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn prints_segments_and_decoded_leaves() {
    let path = corpus("basic/adt_a01_v251_cr.hl7");
    let (code, out, err) = hl7rs(&["parse", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(byte 0, 7 segments)"));
    assert!(out.contains("  PID-5.1: TESTPATIENT\n"));
    assert!(out.contains("  MSH-9.2: A01\n"));
}

#[test]
fn decodes_escapes_and_charsets() {
    let (code, out, _) = hl7rs(&["parse", corpus("encodings/iso2022jp_ir87.hl7").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("PID-5[2].1: 五日市\n"), "{out}");
    let (code, out, _) = hl7rs(&["parse", corpus("encodings/latin1_8859_1.hl7").to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(out.contains("PID-5.1: TESTPATIENTÉ\n"), "{out}");
}

#[test]
fn json_output_is_one_document() {
    let path = corpus("batch/fhs_bhs_3_messages.hl7");
    let (code, out, err) = hl7rs(&["parse", "--json", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let messages = doc[0]["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[0]["segments"][0]["id"], "MSH");
    assert_eq!(messages[0]["segments"][0]["fields"][0], "|");
}

#[test]
fn directories_are_walked_and_failures_listed_without_content() {
    let (code, out, err) = hl7rs(&["parse", corpus("malformed").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("mshh0.hl7: byte 3: invalid field separator"), "{err}");
    assert!(err.contains("empty.hl7: byte 0: empty input"), "{err}");
    // The failure lines carry no message content.
    for line in err.lines() {
        assert!(!line.contains("TEST"), "content leaked: {line}");
    }
    // Files that do parse are still printed.
    assert!(out.contains("truncated_mid_segment.hl7 message 1"));
}

#[test]
fn missing_path_fails() {
    let (code, _, err) = hl7rs(&["parse", "/nonexistent/file.hl7"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read"));
}
