//! Corpus tests: the shared public corpus (../shared/corpus, skipped with a notice when absent)
//! and the project's own corpus (corpus/).
//!
//! For every file outside `malformed/`: every message parses, writing it back from its parts gives
//! its bytes exactly, and the segment count equals an independent line-based count. Files in
//! `malformed/` either parse or give a typed error; none may panic.

use std::path::Path;

mod common;
use common::{files_under, repo_root, shared_dir};

use hl7_core::{Batch, BatchEntry, ErrorKind, Message};

/// Items of a batch file in order, checking they tile the input: between two items there are only
/// MLLP start bytes (before an envelope segment) or the bytes of an item that failed to parse.
/// Returns a problem description, if any (offsets and kinds only).
fn batch_tiles(bytes: &[u8]) -> Option<String> {
    let mut at = 0;
    let mut after_error = false;
    for item in Batch::new(bytes).entries() {
        match item {
            Err(_) => after_error = true,
            Ok(item) => {
                let span = item.span();
                if span.start < at {
                    return Some(format!("item at {} overlaps the one before (ends at {at})", span.start));
                }
                let gap = &bytes[at..span.start];
                if !after_error && !gap.iter().all(|&b| b == 0x0B) {
                    return Some(format!("{} unaccounted bytes at {at}", gap.len()));
                }
                at = span.end;
                after_error = false;
            }
        }
    }
    if at < bytes.len() && !after_error {
        return Some(format!("{} unaccounted bytes at the end ({at})", bytes.len() - at));
    }
    let mut out = Vec::with_capacity(bytes.len());
    Batch::new(bytes).write(|b| out.extend_from_slice(b));
    (out != bytes).then(|| format!("Batch::write differs (wrote {} of {} bytes)", out.len(), bytes.len()))
}

/// An independent segment count: split lines on CR, LF or CRLF, and count the lines that start with
/// a segment id (three upper-case letters or digits, the first a letter) followed by the field
/// separator, nothing, or (for a header) any punctuation. Lines before the first header are not
/// counted.
fn naive_segment_count(msg: &[u8]) -> usize {
    let text = String::from_utf8_lossy(msg);
    let mut count = 0;
    let mut seen_header = false;
    let sep = text
        .find("MSH")
        .or_else(|| text.find("FHS"))
        .or_else(|| text.find("BHS"))
        .and_then(|i| text[i + 3..].chars().next());
    for line in text.split("\r\n").flat_map(|l| l.split(['\r', '\n'])) {
        let line = line.trim_start_matches('\u{feff}').trim_start_matches('\u{b}');
        let chars: Vec<char> = line.chars().take(4).collect();
        let id_ok = chars.len() >= 3
            && chars[0].is_ascii_uppercase()
            && chars[1..3].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !id_ok {
            continue;
        }
        let id: String = chars[..3].iter().collect();
        let is_header = matches!(id.as_str(), "MSH" | "FHS" | "BHS");
        let fourth = chars.get(3).copied();
        let ok = match fourth {
            None => true,
            Some(c) if Some(c) == sep => true,
            Some(c) => is_header && c.is_ascii_punctuation(),
        };
        if ok && (seen_header || is_header) {
            seen_header = true;
            count += 1;
        }
    }
    count
}

#[derive(Default)]
struct Tally {
    files: usize,
    messages: usize,
    bytes: usize,
    errors: Vec<String>,
    notices: Vec<String>,
}

fn check_file(path: &Path, tally: &mut Tally) {
    let bytes = std::fs::read(path).unwrap();
    tally.files += 1;
    tally.bytes += bytes.len();
    let name = path.display().to_string();
    let malformed = name.contains("/malformed/");
    let result = std::panic::catch_unwind(|| {
        let mut msgs = Vec::new();
        let mut errs = Vec::new();
        for item in Batch::new(&bytes).entries() {
            match item {
                Ok(BatchEntry::Message(m)) => msgs.push(m),
                Ok(_) => {}
                Err(e) => errs.push(e),
            }
        }
        let mut problems = Vec::new();
        for m in &msgs {
            // Walk everything: must not panic.
            for seg in m.segments() {
                for f in seg.fields() {
                    for r in f.repetitions() {
                        for c in r.components() {
                            for s in c.subcomponents() {
                                let _ = s.to_cow();
                            }
                        }
                    }
                }
            }
            let mut out = Vec::new();
            m.write(|b| out.extend_from_slice(b));
            if out != m.as_bytes() {
                problems.push(format!("write not byte-exact for message at {}", m.offset()));
            }
            let naive = naive_segment_count(m.as_bytes());
            if naive != m.segment_count() {
                problems.push(format!(
                    "segment count {} != naive {} (message at {})",
                    m.segment_count(),
                    naive,
                    m.offset()
                ));
            }
        }
        if msgs.is_empty() && errs.is_empty() {
            problems.push("no message and no error".to_string());
        }
        let mut notices = Vec::new();
        for e in &errs {
            // A trailer count that disagrees with the file is a finding about the data, reported
            // but not a parse failure (several public samples were cut short by their authors).
            if matches!(e.kind(), ErrorKind::BatchCountMismatch { .. }) {
                notices.push(format!("{e}"));
            } else {
                problems.push(format!("error {e}"));
            }
        }
        (msgs.len(), problems, notices)
    });
    match result {
        Err(_) => tally.errors.push(format!("{name}: PANIC")),
        Ok((n, problems, notices)) => {
            tally.messages += n;
            tally.notices.extend(notices.into_iter().map(|n| format!("{name}: {n}")));
            if !malformed {
                for p in problems {
                    tally.errors.push(format!("{name}: {p}"));
                }
            }
        }
    }
}

#[test]
fn shared_corpus_parses_and_round_trips() {
    let Some(dir) = shared_dir("corpus") else { return };
    let mut files = Vec::new();
    files_under(&dir, &mut files);
    let mut tally = Tally::default();
    for f in &files {
        check_file(f, &mut tally);
    }
    eprintln!("shared corpus: {} files, {} messages, {} bytes", tally.files, tally.messages, tally.bytes);
    for n in &tally.notices {
        eprintln!("notice: {n}");
    }
    assert!(tally.files > 500, "expected the full shared corpus, found {} files", tally.files);
    assert!(tally.errors.is_empty(), "{} problems:\n{}", tally.errors.len(), tally.errors.join("\n"));
}

#[test]
fn project_corpus_parses_and_round_trips() {
    let dir = repo_root().join("corpus");
    let mut files = Vec::new();
    files_under(&dir, &mut files);
    // Files whose expected outcome is an error or a reported problem (see corpus/MANIFEST.md).
    let expected_problems = ["encodings/utf16le_bom.hl7", "batch/bts_count_wrong.hl7"];
    files.retain(|f| !expected_problems.iter().any(|e| f.ends_with(e)));
    let mut tally = Tally::default();
    for f in &files {
        check_file(f, &mut tally);
    }
    assert!(tally.files >= 40, "project corpus too small: {}", tally.files);
    assert!(tally.errors.is_empty(), "{} problems:\n{}", tally.errors.len(), tally.errors.join("\n"));
}

/// Every batch file of both corpora (a file with an FHS, BHS, BTS or FTS line) writes back
/// byte-exact through `Batch::write`, and its items tile it. Regression: envelope segments had an
/// empty `terminator()`, so writing the items back lost the line ends after FHS/BHS/BTS/FTS.
#[test]
fn regression_batch_files_write_back_byte_exact() {
    let mut files = Vec::new();
    files_under(&repo_root().join("corpus"), &mut files);
    if let Some(dir) = shared_dir("corpus") {
        files_under(&dir, &mut files);
    }
    let is_envelope = |line: &[u8]| {
        let line = line.strip_prefix(b"\x0b").unwrap_or(line);
        ["FHS", "BHS", "BTS", "FTS"].iter().any(|id| line.starts_with(id.as_bytes()))
    };
    let mut batch_files = 0;
    let mut problems = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        if !bytes.split(|&b| b == b'\r' || b == b'\n').any(is_envelope) {
            continue;
        }
        batch_files += 1;
        if let Some(p) = batch_tiles(&bytes) {
            problems.push(format!("{}: {p}", f.display()));
        }
    }
    eprintln!("batch files written back: {batch_files}");
    assert!(batch_files >= 5, "too few batch files found: {batch_files}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn naive_count_counts_lines() {
    assert_eq!(naive_segment_count(b"junk\nMSH|^~\\&|A\r\nPID|1\n\nnot a segment\rZPD"), 3);
}

#[test]
fn message_parse_of_single_files() {
    let root = repo_root().join("corpus");
    let msg_bytes = std::fs::read(root.join("basic/adt_a01_v251_cr.hl7")).unwrap();
    let msg = Message::parse(&msg_bytes).unwrap();
    assert_eq!(msg.segment_count(), 7);
    assert_eq!(msg.query("PID-5.1").unwrap().unwrap().as_bytes(), b"TESTPATIENT");
    assert_eq!(msg.query("PID-5.2").unwrap().unwrap().as_bytes(), b"ALPHA");
}

/// The shared-material rule every crate's tests follow: an absent folder is a printed notice and a
/// skip, unless `HL7RS_REQUIRE_SHARED` is set (as `.ci/run` does), where it fails the test.
#[test]
fn absent_shared_material_skips_or_fails_as_the_environment_says() {
    let required = std::env::var_os("HL7RS_REQUIRE_SHARED").is_some_and(|v| !v.is_empty() && v != "0");
    let found = std::panic::catch_unwind(|| shared_dir("no-such-folder-for-this-test"));
    if required {
        assert!(found.is_err(), "an absent shared folder must fail under HL7RS_REQUIRE_SHARED");
    } else {
        assert_eq!(found.unwrap(), None);
    }
}
