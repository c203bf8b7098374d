//! v2 → FHIR conversion (hl7-map's built-in matrix, compiled once) on arbitrary bytes: whatever
//! parses converts without a panic, with and without lineage, into a Bundle that fhir-model
//! validates without an error; the JSON written is the same for both runs (lineage adds nothing to
//! the Bundle); every lineage and issue span lies inside the input.
//! `MapError` is a defect of the engine or the matrix (the output is valid by construction), so
//! any `Err` is a finding too (found inputs: fuzz/regressions/, hl7-map/tests/fuzz_regressions.rs).
#![no_main]

use std::sync::LazyLock;

use fhir_model::report::IssueSeverity;
use fhir_model::{to_json_vec, Resource};
use hl7_core::Message;
use hl7_map::engine::{ConvertOptions, Engine};
use libfuzzer_sys::fuzz_target;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine::builtin().expect("the built-in matrix loads"));

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = Message::parse(data) else { return };
    let plain = match ENGINE.convert(&msg) {
        Ok(c) => c,
        // No `{e}`: a defect report names the kind only (the harness never prints content).
        Err(e) => panic!("convert failed: {}", kind(&e)),
    };
    let traced = match ENGINE.convert_with(&msg, ConvertOptions { lineage: true, ..Default::default() }) {
        Ok(c) => c,
        Err(e) => panic!("convert with lineage failed: {}", kind(&e)),
    };
    for issue in &plain.issues {
        assert!(issue.span.start <= issue.span.end && issue.span.end <= data.len(), "issue span outside the input");
    }
    for entry in traced.lineage.as_deref().unwrap_or_default() {
        assert!(entry.span.start <= entry.span.end && entry.span.end <= data.len(), "lineage span outside the input");
    }
    let bundle = Resource::from(plain.bundle);
    let json = to_json_vec(&bundle).expect("a converted Bundle writes as JSON");
    let again = to_json_vec(&Resource::from(traced.bundle)).expect("writes");
    assert!(json == again, "lineage changed the Bundle ({} vs {} bytes)", json.len(), again.len());
    let report = bundle.validate();
    if let Some(error) =
        report.issues().iter().find(|i| matches!(i.severity(), IssueSeverity::Error | IssueSeverity::Fatal))
    {
        // The location and fhir-model's message (which never quotes a value), no content.
        panic!("converted Bundle does not validate: {} at {}", error.message(), error.location());
    }
});

fn kind(e: &hl7_map::engine::MapError) -> &'static str {
    match e {
        hl7_map::engine::MapError::Matrix(_) => "matrix",
        hl7_map::engine::MapError::Output(_) => "output is not FHIR R4",
        _ => "other",
    }
}
