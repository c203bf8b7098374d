//! `fhir_complexity/<family>/<n>`: adversarial Bundles at sizes n, 2n and 4n. Doubling n must at
//! most about double the time (no quadratic behaviour); compare the figures of one run:
//! `cargo bench -p fhir-model --bench complexity`.
#![allow(missing_docs)] // criterion_group! defines an undocumented function

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fhir_model::{validate_resource, ReadMode, Resource, ResourceValidationOptions};

/// A Bundle of `n` Observations, each referring to a Patient that is not in the Bundle (every
/// reference is looked up and fails), with `urn:uuid` and absolute full URLs mixed.
fn unresolved_references(n: usize) -> Vec<u8> {
    let entries: Vec<String> = (0..n)
        .map(|i| {
            let full_url =
                if i % 2 == 0 { format!("urn:uuid:{i:08}") } else { format!("http://example.org/fhir/Observation/o{i}") };
            format!(
                r#"{{"fullUrl":"{full_url}","resource":{{"resourceType":"Observation","id":"o{i}","status":"final","code":{{"text":"x"}},"subject":{{"reference":"Patient/missing{i}"}}}}}}"#
            )
        })
        .collect();
    format!(r#"{{"resourceType":"Bundle","type":"collection","entry":[{}]}}"#, entries.join(",")).into_bytes()
}

/// A Bundle of `n` Observations that each refer to the one Patient by `Patient/<id>` (resolved
/// through the entries' ids).
fn resolved_references(n: usize) -> Vec<u8> {
    let mut entries =
        vec![r#"{"fullUrl":"http://example.org/fhir/Patient/p","resource":{"resourceType":"Patient","id":"p"}}"#
            .to_string()];
    entries.extend((0..n).map(|i| {
        format!(
            r#"{{"fullUrl":"http://example.org/fhir/Observation/o{i}","resource":{{"resourceType":"Observation","id":"o{i}","status":"final","code":{{"text":"x"}},"subject":{{"reference":"Patient/p"}}}}}}"#
        )
    }));
    format!(r#"{{"resourceType":"Bundle","type":"collection","entry":[{}]}}"#, entries.join(",")).into_bytes()
}

/// An Observation with `n` contained Patients and `n` `#id` references (performers) to ids that
/// are not among them.
fn contained_references(n: usize) -> Vec<u8> {
    let contained: Vec<String> = (0..n).map(|i| format!(r#"{{"resourceType":"Patient","id":"c{i}"}}"#)).collect();
    let performers: Vec<String> = (0..n).map(|i| format!(r##"{{"reference":"#x{i}"}}"##)).collect();
    format!(
        r#"{{"resourceType":"Observation","status":"final","code":{{"text":"x"}},"contained":[{}],"performer":[{}]}}"#,
        contained.join(","),
        performers.join(",")
    )
    .into_bytes()
}

type Family = (&'static str, fn(usize) -> Vec<u8>);

fn complexity(c: &mut Criterion) {
    let families: [Family; 3] = [
        ("unresolved_references", unresolved_references),
        ("resolved_references", resolved_references),
        ("contained_references", contained_references),
    ];
    let options = ResourceValidationOptions::default();
    for (name, build) in families {
        let mut g = c.benchmark_group(format!("fhir_complexity/{name}"));
        g.sample_size(10);
        // Sizes past the caches, so that the doublings measure the algorithm, not the memory hierarchy.
        for n in [8_000, 16_000, 32_000] {
            let json = build(n);
            let resource = Resource::from_json(&json, ReadMode::Strict).expect("the family is valid FHIR JSON");
            assert!(!validate_resource(&resource, &options).issues().is_empty());
            g.throughput(Throughput::Elements(n as u64));
            g.bench_with_input(BenchmarkId::new("validate", n), &resource, |b, r| {
                b.iter(|| validate_resource(black_box(r), &options).issues().len());
            });
            g.bench_with_input(BenchmarkId::new("read", n), &json, |b, j| {
                b.iter(|| Resource::from_json(black_box(j), ReadMode::Strict).map(|r| r.id().is_some()));
            });
        }
        g.finish();
    }
}

criterion_group!(benches, complexity);
criterion_main!(benches);
