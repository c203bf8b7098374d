//! `complexity/<family>/<n>`: adversarial input families at size n and 2n, parsed and walked
//! completely. Doubling n must at most about double the time (no quadratic behaviour); compare the
//! figures of one run: `cargo bench -p hl7rs-benches --bench complexity`.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hl7_core::{Batch, Limits, Message, ParseOptions};

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
}

criterion_group!(benches, complexity);
criterion_main!(benches);
