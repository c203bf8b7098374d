//! Inputs of every subcommand: directories give only message files unless `--all-files`, files
//! named on the command line are always read, symlink loops end, `-` is stdin.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const MESSAGE: &[u8] =
    b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01^ADT_A01|C1|P|2.5.1\rEVN|A01|20240101\rPID|1||1^^^H^MR||N^G\rPV1|1|I\r";

fn hl7rs(args: &[&str]) -> (i32, String, String) {
    hl7rs_with_stdin(args, None)
}

fn hl7rs_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hl7rs"))
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    common::temp_dir("inputs", name)
}

/// A directory like a corpus: messages under several extensions (any case) next to files that are
/// not messages.
fn corpus_like(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    for f in ["a.hl7", "b.TXT", "sub/c.er7", "sub/d.Msg"] {
        std::fs::write(dir.join(f), MESSAGE).unwrap();
    }
    std::fs::write(dir.join("MANIFEST.md"), b"# Corpus\n\n| file | quirk |\n").unwrap();
    std::fs::write(dir.join(".gitattributes"), b"*.hl7 -text\n").unwrap();
    dir
}

#[test]
fn directories_give_message_files_only() {
    let dir = corpus_like("filter");
    let d = dir.to_str().unwrap();
    for cmd in ["parse", "validate", "ack"] {
        let (code, _, err) = hl7rs(&[cmd, d]);
        assert_eq!(code, 0, "{cmd}: {err}");
        assert!(!err.contains("MANIFEST") && !err.contains("gitattributes"), "{cmd}: {err}");
    }
    let (_, out, _) = hl7rs(&["parse", "--json", d]);
    assert_eq!(out.lines().count(), 4, "{out}");
    let (_, _, err) = hl7rs(&["validate", d]);
    assert!(err.contains("4 messages: 0 errors, 0 warnings"), "{err}");
    let (_, out, _) = hl7rs(&["ack", "--lf", d]);
    assert_eq!(out.matches("MSA|AA|C1").count(), 4, "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn all_files_takes_every_file_and_named_files_are_always_read() {
    let dir = corpus_like("all");
    let d = dir.to_str().unwrap();
    let (code, _, err) = hl7rs(&["parse", "--all-files", d]);
    assert_eq!(code, 1, "the markdown file is not a message");
    assert!(err.contains("MANIFEST.md: byte 0: no MSH, FHS or BHS header"), "{err}");
    assert!(err.contains(".gitattributes: byte 0: no MSH, FHS or BHS header"), "{err}");
    // Named on the command line, a file is read whatever its name.
    let named = dir.join("message.dat");
    std::fs::write(&named, MESSAGE).unwrap();
    let (code, out, err) = hl7rs(&["parse", named.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("message.dat message 1"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn symlink_loops_are_reported_and_the_walk_ends() {
    let dir = corpus_like("loop");
    std::os::unix::fs::symlink(&dir, dir.join("sub/back")).unwrap();
    std::os::unix::fs::symlink(dir.join("sub"), dir.join("sub/self")).unwrap();
    let d = dir.to_str().unwrap();
    for cmd in ["parse", "validate", "ack"] {
        let (code, _, err) = hl7rs(&[cmd, d]);
        assert_eq!(code, 0, "{cmd}: {err}");
        assert!(err.contains("sub/back: note: directory already being walked (a symlink loop), skipped"), "{err}");
        assert!(err.contains("sub/self: note: directory already being walked"), "{err}");
    }
    let (_, out, _) = hl7rs(&["parse", "--json", d]);
    assert_eq!(out.lines().count(), 4, "each message once: {out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dash_reads_stdin() {
    let (code, out, err) = hl7rs_with_stdin(&["parse", "--json", "-"], Some(MESSAGE));
    assert_eq!(code, 0, "{err}");
    let line: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
    assert_eq!(line["file"], "<stdin>");
    assert_eq!(line["message"], 1);
    let (code, _, err) = hl7rs_with_stdin(&["validate", "-"], Some(MESSAGE));
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = hl7rs_with_stdin(&["ack", "--lf", "-"], Some(MESSAGE));
    assert_eq!(code, 0);
    assert!(out.contains("MSA|AA|C1"), "{out}");
    let (code, _, err) = hl7rs_with_stdin(&["parse", "-"], Some(b"PID|1|SECRET\r"));
    assert_eq!(code, 1);
    assert!(err.contains("<stdin>: byte 0: no MSH, FHS or BHS header"), "{err}");
    assert!(!err.contains("SECRET"));
}
