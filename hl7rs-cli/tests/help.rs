//! Help and usage: only the commands that exist, an example for each, documented exit codes and
//! limits; usage errors exit 2.

mod common;
use common::hl7rs;

#[test]
fn top_level_help_lists_only_existing_commands() {
    let (code, out, _) = hl7rs(&["--help"]);
    assert_eq!(code, 0);
    let commands: Vec<&str> = out
        .split("Commands:")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(commands, ["parse", "validate", "ack", "profile", "anonymize", "convert", "mllp", "help"], "{out}");
    assert!(out.contains("Exit status:") && out.contains("2  usage error"), "{out}");
}

#[test]
fn each_subcommand_has_an_example_and_exit_codes() {
    for cmd in ["parse", "validate", "ack", "profile", "anonymize", "convert"] {
        let (code, out, _) = hl7rs(&[cmd, "--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("Examples:") && out.contains(&format!("hl7rs {cmd} ")), "{cmd}: {out}");
        assert!(out.contains("Exit status:"), "{cmd}: {out}");
        assert!(out.contains("--max-bytes") && out.contains("--max-segments") && out.contains("--all-files"), "{out}");
    }
    for cmd in ["listen", "send", "export"] {
        let (code, out, _) = hl7rs(&["mllp", cmd, "--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("Examples:") && out.contains(&format!("hl7rs mllp {cmd} ")), "{cmd}: {out}");
        assert!(out.contains("Exit status:"), "{cmd}: {out}");
    }
    // The new flags of listen and send each have an example.
    let (_, listen, _) = hl7rs(&["mllp", "listen", "--help"]);
    for flag in ["--tls-cert", "--tls-client-ca", "--allow", "--metrics", "--verbose"] {
        assert!(
            listen.lines().any(|l| l.trim_start().starts_with("hl7rs mllp listen") && l.contains(flag)),
            "{flag}: {listen}"
        );
    }
    let (_, send, _) = hl7rs(&["mllp", "send", "--help"]);
    for flag in ["--tls", "--tls-ca", "--tls-cert", "--window"] {
        assert!(
            send.lines().any(|l| l.trim_start().starts_with("hl7rs mllp send") && l.contains(flag)),
            "{flag}: {send}"
        );
    }
    let (_, out, _) = hl7rs(&["parse", "--help"]);
    assert!(out.contains("NDJSON"), "{out}");
    assert!(out.contains("10 MiB") && out.contains("50000"), "limits' defaults: {out}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(hl7rs(&["parse"]).0, 2, "missing path");
    assert_eq!(hl7rs(&["mllp", "x"]).0, 2, "no such command");
    assert_eq!(hl7rs(&["ack", "--code", "xx", "x"]).0, 2, "bad code");
    assert_eq!(hl7rs(&["--max-segments", "many", "parse", "x"]).0, 2, "bad number");
    assert_eq!(hl7rs(&["anonymize", "x"]).0, 2, "missing --out");
    assert_eq!(hl7rs(&["mllp", "listen", "--out", "x"]).0, 2, "missing --port");
    assert_eq!(hl7rs(&["mllp", "send", "x"]).0, 2, "missing --to");
    assert_eq!(hl7rs(&["profile", "--quiet", "--verbose", "x"]).0, 2, "quiet and verbose");
    assert_eq!(hl7rs(&["mllp", "listen", "--port", "0", "--out", "x", "-q", "-v"]).0, 2, "quiet and verbose");
    assert_eq!(hl7rs(&["mllp", "listen", "--port", "0", "--out", "x", "--allow", "10.0.0.0/33"]).0, 2, "bad CIDR");
    assert_eq!(hl7rs(&["mllp", "send", "x", "--to", "h:1", "--tls"]).0, 2, "--tls without --tls-ca");
    assert_eq!(hl7rs(&["mllp", "export", "x"]).0, 2, "missing --out");
}
