//! `profile/<set>`: `hl7_messaging::profile::Profile::add_input` over every message of a set (what
//! `hl7rs profile` does per file), with `profile/parse_<set>`, the `parse/<set>` workload (parse
//! and visit every field), measured in the same run for comparison.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use hl7_messaging::profile::Profile;
use hl7rs_benches::{input_sets, parse_and_visit_fields};

fn profile(c: &mut Criterion) {
    for set in input_sets() {
        let mut g = c.benchmark_group("profile");
        g.throughput(Throughput::Bytes(set.bytes()));
        g.bench_function(set.name, |b| {
            b.iter(|| {
                let mut profile = Profile::default();
                for m in &set.messages {
                    profile.add_input("bench", black_box(m));
                }
                assert!(profile.messages() >= set.messages.len() as u64, "every message profiled");
                profile.messages()
            });
        });
        g.bench_function(format!("parse_{}", set.name), |b| {
            b.iter(|| set.messages.iter().map(|m| parse_and_visit_fields(black_box(m)).unwrap_or(0)).sum::<usize>());
        });
        g.finish();
    }
}

criterion_group!(benches, profile);
criterion_main!(benches);
