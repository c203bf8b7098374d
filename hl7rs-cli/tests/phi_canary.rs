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
    let files: [(&str, String); 6] = [
        ("valid_but_wrong.hl7", message.clone()),
        ("bad_batch_count.hl7", format!("BHS|^~\\&|{t}\r{message}BTS|7|{t}\r")),
        ("bad_delimiters.hl7", format!("MSH|^^\\&|{t}|{t}\r")),
        ("no_header.hl7", format!("PID|1||{t}\r")),
        ("control_separator.hl7", format!("MSH\x01^~\\&\x01{t}\r")),
        ("junk_and_continuation.hl7", format!("{t} log line\n{message}{t} continuation\r")),
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
        vec!["validate", &d],
        vec!["validate", "--json", &d],
        vec!["ack", &d],
    ] {
        let (stdout, stderr) = hl7rs(&args);
        assert!(!stderr.contains(TOKEN), "{args:?} stderr leaked the token:\n{stderr}");
        assert!(!stderr.is_empty(), "{args:?} reported nothing");
        if args[0] == "validate" {
            assert!(!stdout.contains(TOKEN), "{args:?} stdout leaked the token:\n{stdout}");
        }
        if args[0] == "ack" {
            // An ACK echoes MSH-3..6 (swapped), MSH-9/10/11/12 by design; nothing else.
            for line in stdout.split(['\r', '\n']).filter(|l| l.contains(TOKEN)) {
                assert!(line.starts_with("MSH|"), "ACK leaked the token outside MSH: {line}");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
