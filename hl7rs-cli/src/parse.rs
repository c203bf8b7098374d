//! `hl7rs parse`: text, or NDJSON (`--json`): one JSON object per line per message, parse error
//! and skipped span, written as each is read so that memory holds one message's tree at a time.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use hl7rs::{json as tree, BatchEntry, Message, ParseError, Skipped, TextDecoder};
use serde_json::{json, Value};

use crate::inputs::{self, Input, Reading};

fn write_text(out: &mut impl Write, input: &Input, index: usize, msg: &Message<'_>) -> io::Result<()> {
    writeln!(out, "== {} message {} (byte {}, {} segments)", input, index, msg.header_offset(), msg.segment_count())?;
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

/// One NDJSON line: a message, with its file and 1-based number in the file first.
fn message_line(input: &Input, index: usize, msg: &Message<'_>) -> Value {
    let mut line = json!({ "file": input.to_string(), "message": index });
    // `json::message` gives offset, segments and notes.
    if let (Some(line), Value::Object(tree)) = (line.as_object_mut(), tree::message(msg, &TextDecoder::new(msg))) {
        line.extend(tree);
    }
    line
}

/// One NDJSON line for a parse error: kind, offset and segment number (when known), no content.
fn error_line(input: &Input, bytes: &[u8], err: &ParseError) -> Value {
    let segment = err.locate(bytes).segment;
    json!({ "file": input.to_string(), "error": { "kind": err.kind().to_string(), "offset": err.offset(), "segment": segment } })
}

/// One NDJSON line for bytes of a file that belong to no message.
fn skipped_line(input: &Input, s: Skipped) -> Value {
    json!({ "file": input.to_string(), "skipped": { "offset": s.offset, "len": s.len } })
}

fn write_line(out: &mut impl Write, line: &Value) -> io::Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")
}

/// Runs `hl7rs parse`.
pub fn run(paths: &[PathBuf], reading: &Reading, json_out: bool) -> ExitCode {
    let (inputs, mut ok) = inputs::collect(paths, reading);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for input in &inputs {
        let Some(bytes) = input.read() else {
            ok = false;
            continue;
        };
        let mut count = 0;
        for item in reading.batch(&bytes).entries() {
            let written = match item {
                Ok(BatchEntry::Message(msg)) => {
                    count += 1;
                    inputs::report_notes(input, count, &msg);
                    if json_out {
                        // Built, written and dropped: one message's tree in memory at a time.
                        write_line(&mut out, &message_line(input, count, &msg))
                    } else {
                        write_text(&mut out, input, count, &msg)
                    }
                }
                Ok(BatchEntry::Skipped(s)) => {
                    inputs::report_skipped(input, s);
                    if json_out {
                        write_line(&mut out, &skipped_line(input, s))
                    } else {
                        Ok(())
                    }
                }
                Ok(_) => Ok(()),
                Err(e) => {
                    inputs::report(input, &bytes, &e);
                    ok = false;
                    if json_out {
                        write_line(&mut out, &error_line(input, &bytes, &e))
                    } else {
                        Ok(())
                    }
                }
            };
            if let Err(e) = written {
                eprintln!("hl7rs: cannot write output: {}", e.kind());
                return ExitCode::FAILURE;
            }
        }
    }
    if out.flush().is_err() || !ok {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
