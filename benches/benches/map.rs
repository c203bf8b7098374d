//! `map/<type>/<lineage>`: v2 → FHIR conversion through the built-in matrix
//! (`hl7_map::engine::Engine::builtin`, compiled once, outside the timing), message parsed,
//! converted and the Bundle written as JSON, for the ADT messages of the shared corpus (messages/s
//! as throughput elements). `ORU_R01` joins when its segment maps are built in.
//!
//! `cargo bench -p hl7rs-benches --bench map`

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fhir_model::{to_json_vec, Resource};
use hl7_core::Message;
use hl7_map::engine::{ConvertOptions, Engine};
use hl7rs_benches::input_sets;

fn map(c: &mut Criterion) {
    let Some(shared) = input_sets().into_iter().find(|s| s.name == "shared") else {
        eprintln!("notice: ../shared/corpus absent; map benches skipped");
        return;
    };
    let adt: Vec<&Vec<u8>> = shared
        .messages
        .iter()
        .filter(|m| {
            Message::parse(m)
                .ok()
                .and_then(|msg| msg.query("MSH-9.1").ok().flatten())
                .is_some_and(|v| v.as_bytes() == b"ADT")
        })
        .collect();
    let engine = Engine::builtin().expect("the built-in matrix loads");
    let mut group = c.benchmark_group("map");
    group.sample_size(10);
    group.throughput(Throughput::Elements(adt.len() as u64));
    for lineage in [false, true] {
        let name = if lineage { "lineage" } else { "plain" };
        group.bench_with_input(BenchmarkId::new("adt", name), &adt, |b, adt| {
            b.iter(|| {
                let mut bytes = 0;
                for input in adt {
                    let Ok(msg) = Message::parse(input) else { continue };
                    let out =
                        engine.convert_with(&msg, ConvertOptions { lineage, ..Default::default() }).expect("converts");
                    bytes += to_json_vec(&Resource::from(out.bundle)).expect("writes").len();
                }
                black_box(bytes)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, map);
criterion_main!(benches);
