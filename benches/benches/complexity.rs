//! `complexity/<family>/<n>`: adversarial input families at sizes n, 2n and 4n. The parse
//! families are parsed and walked completely; the others run one operation over a large input
//! (structure grouping, validation, MLLP decoding of a frame that arrives in small reads, many
//! frames in one read). Doubling n must at most about double the time (no quadratic behaviour);
//! compare the figures of one run: `cargo bench -p hl7rs-benches --bench complexity`.
//!
//! Two families measure the mapping matrix (hostile-input class 14): `condition_nesting/<depth>`
//! parses and evaluates a condition nested `depth` parentheses deep (4, 8, 16: 16 is
//! `condition::MAX_DEPTH`); `matrix_rows_load/<rows>` and `matrix_rows_convert/<rows>` load a
//! segment map of 100, 1,000 and 10,000 site rows (`Matrix::from_files`) and convert one message
//! through it (matrix loaded outside the timing). Time must grow at most linearly in depth and
//! rows.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::fmt::Write as _;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hl7_core::mllp::{Decoder, Status};
use hl7_core::{Batch, Limits, Message, ParseOptions};
use hl7_map::condition::Condition;
use hl7_map::engine::Engine;
use hl7_map::eval::Context;
use hl7_map::matrix::Matrix;
use hl7_map::source::Scope;
use hl7_messaging::structure;
use hl7_messaging::validate::{validate_message, ValidationOptions};

fn options() -> ParseOptions {
    // Limits high enough for the largest inputs here (the families probe time, not the limits).
    let mut o = ParseOptions::default();
    o.limits = Limits::large();
    o.limits.max_components = 1_000_000;
    o
}

/// Builds an input of size `n`.
type Builder = fn(usize) -> Vec<u8>;

/// The families: name and a builder.
fn families() -> Vec<(&'static str, Builder)> {
    vec![
        ("repetitions", |n| {
            let mut m = b"MSH|^~\\&|A\rPID|1||".to_vec();
            m.extend(std::iter::repeat_n(&b"x~"[..], n).flatten());
            m
        }),
        ("components", |n| {
            let mut m = b"MSH|^~\\&|A\rPID|1||".to_vec();
            m.extend(std::iter::repeat_n(&b"x^"[..], n).flatten());
            m
        }),
        ("segments", |n| {
            let mut m = b"MSH|^~\\&|A\r".to_vec();
            m.extend(std::iter::repeat_n(&b"NTE|1||x\r"[..], n).flatten());
            m
        }),
        ("escapes", |n| {
            let mut m = b"MSH|^~\\&|A\rNTE|1||".to_vec();
            m.extend(std::iter::repeat_n(&b"\\F\\\\X0D0A\\"[..], n).flatten());
            m
        }),
        ("continuation_lines", |n| {
            let mut m = b"MSH|^~\\&|A\rNTE|1||x".to_vec();
            m.extend(std::iter::repeat_n(&b"\nmore text"[..], n).flatten());
            m
        }),
        ("batch_messages", |n| {
            let mut m = b"BHS|^~\\&\r".to_vec();
            m.extend(std::iter::repeat_n(&b"MSH|^~\\&|A\rPID|1\r"[..], n).flatten());
            m.extend_from_slice(format!("BTS|{n}\r").as_bytes());
            m
        }),
    ]
}

/// An `ORU_R01` with `n` observations, each with a note.
fn oru(n: usize) -> Vec<u8> {
    let mut m =
        b"MSH|^~\\&|LAB|H|EHR|H|20240101120000||ORU^R01^ORU_R01|1|P|2.5.1\rPID|1||1^^^H^MR||DOE^J\rOBR|1||F1|X^Y\r"
            .to_vec();
    m.extend(std::iter::repeat_n(&b"OBX|1|NM|X^Y||5|mg|||||F\rNTE|1||n\r"[..], n).flatten());
    m
}

/// An `ADT_A01` with `n` segments the structure does not place (Z-segments and an unknown id).
fn adt_out_of_structure(n: usize) -> Vec<u8> {
    let mut m = b"MSH|^~\\&|A|H|B|H|20240101120000||ADT^A01^ADT_A01|1|P|2.5.1\rEVN||20240101\rPID|1||1^^^H^MR||DOE^J\r"
        .to_vec();
    m.extend(std::iter::repeat_n(&b"ZZ1|x\rQQQ|y\rPV1|1|I\r"[..], n).flatten());
    m
}

/// Frames `payload` and feeds it to a decoder in reads of `read` bytes, as a socket would.
fn mllp_small_reads(payload: &[u8], read: usize) -> usize {
    let mut framed = vec![0x0b];
    framed.extend_from_slice(payload);
    framed.extend_from_slice(b"\x1c\r");
    let mut decoder = Decoder::new();
    let mut end = 0;
    while end < framed.len() {
        end = (end + read).min(framed.len());
        if let Ok(Status::Complete { frame, .. }) = decoder.decode(&framed[..end]) {
            return frame.len();
        }
    }
    0
}

/// Decodes `n` small frames that arrived in one read.
fn mllp_many_frames(stream: &[u8]) -> usize {
    let mut decoder = Decoder::new();
    let (mut at, mut frames) = (0, 0);
    while let Ok(status) = decoder.decode(&stream[at..]) {
        match status {
            Status::Complete { consumed, .. } => {
                frames += 1;
                at += consumed;
            }
            Status::Junk { len, .. } => at += len,
            Status::Partial => break,
        }
    }
    frames
}

/// An operation family: name, input builder, and the work measured on the input.
type Operation = (&'static str, Builder, fn(&[u8], &ParseOptions) -> usize);

fn operations() -> Vec<Operation> {
    vec![
        ("group_observations", oru, |i, o| {
            let msg = Message::parse_with(i, o).expect("parses");
            structure::group(&msg).map_or(0, |g| g.segments().len())
        }),
        ("group_out_of_structure", adt_out_of_structure, |i, o| {
            let msg = Message::parse_with(i, o).expect("parses");
            structure::group(&msg).map_or(0, |g| g.segments().len())
        }),
        ("validate_observations", oru, |i, o| {
            let msg = Message::parse_with(i, o).expect("parses");
            validate_message(&msg, &ValidationOptions::default()).len() + 1
        }),
        ("mllp_small_reads", oru, |i, _| mllp_small_reads(i, 64)),
        (
            "mllp_frames_in_one_read",
            |n| std::iter::repeat_n(&b"\x0bMSH|^~\\&|A\rPID|1\x1c\r"[..], n).flatten().copied().collect(),
            |i, _| mllp_many_frames(i),
        ),
    ]
}

fn walk(input: &[u8], opts: &ParseOptions) -> usize {
    let mut sum = 0;
    for msg in Batch::with_options(input, opts).messages().flatten() {
        sum += walk_message(&msg);
    }
    sum
}

fn walk_message(msg: &Message<'_>) -> usize {
    let mut sum = 0;
    for seg in msg.segments() {
        for f in seg.fields() {
            for r in f.repetitions() {
                for c in r.components() {
                    for s in c.subcomponents() {
                        sum += s.unescape().count();
                    }
                }
            }
        }
    }
    sum
}

fn complexity(c: &mut Criterion) {
    let opts = options();
    for (name, build) in families() {
        let mut g = c.benchmark_group(format!("complexity/{name}"));
        g.sample_size(20);
        for n in [20_000, 40_000, 80_000] {
            let input = build(n);
            assert!(walk(&input, &opts) > 0, "{name} parses at n={n}");
            g.throughput(Throughput::Bytes(input.len() as u64));
            g.bench_with_input(BenchmarkId::from_parameter(n), &input, |b, i| b.iter(|| walk(black_box(i), &opts)));
        }
        g.finish();
    }
    for (name, build, work) in operations() {
        let mut g = c.benchmark_group(format!("complexity/{name}"));
        g.sample_size(10);
        for n in [20_000, 40_000, 80_000] {
            let input = build(n);
            assert!(work(&input, &opts) > 0, "{name} does its work at n={n}");
            g.throughput(Throughput::Bytes(input.len() as u64));
            g.bench_with_input(BenchmarkId::from_parameter(n), &input, |b, i| b.iter(|| work(black_box(i), &opts)));
        }
        g.finish();
    }
}

/// A condition nested `depth` parentheses deep, each level adding one comparison:
/// `IF ((PID-8 = "F" AND PID-5 VALUED) OR PID-7 NOT VALUED)` at depth 2.
fn nested_condition(depth: usize) -> String {
    let mut c = String::from("PID-8 = \"F\"");
    for level in 0..depth {
        let next = match level % 3 {
            0 => " AND PID-5 VALUED",
            1 => " OR PID-7 NOT VALUED",
            _ => " AND PID-3.4 IN (\"H\", \"X\")",
        };
        c = format!("({c}{next})");
    }
    format!("IF {c}")
}

/// A matrix of one message map (`ADT_A01.PID` → `Patient[1]`), a vocabulary and a `PID[Patient]`
/// segment map of `rows` site rows: every tenth applies (an identifier from PID-3), the others
/// have a condition that does not hold (a comparison of PID-8 with a code no message sends).
fn many_rows(rows: usize) -> Vec<(String, String)> {
    let mut pid = String::from("key,source,condition,target,vocabulary\n,PID-8,,gender,AdministrativeSex\n");
    for i in 0..rows {
        if i % 10 == 0 {
            let _ = writeln!(pid, "site{i},PID-3.1,IF PID-3.4 VALUED,identifier[{}].value,", i / 10 + 1);
        } else {
            let _ = writeln!(pid, "site{i},PID-5.1,IF PID-8 = \"Z{i}\",name[{i}].family,");
        }
    }
    vec![
        (
            "messages/ADT_A01.csv".into(),
            "position,segment,resource,segment_map\nADT_A01.PID,PID,Patient[1],PID[Patient]\n".into(),
        ),
        ("segments/PID[Patient].csv".into(), pid),
        (
            "vocabulary/AdministrativeSex.csv".into(),
            "code,table,target_code\nF,HL70001,female\nM,HL70001,male\n".into(),
        ),
    ]
}

fn load(files: &[(String, String)]) -> Matrix {
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    Matrix::from_files(&borrowed).expect("the many-row matrix loads")
}

const ADT: &[u8] = b"MSH|^~\\&|A|H|B|H|20240101120000-0500||ADT^A01^ADT_A01|1|P|2.5.1\rEVN||20240101\rPID|1||1^^^H^MR~2^^^X^PI||DOE^JANE||19800101|F\rPV1|1|I\r";

fn matrix(c: &mut Criterion) {
    let msg = Message::parse(ADT).expect("parses");
    let pid = msg.segments().nth(2).expect("PID");
    let text = hl7_messaging::text::TextDecoder::new(&msg);
    let mut g = c.benchmark_group("complexity/condition_nesting");
    for depth in [4, 8, 16] {
        let cond = nested_condition(depth);
        let parsed = Condition::parse(&cond, Scope::Segment).expect("the nested condition parses");
        assert!(Context::new(pid, &text).evaluate(&parsed).is_some(), "decided at depth {depth}");
        g.bench_with_input(BenchmarkId::from_parameter(depth), &cond, |b, cond| {
            b.iter(|| {
                let c = Condition::parse(black_box(cond), Scope::Segment).expect("parses");
                Context::new(pid, &text).evaluate(&c)
            });
        });
    }
    g.finish();
    let sizes = [100, 1_000, 10_000];
    let mut g = c.benchmark_group("complexity/matrix_rows_load");
    g.sample_size(10);
    for rows in sizes {
        let files = many_rows(rows);
        g.throughput(Throughput::Elements(rows as u64));
        g.bench_with_input(BenchmarkId::from_parameter(rows), &files, |b, f| b.iter(|| load(black_box(f))));
    }
    g.finish();
    let mut g = c.benchmark_group("complexity/matrix_rows_convert");
    g.sample_size(10);
    for rows in sizes {
        let engine = Engine::new(load(&many_rows(rows)));
        let out = engine.convert(&msg).expect("converts");
        let json = fhir_model::to_json_string(&out.bundle).expect("writes");
        assert!(
            json.contains(r#""gender":"female""#) && json.contains(r#""identifier":[{"value":"1"}"#),
            "the many-row matrix maps the message at {rows} rows"
        );
        g.throughput(Throughput::Elements(rows as u64));
        g.bench_with_input(BenchmarkId::from_parameter(rows), &msg, |b, m| {
            b.iter(|| engine.convert(black_box(m)).expect("converts").bundle.entry.len());
        });
    }
    g.finish();
}

criterion_group!(benches, complexity, matrix);
criterion_main!(benches);
