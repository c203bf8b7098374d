//! `hl7rs profile`: reads every input into one [`Profile`] (the library keeps the counters) and
//! prints it as a terminal summary, JSON (`--json`) or a self-contained HTML page (`--html FILE`).
//! Both renderings are made from the profile's JSON document, so they show nothing it lacks (no
//! field values).

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use hl7rs::profile::{Profile, ProfileOptions};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use crate::inputs::{self, Input, Reading};

/// What `hl7rs profile` was asked for.
#[derive(Debug)]
pub struct Switches {
    /// Print the JSON document instead of the summary.
    pub json: bool,
    /// Also write the HTML page here.
    pub html: Option<PathBuf>,
    /// Segment orders listed per message type.
    pub top: usize,
    /// No progress bar, no per-file notes.
    pub quiet: bool,
    /// Name each input on stderr as it is read.
    pub verbose: bool,
}

/// A progress bar over `total` bytes on stderr, hidden when stderr is not a terminal or `quiet`.
pub fn progress(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}") {
        bar.set_style(style);
    }
    bar
}

/// The size of the file inputs (for the progress bar).
pub fn total_size(inputs: &[Input]) -> u64 {
    inputs.iter().map(|i| if let Input::File(p) = i { std::fs::metadata(p).map_or(0, |m| m.len()) } else { 0 }).sum()
}

/// Runs `hl7rs profile`.
pub fn run(paths: &[PathBuf], reading: &Reading, switches: &Switches) -> ExitCode {
    let (inputs, mut ok) = inputs::collect(paths, reading);
    let mut options = ProfileOptions::default();
    options.parse = reading.options;
    options.top_variants = switches.top;
    let mut profile = Profile::new(options);
    let bar = progress(total_size(&inputs), switches.quiet);
    for input in &inputs {
        if switches.verbose {
            bar.suspend(|| eprintln!("{input}: reading"));
        }
        let Some(bytes) = input.read() else {
            ok = false;
            continue;
        };
        profile.add_input(&input.to_string(), &bytes);
        bar.inc(bytes.len() as u64);
    }
    bar.finish_and_clear();
    let doc = profile.to_json();
    if let Some(path) = &switches.html {
        if let Err(e) = std::fs::write(path, html(&doc)) {
            eprintln!("{}: cannot write: {}", path.display(), e.kind());
            ok = false;
        }
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let written = if switches.json {
        serde_json::to_writer_pretty(&mut out, &doc).map_err(io::Error::from).and_then(|()| out.write_all(b"\n"))
    } else {
        out.write_all(summary(&doc).as_bytes())
    };
    if written.and_then(|()| out.flush()).is_err() {
        eprintln!("hl7rs: cannot write output");
        return ExitCode::FAILURE;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn array(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

fn percent(v: &Value) -> String {
    format!("{:.1}%", v.as_f64().unwrap_or(0.0) * 100.0)
}

fn length(v: &Value) -> String {
    format!("{}/{}/{}/{}", text(&v["min"]), text(&v["median"]), text(&v["p95"]), text(&v["max"]))
}

/// The terminal summary. Writing into a `String` cannot fail, so its results are ignored.
#[allow(clippy::too_many_lines)] // one section after the other
pub fn summary(doc: &Value) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} messages in {} inputs ({} bytes); {} parse failures",
        doc["messages"], doc["inputs"], doc["bytes"], doc["failures"]["count"]
    );
    let _ = writeln!(s, "message size (bytes, min/median/p95/max): {}", length(&doc["message_size"]));
    for (kind, n) in doc["failures"]["by_kind"].as_object().into_iter().flatten() {
        let _ = writeln!(s, "  failure {kind}: {n}");
    }
    for f in array(&doc["failures"]["first"]) {
        let _ = writeln!(s, "    {}:{}: {}", text(&f["source"]), text(&f["offset"]), text(&f["kind"]));
    }
    let _ = writeln!(s, "\nmessage types × versions");
    for t in array(&doc["message_types"]) {
        let _ = writeln!(s, "  {:<20} {:<8} {:>8}", text(&t["type"]), text(&t["version"]), text(&t["count"]));
    }
    let _ = writeln!(s, "\ncharsets (declared: messages, non-ASCII, valid UTF-8, mismatch)");
    for c in array(&doc["charsets"]) {
        let _ = writeln!(
            s,
            "  {:<20} {:>8} {:>8} {:>8} {:>8}",
            text(&c["declared"]),
            text(&c["messages"]),
            text(&c["non_ascii"]),
            text(&c["utf8_valid"]),
            text(&c["mismatch"])
        );
    }
    let _ = writeln!(s, "\ndelimiters (MSH-1 MSH-2)");
    for d in array(&doc["delimiters"]) {
        let _ = writeln!(s, "  {:<8} {:>8}", text(&d["chars"]), text(&d["count"]));
    }
    let t = &doc["terminators"];
    let _ = writeln!(
        s,
        "terminators (messages): CR {}, LF {}, CRLF {}, last segment unterminated {}",
        text(&t["cr"]),
        text(&t["lf"]),
        text(&t["crlf"]),
        text(&t["missing_final"])
    );
    let m = &doc["mllp"];
    let _ = writeln!(
        s,
        "MLLP frames {}, commit ACKs {}; skipped bytes {}; envelope segments {}",
        m["frames"], m["commit_acks"], doc["skipped_bytes"], doc["envelope_segments"]
    );
    let _ = writeln!(s, "\ntimestamps (with UTC offset / without / invalid)");
    for t in array(&doc["timestamps"]) {
        let _ = writeln!(
            s,
            "  {:<8} {:>8} {:>8} {:>8}",
            text(&t["field"]),
            text(&t["with_offset"]),
            text(&t["without_offset"]),
            text(&t["invalid"])
        );
    }
    let _ = writeln!(s, "\nsegments (count, fields min-max)");
    for seg in array(&doc["segments"]) {
        let _ = writeln!(
            s,
            "  {} {:>8}  {}-{}",
            text(&seg["id"]),
            text(&seg["count"]),
            text(&seg["min_fields"]),
            text(&seg["max_fields"])
        );
    }
    let _ = writeln!(s, "\nZ-segments (count, fields min-max)");
    for z in array(&doc["z_segments"]) {
        let _ = writeln!(
            s,
            "  {} {:>8}  {}-{}",
            text(&z["id"]),
            text(&z["count"]),
            text(&z["min_fields"]),
            text(&z["max_fields"])
        );
    }
    let _ = writeln!(s, "\nsegment orders per message type (most frequent first)");
    for v in array(&doc["order_variants"]) {
        let _ = writeln!(s, "  {} ({} distinct)", text(&v["type"]), text(&v["distinct"]));
        for o in array(&v["top"]) {
            let _ = writeln!(s, "    {:>8}  {}", text(&o["count"]), text(&o["sequence"]));
        }
    }
    let _ = writeln!(s, "\nfields (valued %, repeated, max repetitions, length min/median/p95/max)");
    for seg in array(&doc["segments"]) {
        for f in array(&seg["fields"]) {
            let _ = writeln!(
                s,
                "  {:<8} {:>7} {:>8} {:>4}  {}",
                text(&f["field"]),
                percent(&f["rate"]),
                text(&f["repeated"]),
                text(&f["max_repetitions"]),
                length(&f["length"])
            );
        }
    }
    s
}

/// `s` with `& < > " '` escaped for HTML text and attributes.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An inline SVG bar chart: one bar per (label, value), scaled to the largest.
fn bar_chart(title: &str, bars: &[(String, f64)]) -> String {
    let max = bars.iter().map(|(_, v)| *v).fold(0.0, f64::max).max(1e-9);
    let row = 18;
    let height = bars.len() * row + 4;
    let mut s = format!(
        "<figure class=\"chart\"><figcaption>{}</figcaption><svg \
         role=\"img\" width=\"640\" height=\"{height}\" viewBox=\"0 0 640 {height}\">",
        esc(title)
    );
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = i * row;
        let width = value / max * 380.0;
        let shown = if value.fract() == 0.0 { format!("{value}") } else { format!("{value:.1}") };
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\" class=\"l\">{}</text><rect x=\"200\" y=\"{}\" width=\"{width:.1}\" \
             height=\"14\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
            y + 13,
            esc(label),
            y + 2,
            205.0 + width,
            y + 13,
            esc(&shown)
        );
    }
    s.push_str("</svg></figure>\n");
    s
}

fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in headers {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{}</td>", esc(c));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>\n");
    s
}

fn count(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// The self-contained HTML page: inline CSS, inline SVG bar charts, no script, no external
/// reference.
#[allow(clippy::too_many_lines)]
pub fn html(doc: &Value) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>hl7rs profile</title>\n<style>\n\
         body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\
         h1,h2{font-weight:600}table{border-collapse:collapse;margin:.5em 0 1.5em}\
         th,td{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#eee}\
         td:first-child{text-align:left;font-family:monospace}\
         .chart rect{fill:#4a78b0}.chart text{font:12px monospace}.chart figcaption{font-weight:600}\
         figure{margin:1em 0}\n</style></head><body>\n<h1>hl7rs profile</h1>\n",
    );
    let _ = writeln!(
        s,
        "<p id=\"totals\">{} messages in {} inputs ({} bytes); {} parse failures. Message size \
         (bytes, min/median/p95/max): {}.</p>",
        doc["messages"],
        doc["inputs"],
        doc["bytes"],
        doc["failures"]["count"],
        esc(&length(&doc["message_size"]))
    );
    s.push_str("<h2 id=\"types\">Message types × versions</h2>\n");
    let types: Vec<_> = array(&doc["message_types"])
        .iter()
        .map(|t| (format!("{} {}", text(&t["type"]), text(&t["version"])), count(&t["count"])))
        .collect();
    s.push_str(&bar_chart("messages per type and version", &types));
    s.push_str("<h2 id=\"failures\">Parse failures</h2>\n");
    let kinds: Vec<Vec<String>> = doc["failures"]["by_kind"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, n)| vec![k.clone(), n.to_string()])
        .collect();
    s.push_str(&table(&["kind", "count"], &kinds));
    let first: Vec<Vec<String>> = array(&doc["failures"]["first"])
        .iter()
        .map(|f| vec![text(&f["source"]), f["offset"].to_string(), text(&f["kind"])])
        .collect();
    s.push_str(&table(&["source", "byte offset", "kind"], &first));
    s.push_str("<h2 id=\"charsets\">Charsets (declared vs detected)</h2>\n");
    let charsets: Vec<Vec<String>> = array(&doc["charsets"])
        .iter()
        .map(|c| ["declared", "messages", "non_ascii", "utf8_valid", "mismatch"].iter().map(|k| text(&c[*k])).collect())
        .collect();
    s.push_str(&table(&["MSH-18", "messages", "non-ASCII", "valid UTF-8", "mismatch"], &charsets));
    s.push_str("<h2 id=\"delimiters\">Delimiters and terminators</h2>\n");
    let delimiters: Vec<Vec<String>> =
        array(&doc["delimiters"]).iter().map(|d| vec![text(&d["chars"]), d["count"].to_string()]).collect();
    s.push_str(&table(&["MSH-1 MSH-2", "messages"], &delimiters));
    let t = &doc["terminators"];
    let terminators: Vec<_> = [("CR", "cr"), ("LF", "lf"), ("CRLF", "crlf"), ("unterminated last", "missing_final")]
        .iter()
        .map(|(label, k)| ((*label).to_string(), count(&t[*k])))
        .collect();
    s.push_str(&bar_chart("messages per segment terminator", &terminators));
    s.push_str("<h2 id=\"timestamps\">Timestamps</h2>\n");
    let stamps: Vec<Vec<String>> = array(&doc["timestamps"])
        .iter()
        .map(|t| ["field", "with_offset", "without_offset", "invalid"].iter().map(|k| text(&t[*k])).collect())
        .collect();
    s.push_str(&table(&["field", "with UTC offset", "without", "invalid"], &stamps));
    s.push_str("<h2 id=\"segments\">Segments</h2>\n");
    let segs: Vec<_> = array(&doc["segments"]).iter().map(|g| (text(&g["id"]), count(&g["count"]))).collect();
    s.push_str(&bar_chart("segment occurrences", &segs));
    s.push_str("<h2 id=\"z-segments\">Z-segments</h2>\n");
    let z: Vec<Vec<String>> = array(&doc["z_segments"])
        .iter()
        .map(|z| ["id", "count", "min_fields", "max_fields"].iter().map(|k| text(&z[*k])).collect())
        .collect();
    s.push_str(&table(&["segment", "count", "fields min", "fields max"], &z));
    s.push_str("<h2 id=\"orders\">Segment orders per message type</h2>\n");
    for v in array(&doc["order_variants"]) {
        let rows: Vec<Vec<String>> =
            array(&v["top"]).iter().map(|o| vec![text(&o["sequence"]), o["count"].to_string()]).collect();
        let _ = writeln!(s, "<h3>{} ({} distinct)</h3>", esc(&text(&v["type"])), v["distinct"]);
        s.push_str(&table(&["segment order", "messages"], &rows));
    }
    s.push_str("<h2 id=\"fields\">Field population</h2>\n");
    for seg in array(&doc["segments"]) {
        let fields = array(&seg["fields"]);
        let bars: Vec<_> =
            fields.iter().map(|f| (text(&f["field"]), (f["rate"].as_f64().unwrap_or(0.0) * 100.0))).collect();
        s.push_str(&bar_chart(&format!("{}: % of segments with the field valued", text(&seg["id"])), &bars));
        let rows: Vec<Vec<String>> = fields
            .iter()
            .map(|f| {
                vec![
                    text(&f["field"]),
                    percent(&f["rate"]),
                    text(&f["repeated"]),
                    text(&f["max_repetitions"]),
                    length(&f["length"]),
                ]
            })
            .collect();
        s.push_str(&table(&["field", "valued", "repeated", "max reps", "length min/median/p95/max"], &rows));
    }
    s.push_str("</body></html>\n");
    s
}
