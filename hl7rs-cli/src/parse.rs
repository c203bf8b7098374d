//! `hl7rs parse`.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::inputs;
use std::process::ExitCode;

use hl7_core::{Batch, BatchItem, Field, Message};
use serde_json::{json, Value};

/// Decoded text of a value: escapes decoded, then the message's charset.
fn text(msg: &Message<'_>, raw: &[u8]) -> String {
    msg.decode_text(raw).0.into_owned()
}

/// A field as JSON: a string when it has one repetition of one component of one subcomponent,
/// otherwise arrays (repetitions → components → subcomponents), each level collapsing to a string
/// when it has one element.
fn field_json(msg: &Message<'_>, field: &Field<'_>) -> Value {
    let reps: Vec<Value> = field
        .repetitions()
        .map(|r| {
            let comps: Vec<Value> = r
                .components()
                .map(|c| {
                    let subs: Vec<Value> = c.subcomponents().map(|s| Value::String(text(msg, &s.to_cow()))).collect();
                    collapse(subs)
                })
                .collect();
            collapse(comps)
        })
        .collect();
    collapse(reps)
}

fn collapse(mut items: Vec<Value>) -> Value {
    if items.len() == 1 {
        items.pop().unwrap_or(Value::Null)
    } else {
        Value::Array(items)
    }
}

fn message_json(msg: &Message<'_>) -> Value {
    let segments: Vec<Value> = msg
        .segments()
        .map(|s| {
            let fields: Vec<Value> = s.fields().map(|f| field_json(msg, &f)).collect();
            json!({ "id": s.id_str(), "offset": s.offset(), "fields": fields })
        })
        .collect();
    json!({ "offset": msg.offset(), "segments": segments })
}

fn write_text(out: &mut impl Write, path: &Path, index: usize, msg: &Message<'_>) -> io::Result<()> {
    writeln!(
        out,
        "== {} message {} (byte {}, {} segments)",
        path.display(),
        index,
        msg.header_offset(),
        msg.segment_count()
    )?;
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
                        let value = text(msg, &sub.to_cow());
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
                        messages.push(message_json(&msg));
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
