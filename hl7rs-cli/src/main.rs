//! The `hl7rs` command: subcommands over HL7 v2 files, directories, batch files and stdin.
//!
//! - `hl7rs parse [--json] PATH...` prints each message's segments and decoded fields (text), or
//!   one JSON object per line per message (NDJSON, `--json`).
//! - `hl7rs validate [--json] [--strict] PATH...` lists HL7 error codes with locations per message.
//! - `hl7rs ack [--code AA|AE|AR] PATH...` writes the acknowledgments each message asks for.
//! - `hl7rs profile [--json] [--html FILE] PATH...` summarises what the inputs hold (counts,
//!   shapes and lengths, never values).
//! - `hl7rs anonymize PATH... --out DIR [--key KEY] [--safe-harbor]` writes anonymized copies.
//! - `hl7rs convert PATH... [--bundle | --ndjson OUT_DIR] [--bundle-type T] [--lineage] [--coverage]
//!   [--audit] [--recorded TIME|now]` converts messages to FHIR R4.
//! - `hl7rs mllp listen --port P --out DIR` receives messages over MLLP, stores each durably, then
//!   acknowledges it (optionally over TLS, with a client allow-list and Prometheus metrics);
//!   `hl7rs mllp send PATH... --to HOST:PORT` sends messages and waits for their acknowledgments;
//!   `hl7rs mllp export DIR --out DIR` writes the listener's journal as one file per message.
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
mod mllp;
mod parse;
mod profile;
mod v2v2;
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
    about = "HL7 v2 tools: parse, validate, acknowledge, profile, anonymize and convert messages; send and receive them over MLLP",
    long_about = "HL7 v2 tools: parse, validate, acknowledge, profile, anonymize and convert messages; send and \
receive them over MLLP.\n\n\
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
    /// Convert each message to FHIR R4 with the built-in mapping matrix (the HL7 V2-to-FHIR IG's
    /// rows with their datatype and vocabulary maps): a Bundle per message on stdout, or Bulk Data
    /// NDJSON files (one per resource type, a manifest, an error file).
    #[command(after_help = "\
Examples:
  hl7rs convert message.hl7 --bundle                     # one message Bundle as pretty JSON
  hl7rs convert inbound/ > bundles.ndjson                # NDJSON, one Bundle per line
  hl7rs convert message.hl7 --issues                     # also list what could not be mapped (stderr)
  hl7rs convert message.hl7 --bundle --bundle-type transaction --audit --recorded now
  hl7rs convert batch.hl7 --ndjson out/ --coverage --lineage --issues
  hl7rs convert --to v2 --v2-matrix hl7-map/examples/v2v2 message.hl7 > out.hl7   # v2 -> v2 (ER7)

--ndjson OUT_DIR (Bulk Data layout): <Type>.ndjson per resource type, one resource per line
(references between the resources of a message as Type/id); manifest.json with transactionTime
(only with --recorded), request, requiresAccessToken false, output [{type, url, count}] and error
[{type, url, count}]; OperationOutcome.ndjson holds one OperationOutcome per input or message that
could not be read, parsed or converted (input, byte offset, kind) and, with --issues, one per
message with mapping issues. Resources are written as each message converts (memory holds the input
file and one message's result).
--bundle-type: message (the engine's), transaction (each entry POST <Type>, ifNoneExist on the first
identifier when it has a system) or collection.
--audit: an AuditEvent per message (type iso-21089-lifecycle transform; agents MSH-3/4 and MSH-5/6;
the patient's first identifier; the v2 fields read). On stdout it is added to the Bundle; with
--ndjson it goes to AuditEvent.ndjson. Its time is --recorded, else MSH-7 when it has a zone.
--recorded TIME|now: the transformation time (Provenance, AuditEvent, manifest transactionTime) as
a FHIR instant; 'now' reads the clock. Without it no clock is read: the same input gives the same
bytes.
--lineage / --coverage: NDJSON lines, to OUT_DIR/lineage.ndjson and OUT_DIR/coverage.ndjson with
--ndjson, else to stderr. Lineage: {element, input, length, message, offset, row, source};
coverage (valued v2 parts no row consumed): {input, length, message, offset, source}, then
{coverage_summary: {SEG-n: count}, messages}. Offsets are bytes in the input file.

Mapping issues, lineage, coverage and errors carry kinds, v2 paths, FHIR elements, byte offsets and
matrix rows, never a value. Ids are derived from MSH-10 and positions, never random.
A progress bar is drawn on stderr when it is a terminal (not with --quiet, nor when Bundles go to a
terminal or lineage/coverage lines go to stderr).

Exit status: 0 every message converted, 1 an input could not be read or parsed or a message not
converted, 2 usage error.")]
    Convert {
        /// Write each Bundle as one pretty JSON document instead of NDJSON.
        #[arg(long, conflicts_with = "ndjson")]
        bundle: bool,
        /// Write Bulk Data NDJSON files (one per resource type) and `manifest.json` into `OUT_DIR`.
        #[arg(long, value_name = "OUT_DIR")]
        ndjson: Option<PathBuf>,
        /// The Bundle type written to stdout.
        #[arg(long, value_enum, default_value = "message", conflicts_with = "ndjson")]
        bundle_type: convert::BundleType,
        /// List each mapping issue (stderr; the error file with --ndjson).
        #[arg(long)]
        issues: bool,
        /// Write lineage lines (FHIR element ← v2 path, offset, length, matrix row).
        #[arg(long)]
        lineage: bool,
        /// Write coverage lines: valued v2 parts no matrix row consumed, and a summary.
        #[arg(long)]
        coverage: bool,
        /// Add an audit record (`AuditEvent`) per message.
        #[arg(long)]
        audit: bool,
        /// The transformation time: a FHIR instant, or 'now' for the clock.
        #[arg(long, value_name = "TIME|now", value_parser = convert::parse_recorded)]
        recorded: Option<String>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// Output: `fhir` (Bundles) or `v2` (ER7 through --v2-matrix).
        #[arg(long, value_enum, ignore_case = true, default_value = "fhir")]
        to: convert::To,
        /// The v2 → v2 matrix directory (`maps/*.csv`, `vocabulary/*.csv`) for --to v2.
        #[arg(long, value_name = "DIR")]
        v2_matrix: Option<PathBuf>,
        /// Files, directories, or - for stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// MLLP over TCP: receive (listen) or send messages, with acknowledgments.
    #[command(subcommand)]
    Mllp(MllpCommand),
}

#[derive(Subcommand, Debug)]
enum MllpCommand {
    /// Receive messages over MLLP: each message is stored durably under --out, then acknowledged
    /// (AA, or AE/AR from validation; a commit ACK as MSH-15/16 ask). A control id seen before is
    /// answered with the stored ACK.
    #[command(after_help = "Examples:
  hl7rs mllp listen --port 2575 --out inbound/
  hl7rs mllp listen --port 0 --out /tmp/in --idle-timeout 60 --max-frame 1048576
  hl7rs mllp listen --port 2575 --bind 0.0.0.0 --out inbound/ --allow 10.20.0.0/16 --allow 10.30.1.7
  hl7rs mllp listen --port 2575 --out inbound/ --tls-cert server.pem --tls-key server.key
  hl7rs mllp listen --port 2575 --out inbound/ --tls-cert server.pem --tls-key server.key --tls-client-ca clients-ca.pem
  hl7rs mllp listen --port 2575 --out inbound/ --metrics 127.0.0.1:9575 --verbose
  hl7rs mllp export inbound/ --out copies/        # one <key>.hl7 and <key>.ack per message

The bound port is printed alone on the first line of stdout (useful with --port 0); with
--metrics a second line 'metrics=ADDR' gives the metrics address.
Storage: an append-only journal in --out, journal-00000001.hl7j, journal-00000002.hl7j, ... (a new
segment after 64 MiB), one record per message: its key, the message as received, the ACK frames
sent and the time received, with a checksum. The key is MSH-10 when it is 1-64 characters of
A-Z a-z 0-9 . _ - (else h-<hash>; x-<hash> of the payload when there is no control id). Group
commit: the messages waiting at that moment (from every connection) are appended in one write
and made durable with one fdatasync; only then are their ACKs sent. At start the journal is read:
a message whose key is there is a duplicate and gets the stored ACK again, and is not stored
twice; a torn last record (a crash during a write; never acknowledged) is cut off and reported;
other damage stops the start (exit 1) rather than drop acknowledged messages. 'hl7rs mllp export'
writes the journal out as one file per message.
Validation errors (hl7rs validate, severity E) give AE with ERR segments; unsupported header codes
or an unparsable message give AR. Acknowledgments received are ignored (never acknowledged).
TLS: --tls-cert (PEM chain, leaf first) and --tls-key (PEM private key); --tls-client-ca makes
client certificates required (mutual TLS). --allow NETWORK (repeatable; an address or CIDR):
other peers are closed at accept, counted and logged with their address only.
--metrics ADDR serves Prometheus text on GET /metrics: messages received, acknowledged (AA, CA)
and rejected (AE, AR, CE, CR) by message type and code, duplicates, bytes, connections open,
accepted and refused, TLS failures, the ACK latency histogram and the time of the last message.
SIGTERM or ctrl-c: stop accepting, answer the frames already received in full, close, exit 0. A
frame not yet received in full is dropped unacknowledged (the sender resends it).
Logs on stderr: peer address, sizes, ACK codes, latencies; never content or control ids. --quiet:
errors and start/stop only; default: also warnings (junk, framing, idle closes, refused peers,
duplicates); --verbose: also connections and one line per message.

Exit status: 0 stopped by SIGTERM/ctrl-c, 1 could not bind, open --out or its journal, or read
the TLS files, 2 usage error.")]
    Listen {
        /// TCP port; 0 picks a free one (printed on stdout).
        #[arg(long)]
        port: u16,
        /// Address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Store directory (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Close a connection silent for this many seconds.
        #[arg(long, value_name = "S", default_value_t = 300.0)]
        idle_timeout: f64,
        /// Largest frame payload in bytes; a larger frame closes the connection unacknowledged.
        #[arg(long, value_name = "N", default_value_t = 10 * 1024 * 1024)]
        max_frame: usize,
        /// After SIGTERM, wait at most this many seconds for connections to finish.
        #[arg(long, value_name = "S", default_value_t = 30.0)]
        grace: f64,
        /// Only errors and start/stop lines on stderr.
        #[arg(long, short)]
        quiet: bool,
        /// Also connections and one line per message (size, ACK codes, latency) on stderr.
        #[arg(long, short, conflicts_with = "quiet")]
        verbose: bool,
        /// TLS: the server certificate chain (PEM, leaf first).
        #[arg(long, value_name = "PEM", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// TLS: the server's private key (PEM).
        #[arg(long, value_name = "PEM", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Mutual TLS: require client certificates signed by these CAs (PEM).
        #[arg(long, value_name = "PEM", requires = "tls_cert")]
        tls_client_ca: Option<PathBuf>,
        /// Accept connections only from this address or CIDR network (repeatable).
        #[arg(long, value_name = "CIDR_OR_IP")]
        allow: Vec<mllp::allow::Network>,
        /// Serve Prometheus metrics on `http://ADDR/metrics` (port 0: any free port).
        #[arg(long, value_name = "ADDR")]
        metrics: Option<std::net::SocketAddr>,
    },
    /// Send each message of the inputs over MLLP and wait for its acknowledgment; retry with
    /// exponential backoff on timeout or connection loss.
    #[command(after_help = "Examples:
  hl7rs mllp send corpus/basic --to 127.0.0.1:2575
  hl7rs mllp send batch.hl7 --to ris.example:2575 --timeout 5 --retries 5
  hl7rs mllp send outbound/ --to 127.0.0.1:2575 --window 64 --quiet
  hl7rs mllp send outbound/ --to ris.example:2575 --tls --tls-ca ca.pem
  hl7rs mllp send outbound/ --to ris.example:2575 --tls --tls-ca ca.pem --tls-cert me.pem --tls-key me.key

One connection is used for all messages (reopened after a failure). The answer awaited: the
application ACK in original mode or when MSH-16 is AL; else the commit ACK when MSH-15 asks for
it on success; else none (the message is only sent). MSA-2 must match the MSH-10 sent; answers
naming another control id are skipped; a message with an empty MSH-10 is not sent. Backoff
between tries: 0.25 s, 0.5 s, 1 s, ... up to 8 s.
TLS: --tls with --tls-ca (PEM CAs of the receiver's certificate, which must name the host of --to
or --tls-server-name); --tls-cert and --tls-key add a client certificate (mutual TLS).
stdout: one line per message, '<input>: message <n>: <code>'. AE/AR/CE/CR and failures are
reported on stderr with the ERR codes. --verbose: also connections and, per message, its size,
ACK code, latency and tries on stderr (never content or control ids).

Exit status: 0 every message accepted (AA/CA, or sent when no ACK is asked), 1 a message was not
accepted, got no answer after every try, or an input could not be read or parsed, 2 usage error,
HOST:PORT cannot be resolved or the TLS files cannot be read.")]
    Send {
        /// Files, directories, or - for stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The receiver, HOST:PORT.
        #[arg(long, value_name = "HOST:PORT")]
        to: String,
        /// Seconds to wait for each answer (and to connect).
        #[arg(long, value_name = "S", default_value_t = 10.0)]
        timeout: f64,
        /// Tries after the first one for a message without an answer.
        #[arg(long, value_name = "N", default_value_t = 3)]
        retries: u32,
        /// No line per accepted message.
        #[arg(long, short)]
        quiet: bool,
        /// Also connections and one line per message (size, ACK code, latency, tries) on stderr.
        #[arg(long, short, conflicts_with = "quiet")]
        verbose: bool,
        /// Messages in flight at once: 1 waits for each ACK before sending the next; more sends
        /// ahead and matches the ACKs by MSA-2 (the receiver must answer frames in order or by
        /// control id, as hl7rs mllp listen does).
        #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1024))]
        window: u16,
        /// Connect with TLS.
        #[arg(long, requires = "tls_ca")]
        tls: bool,
        /// TLS: the CA certificates (PEM) the receiver's certificate must chain to.
        #[arg(long, value_name = "PEM", requires = "tls")]
        tls_ca: Option<PathBuf>,
        /// Mutual TLS: the client certificate chain (PEM, leaf first).
        #[arg(long, value_name = "PEM", requires_all = ["tls", "tls_key"])]
        tls_cert: Option<PathBuf>,
        /// Mutual TLS: the client's private key (PEM).
        #[arg(long, value_name = "PEM", requires_all = ["tls", "tls_cert"])]
        tls_key: Option<PathBuf>,
        /// TLS: the name the receiver's certificate must carry (default: the host of --to).
        #[arg(long, value_name = "NAME", requires = "tls")]
        tls_server_name: Option<String>,
    },
    /// Write the messages of a listener's journal (hl7rs mllp listen --out DIR) as one
    /// KEY.hl7 and one KEY.ack file per message (KEY: MSH-10, or a hash).
    #[command(after_help = "Examples:
  hl7rs mllp export inbound/ --out copies/

Read-only: it may run while the listener appends (a record still being written at the end is
skipped with a note). Files already in --out with the same names are replaced.

Exit status: 0 written, 1 the journal is damaged (not at its end) or --out cannot be written,
2 usage error.")]
    Export {
        /// The listener's --out directory.
        journal: PathBuf,
        /// Where to write the files (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// No summary line.
        #[arg(long, short)]
        quiet: bool,
    },
}

fn seconds(s: f64) -> std::time::Duration {
    std::time::Duration::try_from_secs_f64(s.max(0.001)).unwrap_or(std::time::Duration::from_secs(86400))
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
        Command::Convert {
            bundle,
            ndjson,
            bundle_type,
            issues,
            lineage,
            coverage,
            audit,
            recorded,
            quiet,
            to,
            v2_matrix,
            paths,
        } => {
            let request = std::iter::once("hl7rs convert".to_owned())
                .chain(paths.iter().map(|p| p.display().to_string()))
                .collect::<Vec<_>>()
                .join(" ");
            let switches = convert::Switches {
                bundle,
                ndjson,
                bundle_type,
                issues,
                lineage,
                coverage,
                audit,
                recorded,
                quiet,
                request,
            };
            convert::dispatch(&paths, &reading, &switches, to, v2_matrix.as_deref())
        }
        Command::Validate { json, no_user_tables, z_segments, strict, paths } => {
            validate::run(&paths, &reading, validate::Switches { json, no_user_tables, z_segments, strict })
        }
        Command::Mllp(command) => mllp_command(command, &reading),
    }
}

fn mllp_command(command: MllpCommand, reading: &inputs::Reading) -> ExitCode {
    match command {
        MllpCommand::Listen {
            port,
            bind,
            out,
            idle_timeout,
            max_frame,
            grace,
            quiet,
            verbose,
            tls_cert,
            tls_key,
            tls_client_ca,
            allow,
            metrics,
        } => {
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => match mllp::tls::server_config(&cert, &key, tls_client_ca.as_deref()) {
                    Ok(config) => Some(config),
                    Err(e) => {
                        eprintln!("hl7rs mllp listen: {e}");
                        return ExitCode::FAILURE;
                    }
                },
                _ => None,
            };
            let verbosity = match (quiet, verbose) {
                (true, _) => mllp::listen::Verbosity::Quiet,
                (_, true) => mllp::listen::Verbosity::Verbose,
                _ => mllp::listen::Verbosity::Normal,
            };
            let settings = mllp::listen::Settings {
                bind,
                port,
                out,
                idle: seconds(idle_timeout),
                max_frame,
                grace: seconds(grace),
                verbosity,
                tls,
                allow,
                metrics,
            };
            mllp::listen::run(&settings, reading.options)
        }
        MllpCommand::Send {
            paths,
            to,
            timeout,
            retries,
            quiet,
            verbose,
            window,
            tls,
            tls_ca,
            tls_cert,
            tls_key,
            tls_server_name,
        } => {
            let tls = match (tls, tls_ca) {
                (true, Some(ca)) => {
                    let identity = tls_cert.as_deref().zip(tls_key.as_deref());
                    let config = mllp::tls::client_config(&ca, identity)
                        .and_then(|c| Ok((c, mllp::tls::server_name(&to, tls_server_name.as_deref())?)));
                    match config {
                        Ok(c) => Some(c),
                        Err(e) => {
                            eprintln!("hl7rs mllp send: {e}");
                            return ExitCode::from(2);
                        }
                    }
                }
                _ => None,
            };
            let settings = mllp::send::Settings {
                to,
                timeout: seconds(timeout),
                retries,
                quiet,
                window: usize::from(window),
                verbose,
                tls,
            };
            mllp::send::run(&paths, reading, &settings)
        }
        MllpCommand::Export { journal, out, quiet } => mllp::export::run(&journal, &out, quiet),
    }
}
