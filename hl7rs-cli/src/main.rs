//! The `hl7rs` command: subcommands over HL7 v2 files, directories, batch files and stdin.
//!
//! - `hl7rs parse [--json] PATH...` prints each message's segments and decoded fields (text), or
//!   one JSON object per line per message (NDJSON, `--json`).
//! - `hl7rs validate [--json] [--strict] PATH...` lists HL7 error codes with locations per message.
//! - `hl7rs ack [--code AA|AE|AR] PATH...` writes the acknowledgments each message asks for.
//! - `hl7rs profile [--json] [--html FILE] PATH...` summarises what the inputs hold (counts,
//!   shapes and lengths, never values).
//! - `hl7rs anonymize PATH... --out DIR [--key KEY] [--safe-harbor]` writes anonymized copies.
//!
//! Paths may be files (one message, a batch file or several messages), directories (walked
//! recursively in name order, taking `*.hl7`, `*.txt`, `*.er7`, `*.msg` unless `--all-files`) or
//! `-` for standard input. `--max-bytes` and `--max-segments` set the parser's limits. Failures and
//! the parser's notes (repairs, skipped bytes) are listed on stderr as input, byte offset and kind,
//! never content. Exit status: 0 success, 1 when an input could not be read or parsed or a message
//! failed (validation error, rejected acknowledgment), 2 for a usage error.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use hl7rs::{Limits, ParseOptions};

mod ack;
mod anonymize;
mod convert;
mod inputs;
mod parse;
mod profile;
mod validate;

const EXIT_CODES: &str = "\
Exit status:
  0  every input was read and every message passed
  1  an input could not be read or parsed, or a message failed (validation error, rejected ACK);
     for profile only unreadable inputs (parse failures are counted in the profile)
  2  usage error (unknown flag, missing path)";

/// hl7rs: HL7 v2 parsing, validation and acknowledgment tools.
#[derive(Parser, Debug)]
#[command(
    name = "hl7rs",
    version,
    about = "HL7 v2 tools: parse, validate, acknowledge, profile, anonymize and convert messages",
    long_about = "HL7 v2 tools: parse, validate, acknowledge, profile, anonymize and convert messages.\n\n\
PATHs are files (one message, several messages or a batch file), directories (walked recursively in \
name order, taking *.hl7, *.txt, *.er7 and *.msg in any case unless --all-files) or - for standard \
input. Files named on the command line are always read. Failures and parser notes (repairs, skipped \
bytes) go to stderr as input name, byte offset and kind, never message content.",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Flags of every subcommand.
#[derive(Args, Debug)]
struct Global {
    /// Take every file from directories, not only *.hl7, *.txt, *.er7, *.msg.
    #[arg(long, global = true)]
    all_files: bool,
    /// Largest message in bytes [default: 10485760 (10 MiB); values above 1 GiB are capped]. A
    /// larger message fails with a limit error at its offset.
    #[arg(long, global = true, value_name = "N")]
    max_bytes: Option<usize>,
    /// Most segments in one message [default: 50000; values above 10000000 are capped]. A message
    /// with more fails with a limit error at the offset of the first segment too many.
    #[arg(long, global = true, value_name = "N")]
    max_segments: Option<usize>,
}

impl Global {
    fn reading(&self) -> inputs::Reading {
        let mut options = ParseOptions::default();
        let defaults = Limits::default();
        // The library caps each value at `Limits::CEILING`.
        options.limits.max_message_bytes = self.max_bytes.unwrap_or(defaults.max_message_bytes);
        options.limits.max_segments = self.max_segments.unwrap_or(defaults.max_segments);
        inputs::Reading { all_files: self.all_files, options }
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse messages and print their segments and decoded fields.
    #[command(after_help = "Examples:
  hl7rs parse corpus/basic/adt_a01_v251_cr.hl7
  hl7rs parse --json batch.hl7 > messages.ndjson
  cat message.hl7 | hl7rs parse -

With --json, each line is one JSON object: a message
  {\"file\", \"message\" (1-based), \"offset\", \"segments\", \"notes\"}
an error {\"file\", \"error\": {\"kind\", \"offset\", \"segment\"}}, or skipped bytes
  {\"file\", \"skipped\": {\"offset\", \"len\"}}.
Field shape: \"X\" a value, [\"X\",\"Y\"] repetitions X~Y, [[\"X\",\"Y\"]] components X^Y,
[[[\"X\",\"Y\"]]] subcomponents X&Y.

Exit status: 0 all parsed, 1 an input could not be read or parsed, 2 usage error.")]
    Parse {
        /// Print NDJSON (one JSON object per line per message, error and skipped span) instead of
        /// text.
        #[arg(long)]
        json: bool,
        /// Files, directories, or - for stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Check each message: segment order, required fields, datatypes, table values, header codes.
    /// Parser notes (repairs, skipped bytes) are warnings.
    #[command(after_help = "Examples:
  hl7rs validate corpus/basic
  hl7rs validate --json --strict inbound/

Exit status: 0 no errors (and no warnings with --strict), 1 an error (or warning with --strict) or an
input could not be read or parsed, 2 usage error.")]
    Validate {
        /// Print JSON (a list with one object per message: file, offset, diagnostics).
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
        /// Files, directories, or - for stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Write the acknowledgments each message asks for to stdout: original mode (no MSH-15/16) the
    /// application ACK; enhanced mode a commit ACK (CA) per MSH-15 and an application ACK per
    /// MSH-16.
    #[command(after_help = "Examples:
  hl7rs ack message.hl7
  hl7rs ack --code AE --lf inbound/

A message that asks for no acknowledgment (e.g. MSH-15 NE, MSH-16 NE) gets none; this is noted on
stderr. An acknowledgment is never acknowledged.

Exit status: 0 every message acknowledged as asked, 1 an input could not be read or parsed or an
acknowledgment is a reject (AR/CR) the host did not ask for, 2 usage error.")]
    Ack {
        /// The application outcome to acknowledge: AA accept, AE error (ERR 207, application internal
        /// error), AR reject (no ERR). Header checks (empty MSH-10, unreadable header) still reject
        /// whatever is asked.
        #[arg(long, value_enum, ignore_case = true, default_value = "aa")]
        code: ack::Outcome,
        /// End segments with `\n` instead of `\r` (for reading on a terminal).
        #[arg(long)]
        lf: bool,
        /// Files, directories, or - for stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Profile the inputs: message types × versions, parse failures, charsets, delimiters and
    /// terminators, segment inventory and orders, Z-segments, field population, value lengths,
    /// message sizes, timestamps with and without UTC offsets. No field values are shown.
    #[command(after_help = "Examples:
  hl7rs profile corpus/
  hl7rs profile --json inbound/ > profile.json
  hl7rs profile --html profile.html --quiet captures/*.bin

Inputs are files, directories, batch files (FHS/BHS … BTS/FTS) and MLLP captures (files whose first
byte is 0x0B, split with the MLLP decoder). The output holds counts, lengths, segment ids and only
these codes: MSH-9.1/9.2, MSH-12, MSH-18 (as a known charset name) and the delimiter characters;
codes of another shape are shown as (other). Lengths are raw bytes; medians and p95 come from a
fixed-size histogram (exact below 32 bytes, else at most 25% above). Memory stays bounded
whatever the input size. --html writes one self-contained page (inline CSS and SVG, no script,
no external reference). A progress bar is drawn on stderr when it is a terminal (not with --quiet).

Exit status: 0 every input was read (parse failures are counted in the profile, not an error),
1 an input could not be read or the HTML page not written, 2 usage error.")]
    Profile {
        /// Print the profile as one JSON document instead of the summary.
        #[arg(long)]
        json: bool,
        /// Also write a self-contained HTML page with bar charts to FILE.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        /// Segment orders listed per message type.
        #[arg(long, value_name = "N", default_value_t = 10)]
        top: usize,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// Name each input on stderr as it is read.
        #[arg(long, short, conflicts_with = "quiet")]
        verbose: bool,
        /// Files, directories, or - for stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Write anonymized copies of the inputs under --out (same relative paths): default-deny,
    /// every value not on the allow-list of coded fields is replaced by a surrogate of the same
    /// shape.
    #[command(after_help = "Examples:
  hl7rs anonymize inbound/ --out seeds/
  hl7rs anonymize site.hl7 --out anon/ --key \"$SITE_SECRET\"
  hl7rs anonymize inbound/ --out anon/ --safe-harbor --quiet

Every field, repetition, component and subcomponent is replaced unless hl7-messaging's
data/anonymize-rules.txt keeps it (coded, non-identifying fields such as MSH-9, MSH-12, PID-8,
OBX-2, OBX-3, OBX-11); Z-segments are always replaced. Surrogates keep the length and shape:
letters stay letters, digits digits, punctuation and escape sequences stay, non-ASCII characters
become ASCII letters (MSH-18 is kept). Dates stay valid dates of the same precision, shifted by
±1..365 days per patient (PID-3). With --key the surrogates and shifts are the same on every run
(same value, same surrogate); without, a random key is drawn per run. Segment ids, delimiters,
terminators, MLLP framing and batch envelopes are kept, so segment counts and the
repetition/component counts of every field are those of the input.
--safe-harbor generalises dates to the year (ages over 89 to 90) and ZIP codes to 3 digits
(000 for the restricted prefixes) instead.
A message that does not parse is still written, with every letter, digit and non-ASCII byte
replaced; it is reported on stderr and the exit status is 1. Files already under --out are skipped.

Exit status: 0 every input anonymized, 1 an input could not be read, parsed or written, 2 usage
error.")]
    Anonymize {
        /// Files, directories, or - for stdin (written as stdin.hl7).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The output directory (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Key for consistent pseudonyms and date shifts across runs.
        #[arg(long, value_name = "KEY")]
        key: Option<String>,
        /// Generalise dates to the year and ZIP codes to 3 digits (HIPAA Safe Harbor).
        #[arg(long)]
        safe_harbor: bool,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// Name each file written on stderr.
        #[arg(long, short, conflicts_with = "quiet")]
        verbose: bool,
    },
    /// Convert each message to a FHIR R4 message Bundle with the built-in mapping matrix (the HL7
    /// V2-to-FHIR IG's rows; today MSH to `MessageHeader` and PID to `Patient`, with their datatype
    /// and vocabulary maps).
    #[command(after_help = "\
Examples:
  hl7rs convert message.hl7 --bundle          # one Bundle as pretty JSON
  hl7rs convert inbound/ > bundles.ndjson     # NDJSON, one Bundle per line
  hl7rs convert message.hl7 --issues          # also list what could not be mapped (stderr)

Mapping issues carry the kind, the v2 path, the byte offset and the matrix row, never a value.
Ids are derived from MSH-10 and positions, never random, so the same input gives the same JSON.

Exit status: 0 every message converted, 1 an input could not be read or parsed or a message not
converted, 2 usage error.")]
    Convert {
        /// Write each Bundle as one pretty JSON document instead of NDJSON.
        #[arg(long)]
        bundle: bool,
        /// List each mapping issue on stderr.
        #[arg(long)]
        issues: bool,
        /// Files, directories, or - for stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let reading = cli.global.reading();
    match cli.command {
        Command::Parse { json, paths } => parse::run(&paths, &reading, json),
        Command::Ack { code, lf, paths } => ack::run(&paths, &reading, code, lf),
        Command::Profile { json, html, top, quiet, verbose, paths } => {
            profile::run(&paths, &reading, &profile::Switches { json, html, top, quiet, verbose })
        }
        Command::Anonymize { paths, out, key, safe_harbor, quiet, verbose } => {
            anonymize::run(&paths, &reading, &anonymize::Switches { out, key, safe_harbor, quiet, verbose })
        }
        Command::Convert { bundle, issues, paths } => {
            convert::run(&paths, &reading, convert::Switches { bundle, issues })
        }
        Command::Validate { json, no_user_tables, z_segments, strict, paths } => {
            validate::run(&paths, &reading, validate::Switches { json, no_user_tables, z_segments, strict })
        }
    }
}
