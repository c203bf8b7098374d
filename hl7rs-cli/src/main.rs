//! The `hl7rs` command.
//!
//! `hl7rs validate [--json] PATH...` lists HL7 error codes with locations per message.
//!
//! `hl7rs ack [--code AA|AE|AR] PATH...` writes the acknowledgment of each message.
//!
//! `hl7rs parse [--json] PATH...` prints each message's segments and decoded fields. Paths may be
//! files (one message, a batch file or several messages) or directories (walked recursively, in
//! name order). Any failure is listed on stderr as file, byte offset and error kind (never content)
//! and makes the exit status 1.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod ack;
mod inputs;
mod parse;
mod validate;

/// hl7rs: HL7 v2 parsing and integration tools.
#[derive(Parser, Debug)]
#[command(name = "hl7rs", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse messages and print their segments and decoded fields.
    Parse {
        /// Print JSON (one document with every file and message) instead of text.
        #[arg(long)]
        json: bool,
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Check each message: segment order, required fields, datatypes, table values, header codes.
    /// Exits 1 when any message has an error (or a warning, with --strict).
    Validate {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Leave user-defined tables (0001, 0002, 0004, 0203…) out of the table check.
        #[arg(long)]
        no_user_tables: bool,
        /// Report Z-segments as information.
        #[arg(long)]
        z_segments: bool,
        /// Exit 1 on warnings too.
        #[arg(long)]
        strict: bool,
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Write the acknowledgment (ACK) of each message to stdout.
    Ack {
        /// The outcome to acknowledge: AA accept, AE error (ERR 207), AR reject. Header checks
        /// (empty MSH-10, unreadable header) still reject whatever is asked.
        #[arg(long, value_enum, default_value = "aa")]
        code: ack::Outcome,
        /// End segments with `\n` instead of `\r` (for reading on a terminal).
        #[arg(long)]
        lf: bool,
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Parse { json, paths } => parse::run(&paths, json),
        Command::Ack { code, lf, paths } => ack::run(&paths, code, lf),
        Command::Validate { json, no_user_tables, z_segments, strict, paths } => {
            validate::run(&paths, validate::Switches { json, no_user_tables, z_segments, strict })
        }
    }
}
