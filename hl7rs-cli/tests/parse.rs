//! `hl7rs parse`: text and JSON output, directories and batch files, failures with offsets.

mod common;
use common::hl7rs;

use std::path::PathBuf;

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus").join(rel)
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

/// Each stdout line of `parse --json` as JSON (each line must parse on its own).
fn ndjson(out: &str) -> Vec<serde_json::Value> {
    out.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

/// A fresh directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    common::temp_dir("parse", name)
}

#[test]
fn ndjson_gives_one_line_per_message_of_a_batch() {
    let path = corpus("batch/fhs_bhs_3_messages.hl7");
    let (code, out, err) = hl7rs(&["parse", "--json", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let lines = ndjson(&out);
    assert_eq!(lines.len(), 3, "{out}");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["file"], path.to_str().unwrap());
        assert_eq!(line["message"], i + 1);
        assert!(line["offset"].as_u64().is_some());
        assert!(line["notes"].is_array());
        assert_eq!(line["segments"][0]["id"], "MSH");
        assert_eq!(line["segments"][0]["fields"][0], "|");
    }
    assert!(lines[1]["offset"].as_u64() > lines[0]["offset"].as_u64());
}

#[test]
fn ndjson_tells_repetitions_from_components() {
    let dir = temp_dir("shape");
    let file = dir.join("shape.hl7");
    std::fs::write(&file, b"MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5.1\rPID|1||X~Y|X^Y|X&Y|X\r").unwrap();
    let (code, out, err) = hl7rs(&["parse", "--json", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let lines = ndjson(&out);
    let pid = &lines[0]["segments"][1];
    assert_eq!(pid["fields"][2], serde_json::json!(["X", "Y"]));
    assert_eq!(pid["fields"][3], serde_json::json!([["X", "Y"]]));
    assert_eq!(pid["fields"][4], serde_json::json!([[["X", "Y"]]]));
    assert_eq!(pid["fields"][5], "X");
    assert_ne!(pid["fields"][2], pid["fields"][3]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ndjson_error_and_skipped_lines_carry_offsets_and_kinds() {
    let dir = temp_dir("errors");
    let file = dir.join("mixed.hl7");
    // A good message, a message with a broken header, a batch trailer with a wrong count, then text.
    std::fs::write(&file, b"MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5\rPID|1\rMSH|^|SECRET\rBTS|5\rSECRET trailing\r")
        .unwrap();
    let (code, out, err) = hl7rs(&["parse", "--json", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    let lines = ndjson(&out);
    assert_eq!(lines[0]["message"], 1);
    let errors: Vec<_> = lines.iter().filter(|l| l.get("error").is_some()).collect();
    assert_eq!(errors.len(), 2, "{out}");
    assert_eq!(errors[0]["file"], file.to_str().unwrap());
    assert_eq!(errors[0]["error"]["kind"], "fewer than two encoding characters");
    assert_eq!(errors[0]["error"]["offset"], 46);
    assert_eq!(errors[0]["error"]["segment"], 3);
    assert_eq!(errors[1]["error"]["kind"], "batch count mismatch: trailer says 5, found 2");
    let skipped: Vec<_> = lines.iter().filter(|l| l.get("skipped").is_some()).collect();
    assert_eq!(skipped.len(), 1, "{out}");
    assert_eq!((&skipped[0]["skipped"]["offset"], &skipped[0]["skipped"]["len"]), (&60.into(), &16.into()));
    for line in lines.iter().filter(|l| l.get("message").is_none()) {
        assert!(!line.to_string().contains("SECRET"), "content leaked: {line}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn repairs_and_continuation_lines_are_noted_on_stderr() {
    let dir = temp_dir("notes");
    let file = dir.join("repaired.hl7");
    // MSH-2 `^~\&&` repeats `&` (repaired), and `SECRET more text` continues PID.
    std::fs::write(&file, b"MSH|^~\\&&|A|B|C|D|||ADT^A01|1|P|2.5\rPID|1||X\nSECRET more text\rPV1|1\r").unwrap();
    let name = file.to_str().unwrap();
    for json in [false, true] {
        let args: Vec<&str> = if json { vec!["parse", "--json", name] } else { vec!["parse", name] };
        let (code, out, err) = hl7rs(&args);
        assert_eq!(code, 0, "{err}");
        assert!(
            err.contains(&format!("{name}: message 1: note: MSH-2 repaired: encoding characters dropped from byte 8")),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "{name}: message 1: note: joined 1 continuation lines to the segment before them (first at byte"
            )),
            "{err}"
        );
        assert!(!err.contains("SECRET"), "content leaked: {err}");
        if json {
            let notes = &ndjson(&out)[0]["notes"];
            let kinds: Vec<_> = notes.as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap()).collect();
            assert_eq!(kinds, ["encoding_repair", "continuation_lines"]);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn max_segments_limit_fails_with_offset_not_content() {
    let dir = temp_dir("limit");
    let file = dir.join("three.hl7");
    std::fs::write(&file, b"MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5\rPID|1||SECRET\rPV1|1|SECRET\r").unwrap();
    let name = file.to_str().unwrap();
    let (code, _, err) = hl7rs(&["parse", name]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = hl7rs(&["--max-segments", "2", "parse", name]);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains(&format!("{name}: byte 49 (segment 3): limit exceeded: segments in a message (configured 2)")),
        "{err}"
    );
    assert!(!err.contains("SECRET"), "content leaked: {err}");
    // The flag is global: after the subcommand too, and for --max-bytes.
    let (code, out, _) = hl7rs(&["parse", "--json", "--max-bytes", "20", name]);
    assert_eq!(code, 1);
    assert_eq!(ndjson(&out)[0]["error"]["kind"], "limit exceeded: bytes in a message (configured 20)");
    std::fs::remove_dir_all(&dir).unwrap();
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

/// The SS-MIX2 header spells its charset `ISOIR87`: read leniently, and the repair is reported on
/// stderr and in the JSON line, like the parser's own repairs.
#[test]
fn lenient_charset_names_are_noted() {
    let dir = std::env::temp_dir().join(format!("hl7rs-charset-note-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ssmix2.hl7");
    std::fs::write(&file, b"MSH|^~\\&|A|B|C|D|20240101||ADT^A08|1|P|2.5||||||~ISOIR87||ISO 2022-1994\rPID|1\r")
        .unwrap();
    let (code, _, err) = hl7rs(&["parse", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("message 1: note: MSH-18 charset name at byte 49 read leniently"), "{err}");
    let (code, out, _) = hl7rs(&["parse", "--json", file.to_str().unwrap()]);
    assert_eq!(code, 0);
    let line: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(line["notes"][0]["kind"], "charset_name_repaired");
    std::fs::remove_dir_all(&dir).unwrap();
}
