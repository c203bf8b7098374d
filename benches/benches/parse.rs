//! `parse/<set>`: parse + visit every field; `walk/<set>`: parse + visit every subcomponent;
//! `baseline/naive_split/<set>` and `baseline/memchr_scan/<set>`; `validate/<set>`: validation with
//! the default options of every (already parsed) message; `group/<set>`: grouping by structure of
//! every (already parsed) message; `query/<path>`; on an ORU with 1,000 OBX, the last OBX's value
//! looked up by scanning (`query/scan/…`, [`Message::get`]) and through a segment index built
//! beforehand (`query/indexed/…`), and building that index (`query/index_build/…`).
// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use hl7_core::{Message, Path};
use hl7_messaging::structure;
use hl7_messaging::validate::{validate_message, ValidationOptions};
use hl7_messaging::SegmentIndex;
use hl7rs_benches::{input_sets, memchr_scan, naive_split, parse_and_visit_fields, parse_and_walk_all};

fn parse(c: &mut Criterion) {
    for set in input_sets() {
        let parsed = set.messages.iter().filter(|m| parse_and_visit_fields(m).is_some()).count();
        assert_eq!(parsed, set.messages.len(), "every message of `{}` parses", set.name);
        let mut g = c.benchmark_group("parse");
        g.throughput(Throughput::Bytes(set.bytes()));
        g.bench_function(set.name, |b| {
            b.iter(|| {
                let mut n = 0;
                for m in &set.messages {
                    n += parse_and_visit_fields(black_box(m)).unwrap_or(0);
                }
                n
            });
        });
        g.finish();
        let mut g = c.benchmark_group("walk");
        g.throughput(Throughput::Bytes(set.bytes()));
        g.bench_function(set.name, |b| {
            b.iter(|| set.messages.iter().map(|m| parse_and_walk_all(black_box(m)).unwrap_or(0)).sum::<usize>());
        });
        g.finish();
        let mut g = c.benchmark_group("baseline");
        g.throughput(Throughput::Bytes(set.bytes()));
        g.bench_function(format!("naive_split/{}", set.name), |b| {
            b.iter(|| set.messages.iter().map(|m| naive_split(black_box(m))).sum::<usize>());
        });
        g.bench_function(format!("memchr_scan/{}", set.name), |b| {
            b.iter(|| set.messages.iter().map(|m| memchr_scan(black_box(m))).sum::<usize>());
        });
        g.finish();
        // Parsed once outside the loop: these measure the layer above the parser alone, so their
        // time over `parse/<set>`'s is what validating (grouping) costs relative to parsing.
        let parsed: Vec<Message<'_>> = set.messages.iter().filter_map(|m| Message::parse(m).ok()).collect();
        let options = ValidationOptions::default();
        let mut g = c.benchmark_group("validate");
        g.throughput(Throughput::Bytes(set.bytes()));
        g.bench_function(set.name, |b| {
            b.iter(|| parsed.iter().map(|m| validate_message(black_box(m), &options).len()).sum::<usize>());
        });
        g.finish();
        let mut g = c.benchmark_group("group");
        g.throughput(Throughput::Bytes(set.bytes()));
        g.bench_function(set.name, |b| {
            b.iter(|| {
                parsed.iter().map(|m| structure::group(black_box(m)).map_or(0, |g| g.missing().len())).sum::<usize>()
            });
        });
        g.finish();
    }
}

const ORU: &[u8] = b"MSH|^~\\&|LAB|FAC|EHR|FAC|20240101120000||ORU^R01^ORU_R01|MSG1|P|2.5.1\r\
PID|1||12345^^^HOSP^MR~67890^^^SSA^SS||DOE^JANE^Q||19800101|F\r\
OBR|1|ORD1|FIL1|24331-1^Lipid panel^LN\r\
OBX|1|NM|2093-3^Cholesterol^LN||185|mg/dL|<200|N|||F\r\
OBX|2|NM|2571-8^Triglyceride^LN||150|mg/dL|<150|H|||F\r\
OBX|3|NM|2085-9^HDL^LN||45|mg/dL|>40|N|||F\r\
OBX|4|NM|13457-7^LDL^LN||110|mg/dL|<100|H|||F\r";

fn query(c: &mut Criterion) {
    let msg = Message::parse(ORU).unwrap();
    let mut g = c.benchmark_group("query");
    g.throughput(Throughput::Bytes(ORU.len() as u64));
    for text in ["PID-3[2].1", "OBX[3]-5", "MSH-9.2", "OBX[4]-3.2"] {
        let path: Path = text.parse().unwrap();
        assert!(msg.get(&path).is_some());
        g.bench_function(text, |b| b.iter(|| black_box(&msg).get(black_box(&path)).map(|v| v.len())));
    }
    g.bench_function("parse+query/OBX[3]-5", |b| {
        b.iter(|| {
            Message::parse(black_box(ORU)).ok().and_then(|m| m.query("OBX[3]-5").ok().flatten()).map(|v| v.len())
        });
    });
    let large = large_oru(1000);
    let msg = Message::parse(&large).unwrap();
    let index = SegmentIndex::new(&msg);
    let path: Path = "OBX[1000]-5".parse().unwrap();
    assert_eq!(msg.get(&path).map(|v| v.as_bytes()), Some(&b"1000"[..]));
    assert_eq!(index.get(&path).map(|v| v.as_bytes()), Some(&b"1000"[..]));
    g.throughput(Throughput::Bytes(large.len() as u64));
    g.bench_function("scan/OBX[1000]-5", |b| b.iter(|| black_box(&msg).get(black_box(&path)).map(|v| v.len())));
    g.bench_function("indexed/OBX[1000]-5", |b| b.iter(|| black_box(&index).get(black_box(&path)).map(|v| v.len())));
    g.bench_function("index_build/OBX[1000]", |b| {
        b.iter(|| {
            let index = SegmentIndex::new(black_box(&msg));
            index.nth(b"OBX", 1).map(|s| s.offset())
        });
    });
    g.finish();
}

/// An ORU^R01 with `n` OBX under one OBR; OBX-5 of OBX `i` is `i`.
fn large_oru(n: usize) -> Vec<u8> {
    let mut m =
        b"MSH|^~\\&|LAB|FAC|EHR|FAC|20240101120000||ORU^R01^ORU_R01|MSG1|P|2.5.1\rPID|1||12345^^^HOSP^MR||DOE^JANE\r\
OBR|1|ORD1|FIL1|24331-1^Lipid panel^LN\r"
            .to_vec();
    for i in 1..=n {
        m.extend_from_slice(format!("OBX|{i}|NM|2093-3^Cholesterol^LN||{i}|mg/dL|<200|N|||F\r").as_bytes());
    }
    m
}

criterion_group!(benches, parse, query);
criterion_main!(benches);
