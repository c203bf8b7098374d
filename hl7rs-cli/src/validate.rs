//! `hl7rs validate`: structure, required fields, datatypes, table values and header codes of each
//! message, as HL7 error codes with locations (never content).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use hl7rs::ack::ErrorSeverity;
use hl7rs::validate::{validate_message, Diagnostic, ValidationOptions};
use hl7rs::{Batch, BatchItem};
use serde_json::{json, Value};

use crate::inputs;

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

/// Runs `hl7rs validate`.
pub fn run(paths: &[PathBuf], switches: Switches) -> ExitCode {
    let Some(files) = inputs::files(paths) else {
        return ExitCode::FAILURE;
    };
    let mut options = ValidationOptions::default();
    options.user_tables = !switches.no_user_tables;
    options.z_segments = switches.z_segments;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = false;
    let mut docs = Vec::new();
    let (mut messages, mut errors, mut warnings) = (0usize, 0usize, 0usize);
    for path in &files {
        let Some(bytes) = inputs::read(path) else {
            failed = true;
            continue;
        };
        for item in Batch::new(&bytes).items() {
            let msg = match item {
                Ok(BatchItem::Message(m)) => m,
                Ok(_) => continue,
                Err(e) => {
                    inputs::report(path, &bytes, &e);
                    failed = true;
                    continue;
                }
            };
            messages += 1;
            let diagnostics = validate_message(&msg, &options);
            for d in &diagnostics {
                match d.severity {
                    ErrorSeverity::Error => errors += 1,
                    ErrorSeverity::Warning => warnings += 1,
                    ErrorSeverity::Information => {}
                }
            }
            if switches.json {
                let list: Vec<Value> = diagnostics.iter().map(diagnostic_json).collect();
                docs.push(json!({ "file": path.display().to_string(), "offset": msg.offset(), "diagnostics": list }));
            } else {
                for d in &diagnostics {
                    if writeln!(out, "{}: message at byte {}: {d}", path.display(), msg.offset()).is_err() {
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
    if out.flush().is_err() || failed || errors > 0 || (switches.strict && warnings > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
