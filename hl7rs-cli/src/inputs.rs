//! What every command reads: the paths named on the command line expanded into inputs, read, and
//! parsed with the limits of the global flags; failures and the parser's notes reported on stderr as
//! input name, offsets and kinds — never content.
//!
//! Directory walking: directories are walked recursively in name order and give only files named
//! `*.hl7`, `*.txt`, `*.er7`, `*.msg` (any case) unless `--all-files` is given, so that a corpus's
//! `MANIFEST.md` or `.gitattributes` is not read as a message. A file named on the command line is
//! always read. Directories are compared canonicalized: a directory already on the walk stack (a
//! symlink loop) is reported and skipped. `-` is standard input, named `<stdin>` in messages.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use hl7rs::{Batch, Message, ParseError, ParseOptions, Skipped};

/// File name extensions taken from directories by default (compared ignoring ASCII case).
pub const EXTENSIONS: [&str; 4] = ["hl7", "txt", "er7", "msg"];

/// How inputs are found and parsed (the global flags).
#[derive(Clone, Copy, Debug)]
pub struct Reading {
    /// Take every file from directories, not only the message extensions.
    pub all_files: bool,
    /// Parse options (the limits of `--max-bytes` and `--max-segments`).
    pub options: ParseOptions,
}

impl Reading {
    /// A batch over `bytes` with these options.
    pub fn batch<'a>(&self, bytes: &'a [u8]) -> Batch<'a> {
        Batch::with_options(bytes, &self.options)
    }
}

/// One input: a file or standard input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Standard input (`-` on the command line).
    Stdin,
    /// A file.
    File(PathBuf),
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Input::Stdin => f.write_str("<stdin>"),
            Input::File(p) => write!(f, "{}", p.display()),
        }
    }
}

impl Input {
    /// Reads the whole input, reporting a failure on stderr.
    pub fn read(&self) -> Option<Vec<u8>> {
        let read = match self {
            Input::Stdin => {
                let mut bytes = Vec::new();
                io::stdin().lock().read_to_end(&mut bytes).map(|_| bytes)
            }
            Input::File(p) => std::fs::read(p),
        };
        read.map_err(|e| eprintln!("{self}: cannot read: {}", e.kind())).ok()
    }
}

/// The inputs below the given paths, in order, and whether every path could be read. Failures
/// (a missing path, an unreadable directory) are reported on stderr and the walk goes on.
pub fn collect(paths: &[PathBuf], reading: &Reading) -> (Vec<Input>, bool) {
    let mut walk = Walk { all_files: reading.all_files, stack: Vec::new(), out: Vec::new(), ok: true };
    for p in paths {
        if p.as_os_str() == "-" {
            walk.out.push(Input::Stdin);
            continue;
        }
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => walk.dir(p),
            Ok(_) => walk.out.push(Input::File(p.clone())),
            Err(e) => walk.fail(p, &e),
        }
    }
    (walk.out, walk.ok)
}

struct Walk {
    all_files: bool,
    /// Canonical paths of the directories being walked (the current branch of the tree).
    stack: Vec<PathBuf>,
    out: Vec<Input>,
    ok: bool,
}

impl Walk {
    fn fail(&mut self, p: &Path, e: &io::Error) {
        eprintln!("{}: cannot read: {}", p.display(), e.kind());
        self.ok = false;
    }

    fn dir(&mut self, p: &Path) {
        let canonical = match std::fs::canonicalize(p) {
            Ok(c) => c,
            Err(e) => return self.fail(p, &e),
        };
        if self.stack.contains(&canonical) {
            eprintln!("{}: note: directory already being walked (a symlink loop), skipped", p.display());
            return;
        }
        let entries = std::fs::read_dir(p).and_then(|d| d.map(|e| e.map(|e| e.path())).collect::<Result<Vec<_>, _>>());
        let mut entries = match entries {
            Ok(e) => e,
            Err(e) => return self.fail(p, &e),
        };
        entries.sort();
        self.stack.push(canonical);
        for entry in entries {
            // `metadata` follows symlinks: a link to a directory is walked (loops are caught above).
            match std::fs::metadata(&entry) {
                Ok(m) if m.is_dir() => self.dir(&entry),
                Ok(_) if self.all_files || has_message_extension(&entry) => self.out.push(Input::File(entry)),
                Ok(_) => {}
                Err(e) => self.fail(&entry, &e),
            }
        }
        self.stack.pop();
    }
}

/// Whether a file name ends in one of [`EXTENSIONS`], ignoring ASCII case.
fn has_message_extension(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// Reports a parse error on stderr: input, byte offset, segment number when known, and the error
/// kind — never content.
pub fn report(input: &Input, bytes: &[u8], err: &ParseError) {
    match err.locate(bytes).segment {
        Some(segment) => eprintln!("{input}: byte {} (segment {segment}): {}", err.offset(), err.kind()),
        None => eprintln!("{input}: byte {}: {}", err.offset(), err.kind()),
    }
}

/// Reports every note of a message on stderr as `<input>: message N: note: <note>`.
pub fn report_notes(input: &Input, index: usize, msg: &Message<'_>) {
    for note in msg.all_notes() {
        eprintln!("{input}: message {index}: note: {note}");
    }
}

/// Reports bytes of a batch file that belong to no message.
pub fn report_skipped(input: &Input, s: Skipped) {
    eprintln!("{input}: note: skipped {} bytes at byte {}", s.len, s.offset);
}
