//! Inputs and walkers shared by the benchmarks.
//!
//! Input sets: `shared` is every message file of `../shared/corpus` outside `malformed/` and
//! `batch/` (one message a file, bytes as sent); `project` is the same for the project's own
//! `corpus/` without the 5 MB file; `large` is that file (one OBX-5 of 5 MB base64).

use std::path::{Path, PathBuf};

use hl7_core::Message;

/// A named set of inputs.
pub struct InputSet {
    /// Set name used in benchmark ids.
    pub name: &'static str,
    /// One message per entry.
    pub messages: Vec<Vec<u8>>,
}

impl InputSet {
    /// Total bytes.
    pub fn bytes(&self) -> u64 {
        self.messages.iter().map(|m| m.len() as u64).sum()
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if name != "malformed" && name != "batch" {
                files_under(&p, out);
            }
        } else if p.extension().is_some_and(|e| e != "md" && e != "tsv") {
            out.push(p);
        }
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    files_under(dir, &mut files);
    files.iter().filter(|f| keep(f)).filter_map(|f| std::fs::read(f).ok()).collect()
}

/// The benchmark input sets that are present on this machine (the shared corpus may be absent:
/// a notice is printed then).
pub fn input_sets() -> Vec<InputSet> {
    let mut sets = Vec::new();
    let shared = repo().join("../shared/corpus");
    if shared.is_dir() {
        sets.push(InputSet { name: "shared", messages: load(&shared, |_| true) });
    } else {
        eprintln!("notice: {} absent; the `shared` set is skipped", shared.display());
    }
    let corpus = repo().join("corpus");
    sets.push(InputSet {
        name: "project",
        messages: load(&corpus, |p| !p.starts_with(corpus.join("large")) && !p.starts_with(corpus.join("encodings"))),
    });
    sets.push(InputSet { name: "large", messages: load(&corpus.join("large"), |_| true) });
    sets
}

/// Parses a message and visits every field, adding up field lengths (the `parse/…` workload).
/// Returns `None` when the message does not parse.
pub fn parse_and_visit_fields(input: &[u8]) -> Option<usize> {
    let msg = Message::parse(input).ok()?;
    let mut sum = 0;
    for seg in msg.segments() {
        for field in seg.fields() {
            sum += field.len();
        }
    }
    Some(sum)
}

/// Parses and visits every subcomponent of every component of every repetition (the `walk/…`
/// workload).
pub fn parse_and_walk_all(input: &[u8]) -> Option<usize> {
    let msg = Message::parse(input).ok()?;
    let mut sum = 0;
    for seg in msg.segments() {
        for field in seg.fields() {
            for rep in field.repetitions() {
                for comp in rep.components() {
                    for sub in comp.subcomponents() {
                        sum += sub.len() + 1;
                    }
                }
            }
        }
    }
    Some(sum)
}

/// Baseline: a naive splitter with `split` on `\r`/`\n` then `|`, as a quick script would.
pub fn naive_split(input: &[u8]) -> usize {
    input.split(|&b| b == b'\r' || b == b'\n').flat_map(|line| line.split(|&b| b == b'|')).map(<[u8]>::len).sum()
}

/// Baseline: a memchr scan counting segment terminators and field separators: the ceiling.
pub fn memchr_scan(input: &[u8]) -> usize {
    memchr::memchr3_iter(b'\r', b'\n', b'|', input).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walkers_agree_on_a_message() {
        let m = b"MSH|^~\\&|A\rPID|1||a^b~c\r";
        assert_eq!(parse_and_visit_fields(m), Some(1 + 4 + 1 + 1 + 5));
        assert_eq!(parse_and_walk_all(m), Some(2 + 5 + 2 + 2 + 1 + 2 + 2 + 2));
        assert_eq!(memchr_scan(m), 7);
        assert_eq!(naive_split(m), 8 + 9);
    }
}
