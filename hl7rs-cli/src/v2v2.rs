//! `hl7rs convert --to v2 --v2-matrix DIR`: each message through a v2 → v2 matrix
//! (`hl7rs::map::v2v2`), written as ER7 (`\r` after each segment, messages one after another).
//! Issues go to stderr as kind, v2 path and matrix row, never a value.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hl7rs::map::v2v2::V2Matrix;
use hl7rs::BatchEntry;

use crate::inputs::{self, Reading};

/// Runs `hl7rs convert --to v2`.
pub fn run(paths: &[PathBuf], reading: &Reading, matrix: &Path, issues: bool) -> ExitCode {
    let matrix = match V2Matrix::from_dir(matrix) {
        Ok(m) => m,
        Err(e) => {
            // File, row, column and kind: matrix files hold no PHI.
            eprintln!("hl7rs: the v2 matrix does not load: {e}");
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
                    let conversion = matrix.convert(&msg);
                    if issues {
                        for issue in &conversion.issues {
                            eprintln!("{input}: message {count}: map: {issue}");
                        }
                    }
                    if let Err(e) = conversion.message.write_to(&mut out) {
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
