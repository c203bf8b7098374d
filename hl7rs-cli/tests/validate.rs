//! `hl7rs validate`: clean messages pass; problems are listed as code, severity and location, in
//! text or JSON, without content; errors make the exit status 1.

mod common;
use common::hl7rs;

use std::path::PathBuf;

fn corpus(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus").join(rel).to_string_lossy().into_owned()
}

#[test]
fn the_well_formed_corpus_messages_validate_clean() {
    let (code, out, err) = hl7rs(&["validate", &corpus("basic"), &corpus("message-types")]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.is_empty());
    assert!(err.contains("10 messages: 0 errors, 0 warnings"), "{err}");
}

#[test]
fn problems_are_listed_with_codes_and_locations() {
    let dir = std::env::temp_dir().join(format!("hl7rs-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.hl7");
    // PID-3 missing (101), PID-8 not in table 0001 (103 warning), PV1-2 not in table 0004 (103).
    std::fs::write(&file, b"MSH|^~\\&|A|B|C|D|20240101120000||ADT^A01^ADT_A01|SECRETID|P|2.5.1\rEVN|A01|20240101\rPID|1||||SECRETNAME^X||19800101|Q\rPV1|1|Q\r").unwrap();
    let path = file.to_string_lossy().into_owned();
    let (code, out, _) = hl7rs(&["validate", &path]);
    assert_eq!(code, 1);
    assert!(out.contains("E 101 required field missing at PID segment 3 field 3"), "{out}");
    assert!(!out.contains("SECRET"), "content leaked: {out}");
    let (code, out, _) = hl7rs(&["validate", "--json", &path]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let diags = doc[0]["diagnostics"].as_array().unwrap();
    assert!(diags.iter().any(|d| d["code"] == 101 && d["segment"] == "PID" && d["field"] == 3));
    assert!(diags.iter().all(|d| d["offset"].as_u64().is_some()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unparseable_files_fail_with_offset_and_kind() {
    let (code, _, err) = hl7rs(&["validate", &corpus("malformed/mshh0.hl7")]);
    assert_eq!(code, 1);
    assert!(err.contains("byte 3: invalid field separator"), "{err}");
}

#[test]
fn parser_notes_are_warnings() {
    let dir = std::env::temp_dir().join(format!("hl7rs-validate-notes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("repaired.hl7");
    // MSH-2 `^~\&&` (repaired) and a continuation line in PID-5; otherwise a clean ADT^A01.
    std::fs::write(
        &file,
        b"MSH|^~\\&&|A|B|C|D|20240101||ADT^A01^ADT_A01|C1|P|2.5.1\rEVN|A01|20240101\rPID|1||1^^^H^MR||N^G\nSECRET\rPV1|1|I\r",
    )
    .unwrap();
    let path = file.to_string_lossy().into_owned();
    let (code, out, err) = hl7rs(&["validate", &path]);
    assert_eq!(code, 0, "warnings only: {out}{err}");
    assert!(err.contains("1 messages: 0 errors, 2 warnings"), "{err}");
    assert!(
        out.contains(&format!(
            "{path}: message at byte 0: W note: MSH-2 repaired: encoding characters dropped from byte 8"
        )),
        "{out}"
    );
    assert!(out.contains("W note: joined 1 continuation lines"), "{out}");
    assert!(!out.contains("SECRET") && !err.contains("SECRET"), "content leaked: {out}{err}");
    assert_eq!(hl7rs(&["validate", "--strict", &path]).0, 1);
    let (_, out, _) = hl7rs(&["validate", "--json", &path]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let notes: Vec<_> = doc[0]["diagnostics"].as_array().unwrap().iter().filter(|d| d["code"].is_null()).collect();
    assert_eq!(notes.len(), 2, "{out}");
    assert_eq!(
        (&notes[0]["severity"], &notes[0]["note"], &notes[0]["offset"]),
        (&"W".into(), &"encoding_repair".into(), &8.into())
    );
    assert_eq!(notes[1]["note"], "continuation_lines");
    assert!(!out.contains("SECRET"));
    std::fs::remove_dir_all(&dir).unwrap();
}
