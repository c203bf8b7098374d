//! `hl7rs mllp export`: writes the messages of a listener's journal ([`super::store`]) as one
//! `<key>.hl7` (the message as received) and one `<key>.ack` (the ACK frames sent) per message.
//! Read-only on the journal, so it may run while the listener appends; a record still being
//! written at the end is skipped with a note.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use super::store;

/// Runs `hl7rs mllp export`.
pub fn run(journal: &Path, out: &Path, quiet: bool) -> ExitCode {
    if let Err(e) = fs::create_dir_all(out) {
        eprintln!("hl7rs mllp export: {}: cannot create: {}", out.display(), e.kind());
        return ExitCode::FAILURE;
    }
    let mut n = 0usize;
    let read = store::read_all(journal, |r| {
        let safe = r.key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !safe || r.key.is_empty() || r.key.starts_with('.') {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "a record key that is not a file name"));
        }
        fs::write(out.join(format!("{}.hl7", r.key)), r.message)?;
        fs::write(out.join(format!("{}.ack", r.key)), r.ack)?;
        n += 1;
        Ok(())
    });
    match read {
        Ok(note) => {
            if let Some(note) = note {
                eprintln!("hl7rs mllp export: {note}");
            }
            if !quiet {
                eprintln!("hl7rs mllp export: {n} message(s) written to {}", out.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hl7rs mllp export: {}: {e}", journal.display());
            ExitCode::FAILURE
        }
    }
}
