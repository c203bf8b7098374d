//! `hl7rs convert`: each message to a FHIR R4 `message` Bundle through the built-in mapping matrix
//! (`hl7rs::map::engine`). Default output is NDJSON, one Bundle per line; `--bundle` writes each
//! Bundle as one pretty JSON document (for one message: exactly one Bundle on stdout). Mapping
//! issues go to stderr as kind, v2 path and byte offset, never a value.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hl7rs::map::engine::{ConvertOptions, Engine, IssueKind, MapIssue};
use hl7rs::{BatchEntry, Message};

use crate::inputs::{self, Input, Reading};

/// Switches of `hl7rs convert`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Switches {
    /// Pretty JSON, one document per message.
    pub bundle: bool,
    /// Print each mapping issue on stderr.
    pub issues: bool,
}

/// The issue's kind as a short name (the unmapped code itself is not printed).
fn kind_name(kind: &IssueKind) -> &'static str {
    match kind {
        IssueKind::UnmappedCode { .. } => "unmapped code",
        IssueKind::InvalidValue { .. } => "invalid value",
        IssueKind::TimeDropped => "time dropped (no zone)",
        IssueKind::ConditionUndecided => "condition undecided",
        IssueKind::UnsupportedRow => "row not supported yet",
        IssueKind::UnknownElement(_) => "unknown FHIR element",
        IssueKind::Conflict(_) => "conflicting rows",
        IssueKind::Rejected { .. } => "element rejected by FHIR validation",
        IssueKind::NoMessageMap { .. } => "no message map (MSH and PID only)",
        IssueKind::ResourceDropped { .. } => "resource left out",
        _ => "issue",
    }
}

/// What names the problem besides the v2 position: FHIR element paths, types and the
/// structure; never a value (the unmapped code is left out too).
fn detail(kind: &IssueKind) -> String {
    match kind {
        IssueKind::InvalidValue { fhir_type } => format!(" [{fhir_type}]"),
        IssueKind::UnknownElement(e) | IssueKind::Conflict(e) => format!(" [{e}]"),
        IssueKind::Rejected { element, reason } => format!(" [{element}: {reason}]"),
        IssueKind::ResourceDropped { resource, reason } => format!(" [{resource}: {reason}]"),
        IssueKind::NoMessageMap { structure } => format!(" [{structure}]"),
        _ => String::new(),
    }
}

fn report_issue(input: &Input, index: usize, msg: &Message<'_>, issue: &MapIssue) {
    eprintln!(
        "{input}: message {index}: map: {}{} at {} (byte {}), row {}:{}",
        kind_name(&issue.kind),
        detail(&issue.kind),
        issue.source,
        msg.offset() + issue.span.start,
        issue.row.file,
        issue.row.row
    );
}

/// What `hl7rs convert` writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum To {
    /// FHIR R4 message Bundles (the built-in matrix).
    #[default]
    Fhir,
    /// HL7 v2 (ER7) through a v2 → v2 matrix (`--v2-matrix`).
    V2,
}

/// Runs `hl7rs convert` to FHIR, or to v2 through the matrix under `v2_matrix`.
pub fn dispatch(
    paths: &[PathBuf],
    reading: &Reading,
    switches: Switches,
    to: To,
    v2_matrix: Option<&Path>,
) -> ExitCode {
    match (to, v2_matrix) {
        (To::Fhir, _) => run(paths, reading, switches),
        (To::V2, Some(dir)) => crate::v2v2::run(paths, reading, dir, switches.issues),
        (To::V2, None) => {
            eprintln!("hl7rs: --to v2 needs --v2-matrix DIR");
            ExitCode::from(2)
        }
    }
}

/// Runs `hl7rs convert`.
pub fn run(paths: &[PathBuf], reading: &Reading, switches: Switches) -> ExitCode {
    let engine = match Engine::builtin() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("hl7rs: the built-in matrix does not load: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (inputs, mut ok) = inputs::collect(paths, reading);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for input in &inputs {
        let Some(bytes) = input.read() else {
            ok = false;
            continue;
        };
        let mut count = 0;
        for entry in reading.batch(&bytes).entries() {
            match entry {
                Ok(BatchEntry::Message(msg)) => {
                    count += 1;
                    inputs::report_notes(input, count, &msg);
                    let conversion = match engine.convert_with(&msg, ConvertOptions::default()) {
                        Ok(c) => c,
                        Err(e) => {
                            eprintln!("{input}: message {count}: not converted: {e}");
                            ok = false;
                            continue;
                        }
                    };
                    if switches.issues {
                        for issue in &conversion.issues {
                            report_issue(input, count, &msg, issue);
                        }
                    }
                    let json = if switches.bundle {
                        hl7rs::fhir::to_json_pretty(&conversion.bundle)
                    } else {
                        hl7rs::fhir::to_json_string(&conversion.bundle)
                    };
                    let written = match json {
                        Ok(text) => writeln!(out, "{text}"),
                        Err(e) => {
                            eprintln!("{input}: message {count}: not written: {e}");
                            ok = false;
                            continue;
                        }
                    };
                    if let Err(e) = written {
                        eprintln!("hl7rs: cannot write output: {}", e.kind());
                        return ExitCode::FAILURE;
                    }
                }
                Ok(BatchEntry::Skipped(s)) => inputs::report_skipped(input, s),
                Ok(_) => {}
                Err(e) => {
                    inputs::report(input, &bytes, &e);
                    ok = false;
                }
            }
        }
    }
    if out.flush().is_err() || !ok {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
