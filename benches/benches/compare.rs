//! `compare/<parser>/<set>`: hl7rs beside the Rust crates hl7-parser and rust-hl7 on the same
//! inputs, in the same run: parse + visit every field. Messages a peer rejects (or that are not
//! UTF-8, which both peers require) are left out of that peer's work and counted, printed once.
// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::panic::{catch_unwind, AssertUnwindSafe};

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use hl7rs_benches::{input_sets, parse_and_visit_fields};

fn hl7_parser_visit(text: &str) -> Option<usize> {
    let msg = hl7_parser::parse_message_with_lenient_newlines(text).ok()?;
    Some(msg.segments().flat_map(hl7_parser::message::Segment::fields).map(|f| f.raw_value().len()).sum())
}

fn rust_hl7_visit(text: &str) -> Option<usize> {
    // rust-hl7 panics on some inputs; a panic counts as a rejection.
    let msg = catch_unwind(AssertUnwindSafe(|| rusthl7::message::Message::try_from(text).ok())).ok()??;
    Some(msg.segments.iter().flat_map(|s| s.fields.iter()).map(|f| f.source.len()).sum())
}

fn compare(c: &mut Criterion) {
    std::panic::set_hook(Box::new(|_| {}));
    for set in input_sets() {
        let texts: Vec<Option<&str>> = set.messages.iter().map(|m| std::str::from_utf8(m).ok()).collect();
        let ok_by = |f: fn(&str) -> Option<usize>| -> Vec<&str> {
            texts.iter().flatten().copied().filter(|t| f(t).is_some()).collect()
        };
        let hp = ok_by(hl7_parser_visit);
        let rh = ok_by(rust_hl7_visit);
        let ours = set.messages.iter().filter(|m| parse_and_visit_fields(m).is_some()).count();
        eprintln!(
            "compare/{}: {} messages; rejected: hl7rs {}, hl7-parser {}, rust-hl7 {}",
            set.name,
            set.messages.len(),
            set.messages.len() - ours,
            set.messages.len() - hp.len(),
            set.messages.len() - rh.len()
        );
        let mut g = c.benchmark_group("compare");
        g.throughput(Throughput::Bytes(set.bytes()));
        g.bench_function(format!("hl7rs/{}", set.name), |b| {
            b.iter(|| set.messages.iter().map(|m| parse_and_visit_fields(black_box(m)).unwrap_or(0)).sum::<usize>());
        });
        g.finish();
        // Peers are measured on the messages they accept; their throughput counts those bytes only.
        for (name, accepted, f) in
            [("hl7-parser", &hp, hl7_parser_visit as fn(&str) -> Option<usize>), ("rust-hl7", &rh, rust_hl7_visit)]
        {
            let mut g = c.benchmark_group("compare");
            g.throughput(Throughput::Bytes(accepted.iter().map(|t| t.len() as u64).sum()));
            g.bench_function(format!("{name}/{}", set.name), |b| {
                b.iter(|| accepted.iter().map(|t| f(black_box(t)).unwrap_or(0)).sum::<usize>());
            });
            g.finish();
        }
    }
}

criterion_group!(benches, compare);
criterion_main!(benches);
