//! `fhir/…`: typed read/write of a 100-entry Bundle against `serde_json::Value` on the same bytes.
#![allow(missing_docs)] // criterion_group! defines an undocumented function

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use fhir_model::{
    Bundle, BundleEntry, CodeableConcept, Coding, HumanName, Identifier, Observation, ObservationValue, Patient,
    Quantity, ReadMode, Reference, Resource,
};

fn coding(system: &str, code: &str, display: &str) -> CodeableConcept {
    CodeableConcept {
        coding: vec![Coding {
            system: Some(system.into()),
            code: Some(code.into()),
            display: Some(display.into()),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// A message-like Bundle: every 5th entry a Patient, the others Observations on it.
fn bundle() -> Resource {
    let mut entry = Vec::new();
    for i in 0..100 {
        let resource: Resource = if i % 5 == 0 {
            Patient {
                id: Some(format!("p{i}")),
                identifier: vec![Identifier {
                    system: Some("urn:oid:2.16.840.1.113883.19.5".into()),
                    value: Some(format!("MRN{i:06}").into()),
                    ..Default::default()
                }],
                name: vec![HumanName {
                    family: Some("Doe".into()),
                    given: vec!["Jane".into(), "Q".into()],
                    ..Default::default()
                }],
                gender: Some("female".into()),
                birth_date: Some("1970-03-01".parse::<fhir_model::Date>().expect("date").into()),
                ..Default::default()
            }
            .into()
        } else {
            Observation {
                id: Some(format!("o{i}")),
                status: Some("final".into()),
                category: vec![coding(
                    "http://terminology.hl7.org/CodeSystem/observation-category",
                    "laboratory",
                    "Laboratory",
                )],
                code: Some(coding("http://loinc.org", "718-7", "Hemoglobin [Mass/volume] in Blood")),
                subject: Some(Reference::new(format!("Patient/p{}", i - i % 5)).into()),
                effective: Some(fhir_model::ObservationEffective::DateTime(
                    "2024-03-19T15:20:30.586-06:00".parse::<fhir_model::DateTime>().expect("dateTime").into(),
                )),
                value: Some(ObservationValue::Quantity(Box::new(Quantity {
                    value: Some("13.40".parse::<fhir_model::Decimal>().expect("decimal").into()),
                    unit: Some("g/dL".into()),
                    system: Some("http://unitsofmeasure.org".into()),
                    code: Some("g/dL".into()),
                    ..Default::default()
                }))),
                ..Default::default()
            }
            .into()
        };
        entry.push(BundleEntry {
            full_url: Some(format!("{}/{}", resource.resource_type(), resource.id().unwrap_or("")).into()),
            resource: Some(resource),
            ..Default::default()
        });
    }
    Bundle { id: Some("b1".into()), type_: Some("collection".into()), entry, ..Default::default() }.into()
}

fn benches(c: &mut Criterion) {
    let typed = bundle();
    let bytes = typed.to_json().expect("writes");
    let value: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    assert_eq!(Resource::from_json(&bytes, ReadMode::Strict).expect("reads"), typed);

    let mut read = c.benchmark_group("fhir/read");
    read.throughput(Throughput::Bytes(bytes.len() as u64));
    read.bench_function("typed", |b| {
        b.iter(|| Resource::from_json(black_box(&bytes), ReadMode::Strict).expect("reads"));
    });
    read.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).expect("reads"));
    });
    read.finish();

    let mut write = c.benchmark_group("fhir/write");
    write.throughput(Throughput::Bytes(bytes.len() as u64));
    write.bench_function("typed", |b| b.iter(|| black_box(&typed).to_json().expect("writes")));
    write.bench_function("serde_json_value", |b| b.iter(|| serde_json::to_vec(black_box(&value)).expect("writes")));
    write.finish();
}

criterion_group!(fhir, benches);
criterion_main!(fhir);
