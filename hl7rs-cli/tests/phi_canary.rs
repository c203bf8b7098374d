//! PHI canary for the command line: inputs with a unique token in every field, repetition and
//! component (Z-segments too) that trigger every kind of failure the commands report; the token
//! never appears on stderr, and on stdout only where a command's job is to show values (`parse`)
//! or to echo the header fields an acknowledgment must echo.

use std::path::PathBuf;
use std::process::Command;

const TOKEN: &str = "QZXCANARY";

fn hl7rs(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hl7rs")).args(args).output().unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Writes the canary files into a fresh directory and returns it.
fn canary_dir() -> PathBuf {
    let t = TOKEN;
    let dir = std::env::temp_dir().join(format!("hl7rs-canary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let message = format!(
        "MSH|^~\\&|{t}|{t}|{t}|{t}|{t}||ADT^A01|CTRL1|P|2.5.1\rEVN|{t}|{t}\r\
PID|{t}||{t}^{t}^^{t}&{t}~{t}||{t}^{t}||{t}|{t}\rPV1|1|{t}\rZPD|{t}^{t}~{t}|{t}\\X41\\\\Q\\\r"
    );
    let files: [(&str, String); 9] = [
        ("valid_but_wrong.hl7", message.clone()),
        ("bad_batch_count.hl7", format!("BHS|^~\\&|{t}\r{message}BTS|7|{t}\r")),
        ("bad_delimiters.hl7", format!("MSH|^^\\&|{t}|{t}\r")),
        ("no_header.hl7", format!("PID|1||{t}\r")),
        ("control_separator.hl7", format!("MSH\x01^~\\&\x01{t}\r")),
        ("junk_and_continuation.hl7", format!("{t} log line\n{message}{t} continuation\r")),
        // Notes: an MSH-2 repair, trailing bytes after an MLLP end block; no acknowledgment wanted.
        ("encoding_repair.hl7", format!("MSH|^~\\&&|{t}|{t}|{t}|{t}|{t}||ADT^A01|C2|P|2.5.1\rPID|{t}\r\x1c{t}\r")),
        ("enhanced_ne_ne.hl7", format!("MSH|^~\\&|{t}|{t}|{t}|{t}|{t}||ADT^A01|C3|P|2.5.1|||NE|NE\rPID|{t}\r")),
        // A batch: a message that breaks, a wrong count and text after the trailer (skipped span).
        ("batch_errors.hl7", format!("MSH|^|{t}\r{message}BTS|9\r{t} after the trailer\r")),
    ];
    for (name, content) in files {
        std::fs::write(dir.join(name), content).unwrap();
    }
    dir
}

#[test]
fn errors_and_diagnostics_never_show_the_token() {
    let dir = canary_dir();
    let d = dir.to_string_lossy().into_owned();
    for args in [
        vec!["parse", &d],
        vec!["parse", "--json", &d],
        vec!["--max-segments", "2", "parse", "--json", &d],
        vec!["validate", &d],
        vec!["validate", "--json", &d],
        vec!["--max-segments", "2", "validate", &d],
        vec!["ack", &d],
        vec!["ack", "--code", "ar", &d],
    ] {
        let (stdout, stderr) = hl7rs(&args);
        let command = args.iter().find(|a| ["parse", "validate", "ack"].contains(a)).copied().unwrap_or_default();
        assert!(!stderr.contains(TOKEN), "{args:?} stderr leaked the token:\n{stderr}");
        assert!(!stderr.is_empty(), "{args:?} reported nothing");
        assert!(stderr.contains(": note: "), "{args:?} reported no note:\n{stderr}");
        if command == "validate" {
            assert!(!stdout.contains(TOKEN), "{args:?} stdout leaked the token:\n{stdout}");
            assert!(stdout.contains("note"), "{args:?} listed no note as a warning:\n{stdout}");
        }
        if command == "parse" && args.contains(&"--json") {
            // Message lines show values by design; error and skipped lines and the notes never do.
            for line in stdout.lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let shown = if v.get("message").is_some() { v["notes"].to_string() } else { line.to_owned() };
                assert!(!shown.contains(TOKEN), "{args:?} NDJSON leaked the token: {shown}");
            }
            assert!(stdout.contains("\"error\""), "{args:?} wrote no error line:\n{stdout}");
        }
        if command == "ack" {
            // An ACK echoes MSH-3..6 (swapped), MSH-9/10/11/12 by design; nothing else.
            for line in stdout.split(['\r', '\n']).filter(|l| l.contains(TOKEN)) {
                assert!(line.starts_with("MSH|"), "ACK leaked the token outside MSH: {line}");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
