//! `hl7rs parse`.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::inputs;
use std::process::ExitCode;

use hl7rs::{json as tree, Batch, BatchItem, Message, TextDecoder};
use serde_json::{json, Value};

fn write_text(out: &mut impl Write, path: &Path, index: usize, msg: &Message<'_>) -> io::Result<()> {
    writeln!(
        out,
        "== {} message {} (byte {}, {} segments)",
        path.display(),
        index,
        msg.header_offset(),
        msg.segment_count()
    )?;
    let text = TextDecoder::new(msg);
    for seg in msg.segments() {
        writeln!(out, "{}", seg.id_str())?;
        for (i, field) in seg.fields().enumerate() {
            if field.is_empty() {
                continue;
            }
            let name = format!("{}-{}", seg.id_str(), i + 1);
            if seg.is_header() && i < 2 {
                writeln!(out, "  {name}: {}", String::from_utf8_lossy(field.as_bytes()))?;
                continue;
            }
            // One line per non-empty leaf, named by its path; the path only names the levels that
            // are split, so a plain field prints as `PID-7: value`.
            let reps = field.repetitions().count();
            for (r, rep) in field.repetitions().enumerate() {
                let comps = rep.components().count();
                for (c, comp) in rep.components().enumerate() {
                    let subs = comp.subcomponents().count();
                    for (k, sub) in comp.subcomponents().enumerate() {
                        if sub.is_empty() {
                            continue;
                        }
                        let mut path = name.clone();
                        // Writing into a String cannot fail.
                        if reps > 1 {
                            let _ = write!(path, "[{}]", r + 1);
                        }
                        if comps > 1 || subs > 1 {
                            let _ = write!(path, ".{}", c + 1);
                        }
                        if subs > 1 {
                            let _ = write!(path, ".{}", k + 1);
                        }
                        let value = text.value(sub);
                        writeln!(out, "  {path}: {}", value.replace('\r', "\\r").replace('\n', "\\n"))?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Runs `hl7rs parse`.
pub fn run(paths: &[PathBuf], json_out: bool) -> ExitCode {
    let Some(files) = inputs::files(paths) else {
        return ExitCode::FAILURE;
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = false;
    let mut docs = Vec::new();
    for path in &files {
        let Some(bytes) = inputs::read(path) else {
            failed = true;
            continue;
        };
        let mut messages = Vec::new();
        let mut count = 0;
        for item in Batch::new(&bytes).items() {
            match item {
                Ok(BatchItem::Message(msg)) => {
                    count += 1;
                    let notes = msg.notes();
                    if let Some(s) = notes.leading {
                        eprintln!(
                            "{}: note: skipped {} bytes before the header at byte {}",
                            path.display(),
                            s.len,
                            s.offset
                        );
                    }
                    if let Some(s) = notes.trailing {
                        eprintln!(
                            "{}: note: skipped {} bytes after the message at byte {}",
                            path.display(),
                            s.len,
                            s.offset
                        );
                    }
                    if json_out {
                        messages.push(tree::message(&msg, &TextDecoder::new(&msg)));
                    } else if let Err(e) = write_text(&mut out, path, count, &msg) {
                        eprintln!("hl7rs: cannot write output: {}", e.kind());
                        return ExitCode::FAILURE;
                    }
                }
                Ok(BatchItem::Skipped(s)) => {
                    eprintln!("{}: note: skipped {} bytes at byte {}", path.display(), s.len, s.offset);
                }
                Ok(_) => {}
                Err(e) => {
                    inputs::report(path, &bytes, &e);
                    failed = true;
                }
            }
        }
        if json_out {
            docs.push(json!({ "file": path.display().to_string(), "messages": messages }));
        }
    }
    if json_out {
        let doc = Value::Array(docs);
        if serde_json::to_writer_pretty(&mut out, &doc).is_err() || writeln!(out).is_err() {
            return ExitCode::FAILURE;
        }
    }
    if out.flush().is_err() {
        return ExitCode::FAILURE;
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
