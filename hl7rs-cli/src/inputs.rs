//! The files a command reads: paths expanded (directories walked in name order) and read, with
//! failures reported on stderr as path and error kind.

use std::io;

use hl7rs::ParseError;
use std::path::{Path, PathBuf};

/// Every file below the given paths, directories walked recursively in name order.
pub fn collect_files(paths: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
        if p.is_dir() {
            let mut entries: Vec<_> = std::fs::read_dir(p)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
            entries.sort();
            for e in entries {
                walk(&e, out)?;
            }
        } else {
            out.push(p.to_path_buf());
        }
        Ok(())
    }
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out)?;
    }
    Ok(out)
}

/// [`collect_files`], reporting a failure on stderr.
pub fn files(paths: &[PathBuf]) -> Option<Vec<PathBuf>> {
    collect_files(paths).map_err(|e| eprintln!("hl7rs: cannot read paths: {}", e.kind())).ok()
}

/// Reads one file, reporting a failure on stderr.
pub fn read(path: &Path) -> Option<Vec<u8>> {
    std::fs::read(path).map_err(|e| eprintln!("{}: cannot read: {}", path.display(), e.kind())).ok()
}

/// Reports a parse error on stderr: file, byte offset, segment number when known, and the error
/// kind — never content.
pub fn report(path: &Path, bytes: &[u8], err: &ParseError) {
    let at = err.locate(bytes);
    match at.segment {
        Some(segment) => eprintln!("{}: byte {} (segment {segment}): {}", path.display(), err.offset(), err.kind()),
        None => eprintln!("{}: byte {}: {}", path.display(), err.offset(), err.kind()),
    }
}
