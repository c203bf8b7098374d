//! `map/<type>/<lineage>`: v2 → FHIR conversion through the built-in matrix
//! (`hl7_map::engine::Engine::builtin`, compiled once, outside the timing): each message parsed,
//! converted and its Bundle written as JSON. Inputs are the `ORU^R01` and `ADT^A01` messages of
//! the shared corpus (`../shared/corpus/index.tsv`, column 9 the type; roles `message` and
//! `message(split)`), one group per type, `plain` and `lineage`; throughput in elements is
//! messages, so criterion reports messages/s. Without the shared corpus a notice is printed and
//! nothing runs.
//!
//! `cargo bench -p hl7rs-benches --bench map`

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fhir_model::{to_json_vec, Resource};
use hl7_core::Message;
use hl7_map::engine::{ConvertOptions, Engine};

/// The message types measured, as written in the index (`MSH-9.1^MSH-9.2`).
const TYPES: [&str; 2] = ["ORU^R01", "ADT^A01"];

/// The messages of the shared corpus of one type that parse, or `None` without the corpus.
fn messages_of(kind: &str) -> Option<Vec<Vec<u8>>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    let index = std::fs::read_to_string(dir.join("index.tsv")).ok()?;
    let mut out = Vec::new();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(file), Some(role), Some(t)) = (cols.get(2), cols.get(3), cols.get(8)) else { continue };
        if t != &kind || !role.starts_with("message") {
            continue;
        }
        if let Ok(bytes) = std::fs::read(dir.join(file)) {
            if Message::parse(&bytes).is_ok() {
                out.push(bytes);
            }
        }
    }
    Some(out)
}

/// Parses, converts and writes every message; returns the JSON bytes written.
fn convert_all(engine: &Engine, inputs: &[Vec<u8>], lineage: bool) -> usize {
    let mut bytes = 0;
    for input in inputs {
        let Ok(msg) = Message::parse(input) else { continue };
        let Ok(out) = engine.convert_with(&msg, ConvertOptions { lineage, ..Default::default() }) else { continue };
        bytes += to_json_vec(&Resource::from(out.bundle)).expect("writes").len();
        if let Some(l) = out.lineage {
            bytes += l.len();
        }
    }
    bytes
}

fn map(c: &mut Criterion) {
    let engine = Engine::builtin().expect("the built-in matrix loads");
    for kind in TYPES {
        let Some(inputs) = messages_of(kind) else {
            eprintln!("notice: ../shared/corpus (index.tsv) absent; map benches skipped");
            return;
        };
        if inputs.is_empty() {
            eprintln!("notice: no {kind} messages in ../shared/corpus; map/{kind} skipped");
            continue;
        }
        let name = kind.replace('^', "_");
        let mut group = c.benchmark_group(format!("map/{name}"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(inputs.len() as u64));
        for lineage in [false, true] {
            let id = if lineage { "lineage" } else { "plain" };
            group.bench_with_input(BenchmarkId::from_parameter(id), &inputs, |b, inputs| {
                b.iter(|| black_box(convert_all(&engine, black_box(inputs), lineage)));
            });
        }
        group.finish();
    }
}

criterion_group!(benches, map);
criterion_main!(benches);
