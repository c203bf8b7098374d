//! `complexity/<family>/<n>`: adversarial input families at sizes n, 2n and 4n. The parse
//! families are parsed and walked completely; the others run one operation over a large input
//! (structure grouping, validation, MLLP decoding of a frame that arrives in small reads, many
//! frames in one read). Doubling n must at most about double the time (no quadratic behaviour);
//! compare the figures of one run: `cargo bench -p hl7rs-benches --bench complexity`.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hl7_core::mllp::{Decoder, Status};
use hl7_core::{Batch, Limits, Message, ParseOptions};
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

criterion_group!(benches, complexity);
criterion_main!(benches);
