//! `hl7rs ack`: the acknowledgments each message asks for, written to stdout. Which ones and their
//! codes are the library's decision ([`acknowledge_as_asked`]); this module reads, reports and
//! writes.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use hl7rs::ack::{
    acknowledge_as_asked, acknowledge_with, timestamp_now, Ack, AckCode, AckError, AckErrorCode, AckKind, AckOptions,
    AckRefusal, HostReport,
};
use hl7rs::build::Terminator;
use hl7rs::BatchEntry;

use crate::inputs::{self, Reading};

/// What the host reports about the message (`--code`, any case).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Outcome {
    /// Application accept.
    Aa,
    /// Application error: ERR 207 (application internal error), since no detail is known.
    Ae,
    /// Application reject, with no ERR segment.
    Ar,
}

/// Runs `hl7rs ack`.
pub fn run(paths: &[PathBuf], reading: &Reading, outcome: Outcome, lf: bool) -> ExitCode {
    let (inputs, mut ok) = inputs::collect(paths, reading);
    let timestamp = timestamp_now();
    // Control ids: the run's start in seconds since 1970, then a counter, unique within the run.
    let stem = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut n = 0usize;
    let mut control_id = || {
        n += 1;
        format!("ACK{stem}{n:04}")
    };
    let internal = [AckError::new(AckErrorCode::ApplicationInternalError)];
    let report = match outcome {
        Outcome::Aa => HostReport::accepted(),
        Outcome::Ae => HostReport::with_errors(&internal),
        Outcome::Ar => HostReport::rejected(),
    };
    let options = AckOptions::new("", &timestamp);
    let terminator = if lf { Terminator::Lf } else { Terminator::Cr };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for input in &inputs {
        let Some(bytes) = input.read() else {
            ok = false;
            continue;
        };
        let mut acks: Vec<Ack> = Vec::new();
        let mut messages = 0usize;
        for item in reading.batch(&bytes).entries() {
            match item {
                Ok(BatchEntry::Message(msg)) => {
                    messages += 1;
                    inputs::report_notes(input, messages, &msg);
                    match acknowledge_as_asked(&msg, &report, &options, &mut control_id) {
                        Ok(a) if a.is_empty() => {
                            eprintln!("{input}: message {messages}: note: the sender asked for no acknowledgment");
                        }
                        Ok(a) => acks.extend(a),
                        Err(AckRefusal::IncomingIsAck) => {
                            eprintln!("{input}: message {messages}: note: an acknowledgment is never acknowledged");
                        }
                        Err(e) => {
                            eprintln!("{input}: message {messages}: {e}");
                            ok = false;
                        }
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
        if messages == 0 {
            // Nothing readable: the whole input gets the minimal reject.
            let id = control_id();
            let own = AckOptions::new(&id, &timestamp);
            match acknowledge_with(&bytes, &reading.options, AckKind::Application, &[], &own) {
                Ok(a) => acks.push(a),
                Err(e) => eprintln!("{input}: {e}"),
            }
        }
        for ack in acks {
            // A reject the host did not ask for (header checks, unreadable input) fails the run.
            let asked = outcome == Outcome::Ar && ack.code == AckCode::ApplicationReject;
            if matches!(ack.code, AckCode::ApplicationReject | AckCode::CommitReject) && !asked {
                ok = false;
            }
            let written = ack.message.write_to_with(&mut out, terminator).and_then(|()| out.write_all(b"\n"));
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
