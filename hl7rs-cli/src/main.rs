//! The `hl7rs` command.
//!
//! `hl7rs parse [--json] PATH...` prints each message's segments and decoded fields. Paths may be
//! files (one message, a batch file or several messages) or directories (walked recursively, in
//! name order). Any failure is listed on stderr as file, byte offset and error kind (never content)
//! and makes the exit status 1.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod parse;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Parse { json, paths } => parse::run(&paths, json),
    }
}
