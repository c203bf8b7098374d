//! `text/<how>/<n>`: every leaf of an ORU with n OBX (about 1 KB of Latin text each, declared
//! UNICODE UTF-8) decoded to text, at n, 2n and 4n.
//!
//! - `once`: one [`TextDecoder`] per message (the charset resolved once), as the library and the
//!   CLI do now. Doubling n must about double the time.
//! - `per_value`: a decoder made for every value, which re-reads MSH-18 and re-checks the whole
//!   message's bytes each time — what `Message::decode_text` did before the layering (quadratic;
//!   `hl7rs parse` of a 10 MB message took about a minute). Kept as the same-run baseline.
//!
//! `cargo bench -p hl7rs-benches --bench text`

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use hl7_core::Message;
use hl7_messaging::TextDecoder;

/// An ORU^R01 with `n` OBX segments of about 1 KB each.
fn oru(n: usize) -> Vec<u8> {
    let mut m = b"MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240101120000||ORU^R01^ORU_R01|1|P|2.5.1|||||UNICODE UTF-8\r\
PID|1||TEST0000001^^^HOSP^MR||TESTPATIENT^ALPHA||19800101|F\rOBR|1||ORD1|GLU^Glucose\r"
        .to_vec();
    let line = "Résultat de la ligne, avec accents et \\T\\ échappements. ".repeat(18);
    for i in 1..=n {
        m.extend_from_slice(format!("OBX|{i}|TX|NOTE^Note||{line}||||||F\r").as_bytes());
    }
    m
}

/// Decodes every subcomponent with `decode`, returning the total length of the text.
fn decode_all(msg: &Message<'_>, decode: impl Fn(&[u8]) -> usize) -> usize {
    let mut total = 0;
    for seg in msg.segments() {
        for field in seg.fields() {
            for rep in field.repetitions() {
                for comp in rep.components() {
                    for sub in comp.subcomponents() {
                        total += decode(&sub.to_cow());
                    }
                }
            }
        }
    }
    total
}

fn text(c: &mut Criterion) {
    let mut group = c.benchmark_group("text");
    group.sample_size(10);
    for n in [250, 500, 1000] {
        let input = oru(n);
        let msg = Message::parse(&input).expect("the bench input parses");
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_with_input(BenchmarkId::new("once", n), &msg, |b, msg| {
            b.iter(|| {
                let text = TextDecoder::new(msg);
                black_box(decode_all(msg, |raw| text.decode(raw).0.len()))
            });
        });
        group.bench_with_input(BenchmarkId::new("per_value", n), &msg, |b, msg| {
            b.iter(|| black_box(decode_all(msg, |raw| TextDecoder::new(msg).decode(raw).0.len())));
        });
    }
    group.finish();
}

criterion_group!(benches, text);
criterion_main!(benches);
