//! `hl7rs ack`: one acknowledgment per message, written to stdout.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use hl7rs::ack::{acknowledge, AckCode, AckError, AckErrorCode, AckKind, AckOptions, AckRefusal};
use hl7rs::build::Terminator;
use hl7rs::{Batch, BatchItem};

use crate::inputs;

/// What the host reports about the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Outcome {
    /// Application accept.
    Aa,
    /// Application error: ERR 207 (application internal error).
    Ae,
    /// Application reject.
    Ar,
}

/// Runs `hl7rs ack`.
pub fn run(paths: &[PathBuf], outcome: Outcome, lf: bool) -> ExitCode {
    let Some(files) = inputs::files(paths) else {
        return ExitCode::FAILURE;
    };
    let now = chrono::Utc::now();
    let timestamp = now.format("%Y%m%d%H%M%S+0000").to_string();
    let id_stem = now.format("%Y%m%d%H%M%S").to_string();
    let terminator = if lf { Terminator::Lf } else { Terminator::Cr };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut failed = false;
    let mut n = 0usize;
    for path in &files {
        let Some(bytes) = inputs::read(path) else {
            failed = true;
            continue;
        };
        // Every message gets an answer; input that does not parse gets the minimal reject.
        let mut pieces: Vec<&[u8]> = Vec::new();
        for item in Batch::new(&bytes).items() {
            match item {
                Ok(BatchItem::Message(m)) => pieces.push(m.as_bytes()),
                Ok(_) => {}
                Err(e) => {
                    inputs::report(path, &bytes, &e);
                    failed = true;
                }
            }
        }
        if pieces.is_empty() {
            // Nothing readable: the whole input gets the minimal reject.
            pieces.push(&bytes);
        }
        for piece in pieces {
            n += 1;
            let control_id = format!("ACK{id_stem}{n:04}");
            let options = AckOptions::new(&control_id, &timestamp);
            let errors: Vec<AckError> = match outcome {
                Outcome::Aa => Vec::new(),
                Outcome::Ae | Outcome::Ar => vec![AckError::new(AckErrorCode::ApplicationInternalError)],
            };
            match acknowledge(piece, AckKind::Application, &errors, &options) {
                Ok(mut ack) => {
                    if outcome == Outcome::Ar && ack.code == AckCode::ApplicationError {
                        // The host rejects the message as a whole.
                        if ack.message.set("MSA-1", "AR").is_err() {
                            failed = true;
                        }
                    }
                    let written = ack.message.write_to_with(&mut out, terminator).and_then(|()| out.write_all(b"\n"));
                    if let Err(e) = written {
                        eprintln!("hl7rs: cannot write output: {}", e.kind());
                        return ExitCode::FAILURE;
                    }
                }
                Err(AckRefusal::IncomingIsAck) => {
                    eprintln!("{}: message {n}: an acknowledgment is never acknowledged", path.display());
                }
                Err(e) => {
                    eprintln!("{}: message {n}: {e}", path.display());
                    failed = true;
                }
            }
        }
    }
    if out.flush().is_err() || failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
