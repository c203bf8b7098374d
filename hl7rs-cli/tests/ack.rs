//! `hl7rs ack`: one acknowledgment per message, the outcome asked for, never an ACK to an ACK.

use std::path::PathBuf;
use std::process::Command;

use hl7rs::Message;

fn corpus(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus").join(rel).to_string_lossy().into_owned()
}

fn hl7rs(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hl7rs")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), out.stdout, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The acknowledgments printed, one per line group (each ends with "\r\n").
fn acks(stdout: &[u8]) -> Vec<Vec<u8>> {
    stdout.split_inclusive(|&b| b == b'\n').map(|a| a.strip_suffix(b"\n").unwrap_or(a).to_vec()).collect()
}

fn field(ack: &[u8], path: &str) -> String {
    let msg = Message::parse(ack).unwrap();
    msg.query(path).unwrap().map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).unwrap_or_default()
}

#[test]
fn accepts_each_message_of_a_batch() {
    let (code, out, err) = hl7rs(&["ack", &corpus("batch/fhs_bhs_3_messages.hl7")]);
    assert_eq!(code, 0, "{err}");
    let acks = acks(&out);
    assert_eq!(acks.len(), 3);
    for a in &acks {
        assert_eq!(field(a, "MSA-1"), "AA");
        assert_eq!(field(a, "MSH-9.1"), "ACK");
    }
    assert_ne!(field(&acks[0], "MSA-2"), field(&acks[1], "MSA-2"));
}

#[test]
fn error_and_reject_outcomes() {
    let adt = corpus("basic/adt_a01_v251_cr.hl7");
    let (_, out, _) = hl7rs(&["ack", "--code", "ae", &adt]);
    let a = &acks(&out)[0];
    assert_eq!(
        (field(a, "MSA-1"), field(a, "MSA-2"), field(a, "ERR-3.1")),
        ("AE".into(), "CTRL0001".into(), "207".into())
    );
    let (code, out, err) = hl7rs(&["ack", "--code", "ar", &adt]);
    assert_eq!(code, 0, "a reject asked for is not a failure: {err}");
    let a = &acks(&out)[0];
    assert_eq!(field(a, "MSA-1"), "AR");
    assert!(!String::from_utf8_lossy(a).contains("ERR"), "AR invents no ERR 207: {}", String::from_utf8_lossy(a));
}

#[test]
fn codes_are_accepted_in_any_case() {
    let adt = corpus("basic/adt_a01_v251_cr.hl7");
    for (code, expected) in [("AA", "AA"), ("aa", "AA"), ("AE", "AE"), ("Ar", "AR")] {
        let (status, out, err) = hl7rs(&["ack", "--code", code, &adt]);
        assert_eq!(status, 0, "{code}: {err}");
        assert_eq!(field(&acks(&out)[0], "MSA-1"), expected, "{code}");
    }
}

/// A temp file holding an ADT^A01 with the given MSH-15 and MSH-16.
fn enhanced(name: &str, accept: &str, application: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("hl7rs-ack-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("enhanced.hl7");
    let msg = format!("MSH|^~\\&|A|B|C|D|20240101||ADT^A01^ADT_A01|E1|P|2.5.1|||{accept}|{application}\rPID|1\r");
    std::fs::write(&file, msg).unwrap();
    let path = file.to_string_lossy().into_owned();
    (dir, path)
}

#[test]
fn enhanced_mode_al_ne_gets_a_commit_ack() {
    let (dir, path) = enhanced("al-ne", "AL", "NE");
    let (code, out, err) = hl7rs(&["ack", &path]);
    assert_eq!(code, 0, "{err}");
    let acks = acks(&out);
    assert_eq!(acks.len(), 1);
    assert_eq!((field(&acks[0], "MSA-1"), field(&acks[0], "MSA-2")), ("CA".into(), "E1".into()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn enhanced_mode_al_er_gets_commit_and_application_acks_on_error() {
    let (dir, path) = enhanced("al-er", "AL", "ER");
    let (code, out, err) = hl7rs(&["ack", "--code", "AE", &path]);
    assert_eq!(code, 0, "{err}");
    let acks = acks(&out);
    assert_eq!(acks.len(), 2);
    assert_eq!(field(&acks[0], "MSA-1"), "CA");
    assert_eq!((field(&acks[1], "MSA-1"), field(&acks[1], "ERR-3.1")), ("AE".into(), "207".into()));
    assert_ne!(field(&acks[0], "MSH-10"), field(&acks[1], "MSH-10"), "each ACK has its own control id");
    let (_, out, _) = hl7rs(&["ack", &path]);
    assert_eq!(self::acks(&out).len(), 1, "success: the commit ACK only");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn enhanced_mode_ne_ne_gets_nothing_and_a_note() {
    let (dir, path) = enhanced("ne-ne", "NE", "NE");
    let (code, out, err) = hl7rs(&["ack", &path]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "{out:?}");
    assert!(err.contains(&format!("{path}: message 1: note: the sender asked for no acknowledgment")), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn never_acknowledges_an_ack_and_rejects_unreadable_input() {
    let (code, out, err) = hl7rs(&["ack", &corpus("basic/ack_a01.hl7"), &corpus("malformed/mshh0.hl7")]);
    assert_eq!(code, 1);
    assert!(err.contains("never acknowledged"));
    let acks = acks(&out);
    assert_eq!(acks.len(), 1, "only the unreadable file gets an answer");
    assert_eq!(field(&acks[0], "MSA-1"), "AR");
    assert_eq!(field(&acks[0], "MSA-2"), "");
}

#[test]
fn input_over_the_limits_gets_the_minimal_reject() {
    let adt = corpus("basic/adt_a01_v251_cr.hl7");
    let (code, out, err) = hl7rs(&["--max-segments", "2", "ack", &adt]);
    assert_eq!(code, 1);
    assert!(err.contains("limit exceeded: segments in a message (configured 2)"), "{err}");
    let acks = acks(&out);
    assert_eq!(acks.len(), 1);
    assert_eq!((field(&acks[0], "MSA-1"), field(&acks[0], "MSA-2")), ("AR".into(), String::new()));
    assert_eq!(field(&acks[0], "ERR-3.1"), "104");
}
