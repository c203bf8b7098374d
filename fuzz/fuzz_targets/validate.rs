//! Structure grouping and validation on arbitrary messages: never a panic, every segment placed
//! exactly once and in order, diagnostics point inside the input.
#![no_main]

use hl7_core::validate::{validate, ValidationOptions};
use hl7_core::{structure, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = Message::parse(data) else { return };
    if let Ok(grouped) = structure::group(&msg) {
        let order: Vec<usize> = grouped.segments().iter().map(|p| p.index()).collect();
        let expected: Vec<usize> = (1..=msg.segment_count()).collect();
        assert_eq!(order, expected, "grouping lost, duplicated or reordered a segment");
    }
    for d in validate(&msg, &ValidationOptions::default()) {
        assert!(d.location.offset <= data.len(), "diagnostic offset past the input");
        let _ = (d.to_string(), format!("{d:?}"));
    }
});
