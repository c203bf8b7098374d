//! FHIR JSON reading (fhir-model) on arbitrary bytes, strict and lenient: never a panic; a value
//! that reads writes back to JSON that reads again into the same value and writes the same bytes;
//! validation of anything read (plain and with US Core) never panics; a read error's line and
//! column lie inside the input.
#![no_main]

use fhir_model::{validate, ReadMode, Resource, UsCoreVersion, ValidationOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = 1 + data.iter().filter(|&&b| b == b'\n').count();
    for mode in [ReadMode::Strict, ReadMode::Lenient] {
        let resource = match Resource::from_json(data, mode) {
            Ok(r) => r,
            Err(e) => {
                assert!(e.line() <= lines, "error line past the input");
                let _ = (e.to_string(), format!("{e:?}"));
                continue;
            }
        };
        let written = resource.to_json().expect("a resource that was read can be written");
        let again = Resource::from_json(&written, mode).expect("written JSON reads back");
        let rewritten = again.to_json().expect("writes again");
        // No assert_eq!: it would print the JSON (harnesses never print content).
        assert!(rewritten == written, "write is not a fixed point ({} vs {} bytes)", rewritten.len(), written.len());
        let outcome = validate(&resource, &ValidationOptions::default());
        let us_core = validate(&resource, &ValidationOptions::default().with_us_core(UsCoreVersion::V9_0_0));
        let _ = format!("{outcome:?}{us_core:?}");
    }
});
