//! `hl7rs anonymize`: outputs under --out with the same relative paths, structure kept, keys give
//! the same output, no canary token survives outside kept fields, safe harbor.

mod common;
use common::hl7rs;

use std::path::{Path, PathBuf};

use hl7rs::{Batch, BatchEntry, Message};

fn temp_dir(name: &str) -> PathBuf {
    common::temp_dir("anonymize", name)
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            files(&e, out);
        } else if e.extension().is_some_and(|x| x == "hl7") {
            out.push(e);
        }
    }
}

/// A segment id and per field, per repetition, its component count.
type SegmentShape = (Vec<u8>, Vec<Vec<usize>>);

/// Segment ids and per field the repetition and component counts, per message.
fn shapes(bytes: &[u8]) -> Option<Vec<Vec<SegmentShape>>> {
    let mut out = Vec::new();
    for entry in Batch::new(bytes).entries() {
        match entry {
            Ok(BatchEntry::Message(m)) => out.push(shape(&m)),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    Some(out)
}

fn shape(m: &Message<'_>) -> Vec<SegmentShape> {
    m.segments()
        .map(|s| {
            (s.id().to_vec(), s.fields().map(|f| f.repetitions().map(|r| r.components().count()).collect()).collect())
        })
        .collect()
}

#[test]
fn corpus_keeps_paths_and_structure() {
    let out = temp_dir("corpus");
    let (code, _, err) =
        hl7rs(&["anonymize", corpus().to_str().unwrap(), "--out", out.to_str().unwrap(), "--key", "k"]);
    assert_eq!(code, 1, "the corpus has malformed files: {err}");
    assert!(err.contains("no_msh.hl7: byte 0:"), "{err}");
    let mut inputs = Vec::new();
    files(&corpus(), &mut inputs);
    let mut same_shape = 0;
    for input in &inputs {
        let rel = input.strip_prefix(corpus()).unwrap();
        let before = std::fs::read(input).unwrap();
        let after = std::fs::read(out.join(rel)).unwrap_or_else(|_| panic!("{} not written", rel.display()));
        assert_eq!(before.len(), after.len(), "{}", rel.display());
        if let Some(shape) = shapes(&before) {
            assert_eq!(shapes(&after), Some(shape), "{}", rel.display());
            same_shape += 1;
        }
    }
    assert!(same_shape > 40, "{same_shape}");
    let adt = std::fs::read_to_string(out.join("basic/adt_a01_v251_cr.hl7")).unwrap();
    assert!(!adt.contains("TESTPATIENT") && !adt.contains("TEST0000001") && !adt.contains("FAKE ST"));
    assert!(adt.contains("|ADT^A01^ADT_A01|") && adt.contains("|2.5.1"));
    // MLLP framing kept.
    let framed = std::fs::read(out.join("framing/mllp_two_frames_and_commit_ack.hl7")).unwrap();
    let original = std::fs::read(corpus().join("framing/mllp_two_frames_and_commit_ack.hl7")).unwrap();
    let marks =
        |b: &[u8]| b.iter().enumerate().filter(|(_, &x)| x == 0x0B || x == 0x1C).map(|(i, _)| i).collect::<Vec<_>>();
    assert_eq!(marks(&framed), marks(&original));
}

#[test]
fn same_key_same_output_and_stdin_free_runs_differ() {
    let a = temp_dir("key-a");
    let b = temp_dir("key-b");
    let c = temp_dir("key-c");
    let input = corpus().join("basic/oru_r01_multi_obr.hl7");
    let i = input.to_str().unwrap();
    assert_eq!(hl7rs(&["anonymize", i, "--out", a.to_str().unwrap(), "--key", "s"]).0, 0);
    assert_eq!(hl7rs(&["anonymize", i, "--out", b.to_str().unwrap(), "--key", "s"]).0, 0);
    assert_eq!(hl7rs(&["anonymize", i, "--out", c.to_str().unwrap()]).0, 0);
    let read = |d: &Path| std::fs::read(d.join("oru_r01_multi_obr.hl7")).unwrap();
    assert_eq!(read(&a), read(&b));
    assert_ne!(read(&a), read(&c));
}

const TOKEN: &str = "CanaryQ7x";

#[test]
fn canary_survives_only_in_kept_fields() {
    let t = TOKEN;
    let v = format!("{t}~{t}^{t}&{t}^{t}\\T\\{t}");
    let mut msg = String::from("MSH|^~\\&");
    for _ in 3..=21 {
        msg.push('|');
        msg.push_str(&v);
    }
    msg.push('\r');
    let segments = [
        "EVN", "PID", "PD1", "NK1", "PV1", "PV2", "GT1", "IN1", "IN2", "IN3", "MRG", "ORC", "OBR", "OBX", "NTE", "SPM",
        "DG1", "PR1", "AL1", "ZPD", "ZXY",
    ];
    for id in segments {
        msg.push_str(id);
        for _ in 0..75 {
            msg.push('|');
            msg.push_str(&v);
        }
        msg.push('\r');
    }
    let dir = temp_dir("canary");
    std::fs::write(dir.join("in.hl7"), &msg).unwrap();
    let out = dir.join("out");
    for extra in [&[][..], &["--key", "k"][..], &["--safe-harbor"][..]] {
        let mut args = vec!["anonymize", "--quiet", dir.join("in.hl7").to_str().unwrap().to_string().leak()];
        args.extend(["--out", out.to_str().unwrap()]);
        args.extend(extra);
        let (code, _, err) = hl7rs(&args);
        assert_eq!(code, 0, "{err}");
        assert!(!err.contains(TOKEN));
        let bytes = std::fs::read(out.join("in.hl7")).unwrap();
        let rules = hl7rs::anonymize::Rules::builtin();
        let m = Message::parse(&bytes).unwrap();
        let mut kept = 0;
        for seg in m.segments() {
            for (i, f) in seg.fields().enumerate() {
                for r in f.repetitions() {
                    for (c, comp) in r.components().enumerate() {
                        let n = comp.as_bytes().windows(TOKEN.len()).filter(|w| *w == TOKEN.as_bytes()).count();
                        if n > 0 {
                            assert!(rules.is_kept(seg.id(), i + 1, c + 1), "{}-{}.{}", seg.id_str(), i + 1, c + 1);
                            kept += n;
                        }
                    }
                }
            }
        }
        let total = bytes.windows(TOKEN.len()).filter(|w| *w == TOKEN.as_bytes()).count();
        assert_eq!(total, kept, "a token outside every kept field");
        assert_eq!(shape(&m), shape(&Message::parse(msg.as_bytes()).unwrap()));
    }
}

#[test]
fn safe_harbor_and_relative_paths() {
    let dir = temp_dir("sh");
    std::fs::create_dir_all(dir.join("in/site/a")).unwrap();
    let msg =
        "MSH|^~\\&|A|B|C|D|20240131093000||ADT^A01|1|P|2.5.1\rPID|1||X^^^H^MR||DOE^J||19800115|F|||1 ST^^T^S^12345\r";
    std::fs::write(dir.join("in/site/a/m.hl7"), msg).unwrap();
    let out = dir.join("out");
    let (code, _, err) =
        hl7rs(&["anonymize", dir.join("in").to_str().unwrap(), "--out", out.to_str().unwrap(), "--safe-harbor", "-v"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("m.hl7"), "verbose names files: {err}");
    let text = std::fs::read_to_string(out.join("site/a/m.hl7")).unwrap();
    assert!(text.contains("|19800101|F|"), "{text}");
    assert!(text.contains("^12300\r"), "{text}");
    assert!(text.contains("|20240101000000|"), "{text}");
}
