//! FHIR JSON reading (fhir-model) on arbitrary bytes, strict and lenient: never a panic; a value
//! that reads writes back to JSON that reads again into the same value and writes the same bytes;
//! validation of anything read never panics.
#![no_main]

use fhir_model::{validate, ReadMode, Resource, ValidationOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for mode in [ReadMode::Strict, ReadMode::Lenient] {
        let Ok(resource) = Resource::from_json(data, mode) else { continue };
        let written = resource.to_json().expect("a resource that was read can be written");
        let again = Resource::from_json(&written, mode).expect("written JSON reads back");
        let rewritten = again.to_json().expect("writes again");
        // No assert_eq!: it would print the JSON (harnesses never print content).
        assert!(rewritten == written, "write is not a fixed point ({} vs {} bytes)", rewritten.len(), written.len());
        let outcome = validate(&resource, &ValidationOptions::default());
        let _ = format!("{outcome:?}");
    }
});
