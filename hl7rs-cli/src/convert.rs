//! `hl7rs convert`: each message to FHIR R4 through the built-in mapping matrix
//! (`hl7rs::map::engine`).
//!
//! Output goes to stdout (NDJSON, one Bundle per line; `--bundle`: one pretty JSON document per
//! message) or, with `--ndjson OUT_DIR`, into Bulk Data files: one `<Type>.ndjson` per resource
//! type (references between the resources of a message rewritten from `urn:uuid:` to `Type/id`),
//! a `manifest.json`, and `OperationOutcome.ndjson` (listed under `error`) with one
//! `OperationOutcome` per input or message that could not be read, parsed or converted (kind, input
//! and byte offset) and, with `--issues`, one per message with mapping issues.
//!
//! `--lineage` and `--coverage` write NDJSON lines: into `OUT_DIR/lineage.ndjson` and
//! `OUT_DIR/coverage.ndjson` with `--ndjson` (named in the manifest's `extension`), else to stderr
//! (each line a JSON object, so `grep '^{'` separates them from the notes). A lineage line is
//! `{"element","input","length","message","offset","row","source"}`, a coverage line
//! `{"input","length","message","offset","source"}`; the last coverage line is
//! `{"coverage_summary":{"PID-1":n,...},"messages":n}`. Offsets are bytes in the input file. No
//! line, issue or error carries a field value.
//!
//! Memory: each input file is read whole (as every command does), then its messages are converted
//! and written one at a time; only counts are kept across messages.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hl7rs::fhir::{Bundle, BundleEntry, OperationOutcome, OperationOutcomeIssue, Resource};
use hl7rs::map::bundles::{to_collection, to_resources, to_transaction};
use hl7rs::map::coverage::Uncovered;
use hl7rs::map::engine::{Conversion, ConvertOptions, Engine, LineageEntry, MapError};
use hl7rs::map::outcome::{describe, issues_outcome};
use hl7rs::{BatchEntry, Message, ParseError};
use indicatif::ProgressBar;
use serde_json::{json, Value};

use crate::inputs::{self, Input, Reading};

/// The Bundle type written (`--bundle-type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BundleType {
    /// The engine's `message` Bundle.
    #[default]
    Message,
    /// Every entry `POST`ed, with conditional creates.
    Transaction,
    /// The entries as they are.
    Collection,
}

/// What `hl7rs convert` was asked for.
#[derive(Clone, Debug, Default)]
#[allow(clippy::struct_excessive_bools)] // independent switches, one per flag
pub struct Switches {
    /// Pretty JSON, one document per message.
    pub bundle: bool,
    /// Bulk Data files in this directory instead of stdout.
    pub ndjson: Option<PathBuf>,
    /// The Bundle type on stdout.
    pub bundle_type: BundleType,
    /// Mapping issues (stderr, or the error file with `--ndjson`).
    pub issues: bool,
    /// Lineage lines.
    pub lineage: bool,
    /// Coverage lines.
    pub coverage: bool,
    /// An `AuditEvent` per message.
    pub audit: bool,
    /// The transformation time (a FHIR instant).
    pub recorded: Option<String>,
    /// No progress bar.
    pub quiet: bool,
    /// The input paths as given (for the manifest's `request`).
    pub request: String,
}

/// Most distinct segment-field keys counted in the coverage summary (memory bound).
const SUMMARY_KEYS: usize = 10_000;

/// `--recorded`: `now` (the clock, UTC, whole seconds) or a FHIR instant as given.
pub fn parse_recorded(text: &str) -> Result<String, String> {
    if text == "now" {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| "the clock is before 1970".to_owned())?
            .as_secs();
        return Ok(instant_utc(i64::try_from(secs).unwrap_or(i64::MAX)));
    }
    text.parse::<hl7rs::fhir::Instant>()
        .map(|_| text.to_owned())
        .map_err(|_| "not a FHIR instant (YYYY-MM-DDThh:mm:ss[.f](Z|+hh:mm)) nor 'now'".to_owned())
}

/// Seconds since 1970 as `YYYY-MM-DDThh:mm:ssZ` (days to a civil date: H. Hinnant's algorithm).
fn instant_utc(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

/// Where the results go.
enum Sink {
    Stdout(BufWriter<io::Stdout>),
    Files(Files),
}

/// The Bulk Data files being written, and their line counts.
struct Files {
    dir: PathBuf,
    outputs: BTreeMap<String, (BufWriter<File>, usize)>,
    errors: Option<(BufWriter<File>, usize)>,
    lineage: Option<BufWriter<File>>,
    coverage: Option<BufWriter<File>>,
}

impl Files {
    fn line(w: &mut impl Write, text: &str) -> io::Result<()> {
        w.write_all(text.as_bytes())?;
        w.write_all(b"\n")
    }

    fn resource(&mut self, r: &Resource) -> io::Result<()> {
        let text = hl7rs::fhir::to_json_string(r).map_err(io::Error::other)?;
        let kind = r.resource_type();
        if !self.outputs.contains_key(kind) {
            let w = BufWriter::new(File::create(self.dir.join(format!("{kind}.ndjson")))?);
            self.outputs.insert(kind.to_owned(), (w, 0));
        }
        if let Some((w, n)) = self.outputs.get_mut(kind) {
            Files::line(w, &text)?;
            *n += 1;
        }
        Ok(())
    }

    fn error(&mut self, outcome: &OperationOutcome) -> io::Result<()> {
        let text = hl7rs::fhir::to_json_string(outcome).map_err(io::Error::other)?;
        if self.errors.is_none() {
            self.errors = Some((BufWriter::new(File::create(self.dir.join("OperationOutcome.ndjson"))?), 0));
        }
        if let Some((w, n)) = self.errors.as_mut() {
            Files::line(w, &text)?;
            *n += 1;
        }
        Ok(())
    }

    fn manifest(mut self, switches: &Switches) -> io::Result<()> {
        let item = |kind: &str, count: usize| json!({"type": kind, "url": format!("{kind}.ndjson"), "count": count});
        let mut output = Vec::new();
        for (kind, (w, n)) in &mut self.outputs {
            w.flush()?;
            output.push(item(kind, *n));
        }
        let mut error = Vec::new();
        if let Some((w, n)) = self.errors.as_mut() {
            w.flush()?;
            error.push(item("OperationOutcome", *n));
        }
        let mut extension = serde_json::Map::new();
        for (name, w) in [("lineage", &mut self.lineage), ("coverage", &mut self.coverage)] {
            if let Some(w) = w {
                w.flush()?;
                extension.insert(name.to_owned(), json!(format!("{name}.ndjson")));
            }
        }
        let mut manifest = serde_json::Map::new();
        if let Some(t) = &switches.recorded {
            manifest.insert("transactionTime".into(), json!(t));
        }
        manifest.insert("request".into(), json!(switches.request));
        manifest.insert("requiresAccessToken".into(), json!(false));
        manifest.insert("output".into(), Value::Array(output));
        manifest.insert("error".into(), Value::Array(error));
        if !extension.is_empty() {
            manifest.insert("extension".into(), Value::Object(extension));
        }
        let text = serde_json::to_string_pretty(&Value::Object(manifest)).map_err(io::Error::other)?;
        std::fs::write(self.dir.join("manifest.json"), format!("{text}\n"))
    }
}

/// The state of one run.
struct Run<'s> {
    switches: &'s Switches,
    sink: Sink,
    bar: ProgressBar,
    summary: BTreeMap<String, usize>,
    messages: usize,
    ok: bool,
}

impl Run<'_> {
    /// Writes a line of lineage or coverage.
    fn side_line(&mut self, coverage: bool, line: &Value) -> io::Result<()> {
        let text = line.to_string();
        match &mut self.sink {
            Sink::Files(f) => {
                let w = if coverage { f.coverage.as_mut() } else { f.lineage.as_mut() };
                match w {
                    Some(w) => Files::line(w, &text),
                    None => Ok(()),
                }
            }
            Sink::Stdout(_) => {
                self.bar.suspend(|| eprintln!("{text}"));
                Ok(())
            }
        }
    }

    /// Reports a failure (stderr, and the error file with `--ndjson`).
    fn failure(&mut self, text: &str, code: &str) -> io::Result<()> {
        self.ok = false;
        self.bar.suspend(|| eprintln!("{text}"));
        if let Sink::Files(f) = &mut self.sink {
            f.error(&OperationOutcome {
                issue: vec![OperationOutcomeIssue {
                    severity: Some("error".into()),
                    code: Some(code.into()),
                    diagnostics: Some(text.into()),
                    ..Default::default()
                }],
                ..Default::default()
            })?;
        }
        Ok(())
    }

    fn parse_failure(&mut self, input: &Input, bytes: &[u8], e: &ParseError) -> io::Result<()> {
        let text = match e.locate(bytes).segment {
            Some(segment) => format!("{input}: byte {} (segment {segment}): {}", e.offset(), e.kind()),
            None => format!("{input}: byte {}: {}", e.offset(), e.kind()),
        };
        self.failure(&text, "structure")
    }

    #[allow(clippy::needless_update)] // options added to the engine later keep their defaults
    fn message(&mut self, engine: &Engine, input: &Input, index: usize, msg: &Message<'_>) -> io::Result<()> {
        let s = self.switches;
        let options = ConvertOptions {
            lineage: s.lineage,
            coverage: s.coverage,
            audit: s.audit,
            recorded: s.recorded.clone(),
            ..Default::default()
        };
        let conversion = match engine.convert_with(msg, options) {
            Ok(c) => c,
            Err(e) => {
                let kind = match e {
                    MapError::Matrix(_) => "the matrix did not load",
                    _ => "the output is not FHIR R4 (an engine defect)",
                };
                let text = format!("{input}: message {index} (byte {}): not converted: {kind}", msg.offset());
                return self.failure(&text, "exception");
            }
        };
        self.messages += 1;
        if s.issues {
            self.issues(input, index, &conversion)?;
        }
        if s.audit && conversion.audit.is_none() {
            self.bar.suspend(|| {
                eprintln!("{input}: message {index}: note: no AuditEvent: MSH-7 is not an instant; give --recorded");
            });
        }
        if let Some(lineage) = &conversion.lineage {
            for l in lineage {
                self.side_line(false, &lineage_line(input, index, l))?;
            }
        }
        if let Some(coverage) = &conversion.coverage {
            for u in coverage {
                self.side_line(true, &coverage_line(input, index, u))?;
                let key = u.field_key();
                if self.summary.len() < SUMMARY_KEYS || self.summary.contains_key(&key) {
                    *self.summary.entry(key).or_insert(0) += 1;
                } else {
                    *self.summary.entry("(other)".to_owned()).or_insert(0) += 1;
                }
            }
        }
        self.write(conversion)
    }

    fn issues(&mut self, input: &Input, index: usize, conversion: &Conversion) -> io::Result<()> {
        match &mut self.sink {
            Sink::Files(f) if !conversion.issues.is_empty() => {
                let mut outcome = issues_outcome(&conversion.issues);
                for i in &mut outcome.issue {
                    if let Some(d) = i.diagnostics.as_ref().and_then(|d| d.as_str()) {
                        i.diagnostics = Some(format!("{input}: message {index}: {d}").as_str().into());
                    }
                }
                f.error(&outcome)
            }
            Sink::Files(_) => Ok(()),
            Sink::Stdout(_) => {
                self.bar.suspend(|| {
                    for issue in &conversion.issues {
                        eprintln!("{input}: message {index}: map: {}", describe(issue));
                    }
                });
                Ok(())
            }
        }
    }

    fn write(&mut self, conversion: Conversion) -> io::Result<()> {
        let Conversion { mut bundle, audit, .. } = conversion;
        match &mut self.sink {
            Sink::Files(f) => {
                for r in to_resources(&bundle) {
                    f.resource(&r)?;
                }
                if let Some(a) = audit {
                    f.resource(&Resource::from(a))?;
                }
                Ok(())
            }
            Sink::Stdout(out) => {
                if let Some(a) = audit {
                    let url = a.id.as_deref().map(|id| format!("urn:uuid:{id}"));
                    bundle.entry.push(BundleEntry {
                        full_url: url.as_deref().map(Into::into),
                        resource: Some(Resource::from(a)),
                        ..Default::default()
                    });
                }
                let bundle = match self.switches.bundle_type {
                    BundleType::Message => bundle,
                    BundleType::Transaction => to_transaction(&bundle),
                    BundleType::Collection => to_collection(&bundle),
                };
                let text = if self.switches.bundle {
                    hl7rs::fhir::to_json_pretty(&bundle)
                } else {
                    hl7rs::fhir::to_json_string::<Bundle>(&bundle)
                };
                let text = text.map_err(io::Error::other)?;
                writeln!(out, "{text}")
            }
        }
    }
}

fn lineage_line(input: &Input, index: usize, l: &LineageEntry) -> Value {
    json!({
        "input": input.to_string(),
        "message": index,
        "element": l.element,
        "source": l.source.to_string(),
        "offset": l.span.start,
        "length": l.span.len(),
        "row": format!("{}:{}", l.row.file, l.row.row),
    })
}

fn coverage_line(input: &Input, index: usize, u: &Uncovered) -> Value {
    json!({
        "input": input.to_string(),
        "message": index,
        "source": u.path.to_string(),
        "offset": u.span.start,
        "length": u.span.len(),
    })
}

/// What `hl7rs convert` writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum To {
    /// FHIR R4 message Bundles (the built-in matrix).
    #[default]
    Fhir,
    /// HL7 v2 (ER7) through a v2 → v2 matrix (`--v2-matrix`).
    V2,
}

/// Runs `hl7rs convert` to FHIR, or to v2 through the matrix under `v2_matrix`.
pub fn dispatch(
    paths: &[PathBuf],
    reading: &Reading,
    switches: &Switches,
    to: To,
    v2_matrix: Option<&Path>,
) -> ExitCode {
    match (to, v2_matrix) {
        (To::Fhir, _) => run(paths, reading, switches),
        (To::V2, Some(dir)) => crate::v2v2::run(paths, reading, dir, switches.issues),
        (To::V2, None) => {
            eprintln!("hl7rs: --to v2 needs --v2-matrix DIR");
            ExitCode::from(2)
        }
    }
}

/// Runs `hl7rs convert`.
pub fn run(paths: &[PathBuf], reading: &Reading, switches: &Switches) -> ExitCode {
    let engine = match Engine::builtin() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("hl7rs: the built-in matrix does not load: {e}");
            return ExitCode::FAILURE;
        }
    };
    let sink = match &switches.ndjson {
        Some(dir) => match open_files(dir, switches) {
            Ok(f) => Sink::Files(f),
            Err(e) => {
                eprintln!("{}: cannot write: {}", dir.display(), e.kind());
                return ExitCode::FAILURE;
            }
        },
        None => Sink::Stdout(BufWriter::new(io::stdout())),
    };
    let (inputs, read_ok) = inputs::collect(paths, reading);
    // The bar shares stderr with the notes; not when lineage or coverage lines go there too, nor
    // when the Bundles go to a terminal.
    let side_on_stderr = matches!(sink, Sink::Stdout(_)) && (switches.lineage || switches.coverage);
    let to_terminal = matches!(sink, Sink::Stdout(_)) && io::stdout().is_terminal();
    let bar =
        crate::profile::progress(crate::profile::total_size(&inputs), switches.quiet || side_on_stderr || to_terminal);
    let mut run = Run { switches, sink, bar, summary: BTreeMap::new(), messages: 0, ok: read_ok };
    let written = convert_all(&mut run, &engine, &inputs, reading);
    run.bar.finish_and_clear();
    let finished = written.and_then(|()| finish(&mut run));
    if let Err(e) = finished {
        eprintln!("hl7rs: cannot write output: {}", e.kind());
        return ExitCode::FAILURE;
    }
    if run.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn open_files(dir: &Path, switches: &Switches) -> io::Result<Files> {
    std::fs::create_dir_all(dir)?;
    let side = |on: bool, name: &str| -> io::Result<Option<BufWriter<File>>> {
        on.then(|| File::create(dir.join(name)).map(BufWriter::new)).transpose()
    };
    Ok(Files {
        dir: dir.to_owned(),
        outputs: BTreeMap::new(),
        errors: None,
        lineage: side(switches.lineage, "lineage.ndjson")?,
        coverage: side(switches.coverage, "coverage.ndjson")?,
    })
}

fn convert_all(run: &mut Run<'_>, engine: &Engine, inputs: &[Input], reading: &Reading) -> io::Result<()> {
    let mut done = 0u64;
    for input in inputs {
        let Some(bytes) = input.read() else {
            run.failure(&format!("{input}: cannot read"), "exception")?;
            continue;
        };
        let mut count = 0;
        for entry in reading.batch(&bytes).entries() {
            match entry {
                Ok(BatchEntry::Message(msg)) => {
                    count += 1;
                    run.bar.suspend(|| inputs::report_notes(input, count, &msg));
                    run.message(engine, input, count, &msg)?;
                    run.bar.set_position(done + (msg.offset() + msg.as_bytes().len()) as u64);
                }
                Ok(BatchEntry::Skipped(s)) => run.bar.suspend(|| inputs::report_skipped(input, s)),
                Ok(_) => {}
                Err(e) => run.parse_failure(input, &bytes, &e)?,
            }
        }
        done += bytes.len() as u64;
        run.bar.set_position(done);
    }
    Ok(())
}

fn finish(run: &mut Run<'_>) -> io::Result<()> {
    if run.switches.coverage {
        let summary = json!({"coverage_summary": run.summary, "messages": run.messages});
        run.side_line(true, &summary)?;
    }
    match std::mem::replace(&mut run.sink, Sink::Stdout(BufWriter::new(io::stdout()))) {
        Sink::Stdout(mut out) => out.flush(),
        Sink::Files(f) => f.manifest(run.switches),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_from_the_epoch() {
        assert_eq!(instant_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(instant_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(instant_utc(1_735_787_045), "2025-01-02T03:04:05Z");
        assert!(parse_recorded("now").unwrap().parse::<hl7rs::fhir::Instant>().is_ok());
        assert!(parse_recorded("2025-01-02").is_err());
        assert_eq!(parse_recorded("2025-01-02T03:04:05+01:00").unwrap(), "2025-01-02T03:04:05+01:00");
    }
}
