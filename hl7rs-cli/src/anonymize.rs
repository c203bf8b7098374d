//! `hl7rs anonymize`: each input anonymized by the library's [`Anonymizer`] and written under
//! `--out` with the same relative path. The CLI only walks inputs and writes files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hl7rs::anonymize::{AnonymizeOptions, Anonymizer};

use crate::inputs::{self, Input, Reading};
use crate::profile::{progress, total_size};

/// What `hl7rs anonymize` was asked for.
#[derive(Debug)]
pub struct Switches {
    /// The output directory.
    pub out: PathBuf,
    /// The pseudonym key.
    pub key: Option<String>,
    /// Generalise dates to the year and ZIP codes to three digits.
    pub safe_harbor: bool,
    /// No progress bar.
    pub quiet: bool,
    /// Name each output file on stderr.
    pub verbose: bool,
}

/// The output path of an input: its path relative to the directory argument it was found under,
/// or its file name for a file named on the command line (`stdin.hl7` for standard input).
fn relative_to(root: &Path, input: &Input) -> PathBuf {
    match input {
        Input::Stdin => PathBuf::from("stdin.hl7"),
        Input::File(p) => match p.strip_prefix(root) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_path_buf(),
            _ => p.file_name().map_or_else(|| PathBuf::from("input.hl7"), PathBuf::from),
        },
    }
}

/// Runs `hl7rs anonymize`.
pub fn run(paths: &[PathBuf], reading: &Reading, switches: &Switches) -> ExitCode {
    let mut options = AnonymizeOptions::default();
    options.key = switches.key.as_ref().map(|k| k.as_bytes().to_vec());
    options.safe_harbor = switches.safe_harbor;
    options.parse = reading.options;
    let anonymizer = Anonymizer::new(&options);
    // Each path walked alone, so that every input knows the directory argument it came from.
    let mut ok = true;
    let mut jobs = Vec::new();
    for path in paths {
        let (found, read) = inputs::collect(std::slice::from_ref(path), reading);
        ok &= read;
        jobs.extend(found.into_iter().map(|i| (relative_to(path, &i), i)));
    }
    let out_dir = std::fs::canonicalize(&switches.out).ok();
    let bar = progress(total_size(&jobs.iter().map(|(_, i)| i.clone()).collect::<Vec<_>>()), switches.quiet);
    for (rel, input) in &jobs {
        let target = switches.out.join(rel);
        if let (Input::File(p), Some(dir)) = (input, &out_dir) {
            if std::fs::canonicalize(p).is_ok_and(|p| p.starts_with(dir)) {
                bar.suspend(|| eprintln!("{input}: note: inside --out, skipped"));
                continue;
            }
        }
        let Some(bytes) = input.read() else {
            ok = false;
            continue;
        };
        let result = anonymizer.anonymize(&bytes);
        for f in &result.failures {
            bar.suspend(|| {
                eprintln!("{input}: byte {}: {}", f.offset, f.kind);
            });
            ok = false;
        }
        let written = target
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&target, &result.bytes));
        if let Err(e) = written {
            bar.suspend(|| eprintln!("{}: cannot write: {}", target.display(), e.kind()));
            ok = false;
        } else if switches.verbose {
            bar.suspend(|| eprintln!("{input} -> {} ({} messages)", target.display(), result.messages));
        }
        bar.inc(bytes.len() as u64);
    }
    bar.finish_and_clear();
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
