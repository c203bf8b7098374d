//! `hl7rs validate`: structure, required fields, datatypes, table values and header codes of each
//! message, as HL7 error codes with locations (never content). The parser's notes (repairs,
//! skipped bytes) are warnings too: the message was read, but not as it was written.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use hl7rs::ack::ErrorSeverity;
use hl7rs::validate::{validate_message, Diagnostic, ValidationOptions};
use hl7rs::{BatchEntry, Note};
use serde_json::{json, Value};

use crate::inputs::{self, Reading};

/// Switches of `hl7rs validate`.
#[derive(Clone, Copy, Debug, Default)]
#[allow(clippy::struct_excessive_bools)] // one switch per command-line flag
pub struct Switches {
    /// Print JSON.
    pub json: bool,
    /// Leave user-defined tables (0001, 0002, 0004, 0203…) out of the table check.
    pub no_user_tables: bool,
    /// Report Z-segments as information.
    pub z_segments: bool,
    /// Exit 1 on warnings too.
    pub strict: bool,
}

fn diagnostic_json(d: &Diagnostic) -> Value {
    let l = &d.location;
    json!({
        "code": d.code.code(),
        "severity": d.severity.as_str(),
        "problem": d.problem.to_string(),
        "segment": String::from_utf8_lossy(&l.segment),
        "segment_index": l.segment_index,
        "field": l.field,
        "repetition": l.repetition,
        "component": l.component,
        "offset": l.offset,
    })
}

/// A parser note as a warning in the JSON list: no HL7 code, the note's kind and offset.
fn note_json(n: &Note) -> Value {
    json!({
        "code": Value::Null,
        "severity": ErrorSeverity::Warning.as_str(),
        "problem": n.to_string(),
        "note": n.kind(),
        "offset": n.offset(),
    })
}

/// Runs `hl7rs validate`.
pub fn run(paths: &[PathBuf], reading: &Reading, switches: Switches) -> ExitCode {
    let (inputs, mut ok) = inputs::collect(paths, reading);
    let mut options = ValidationOptions::default();
    options.user_tables = !switches.no_user_tables;
    options.z_segments = switches.z_segments;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut docs = Vec::new();
    let (mut messages, mut errors, mut warnings) = (0usize, 0usize, 0usize);
    for input in &inputs {
        let Some(bytes) = input.read() else {
            ok = false;
            continue;
        };
        for item in reading.batch(&bytes).entries() {
            let msg = match item {
                Ok(BatchEntry::Message(m)) => m,
                Ok(BatchEntry::Skipped(s)) => {
                    inputs::report_skipped(input, s);
                    warnings += 1;
                    continue;
                }
                Ok(_) => continue,
                Err(e) => {
                    inputs::report(input, &bytes, &e);
                    ok = false;
                    continue;
                }
            };
            messages += 1;
            let diagnostics = validate_message(&msg, &options);
            let notes: Vec<Note> = msg.all_notes().collect();
            warnings += notes.len();
            for d in &diagnostics {
                match d.severity {
                    ErrorSeverity::Error => errors += 1,
                    ErrorSeverity::Warning => warnings += 1,
                    ErrorSeverity::Information => {}
                }
            }
            if switches.json {
                let list: Vec<Value> =
                    notes.iter().map(note_json).chain(diagnostics.iter().map(diagnostic_json)).collect();
                docs.push(json!({ "file": input.to_string(), "offset": msg.offset(), "diagnostics": list }));
            } else {
                let at = msg.offset();
                let notes = notes.iter().map(|n| format!("W note: {n}"));
                for line in notes.chain(diagnostics.iter().map(ToString::to_string)) {
                    if writeln!(out, "{input}: message at byte {at}: {line}").is_err() {
                        return ExitCode::FAILURE;
                    }
                }
            }
        }
    }
    if switches.json {
        if serde_json::to_writer_pretty(&mut out, &Value::Array(docs)).is_err() || writeln!(out).is_err() {
            return ExitCode::FAILURE;
        }
    } else {
        eprintln!("{messages} messages: {errors} errors, {warnings} warnings");
    }
    if out.flush().is_err() || !ok || errors > 0 || (switches.strict && warnings > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
