//! `Message::parse_with` on arbitrary bytes with default, strict and tiny-limit options: walk the
//! whole tree, decode every value, read the charset report, and write the message back byte-exact.
#![no_main]

use hl7_core::{Message, ParseOptions};
use hl7_core_fuzz::{check_within_limits, walk, written};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lenient = Message::parse_with(data, &ParseOptions::default());
    let strict = Message::parse_with(data, &ParseOptions::strict());
    for result in [&lenient, &strict] {
        match result {
            Ok(msg) => {
                walk(msg);
                let _ = msg.charset_report();
                let _ = msg.query("MSH-9.2");
                let _ = format!("{msg:?} {:?}", msg.notes());
                assert!(written(msg) == msg.as_bytes(), "write() differs from the input");
                if let Some(pid5) = msg.query("PID-5").ok().flatten() {
                    let _ = hl7_messaging::TextDecoder::new(msg).value(pid5);
                }
            }
            Err(e) => {
                assert!(e.offset() <= data.len(), "error offset {} past the input ({})", e.offset(), data.len());
                let _ = (e.locate(data), e.to_string());
            }
        }
    }
    // Strict accepts a subset of what the default accepts, with the same segments.
    if let (Ok(s), l) = (&strict, &lenient) {
        let l = l.as_ref().expect("strict accepted what lenient refused");
        assert_eq!(s.segment_count(), l.segment_count(), "strict and lenient segment counts differ");
        assert_eq!(s.delimiters(), l.delimiters(), "strict and lenient delimiters differ");
    }
    // Tiny limits: parsing either fails or yields a tree within them.
    let mut tiny = ParseOptions::default();
    tiny.limits.max_segments = 6;
    tiny.limits.max_fields = 8;
    tiny.limits.max_repetitions = 3;
    tiny.limits.max_components = 4;
    tiny.limits.max_subcomponents = 2;
    tiny.limits.max_field_bytes = 40;
    if let Ok(msg) = Message::parse_with(data, &tiny) {
        check_within_limits(&msg, &tiny.limits);
    }
});
