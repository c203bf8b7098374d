//! FHIR JSON reading (fhir-model) on arbitrary bytes, strict and lenient: never a panic; a value
//! that reads writes back to JSON that reads again into the same value and writes the same bytes;
//! validation of anything read (plain and with US Core) never panics; a read error's line and
//! column lie inside the input.
//! The same bytes as a primitive's text: `decimal` accepts exactly what JSON accepts as a number
//! (the two grammars are the same); an accepted `date`, `dateTime`, `instant` or `time` keeps its
//! text, has parts in range, and nests (every date and instant is a dateTime).
#![no_main]

use fhir_model::{
    validate_resource, Date, DateTime, DateTimeParts, Decimal, Instant, ReadMode, Resource, Time, UsCoreVersion,
    ResourceValidationOptions,
};
use libfuzzer_sys::fuzz_target;

fn resource(data: &[u8]) {
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
        let outcome = validate_resource(&resource, &ResourceValidationOptions::default());
        let us_core = validate_resource(&resource, &ResourceValidationOptions::default().with_us_core(UsCoreVersion::V9_0_0));
        let _ = format!("{outcome}{outcome:?}{us_core}{us_core:?}");
        let _ = (outcome.to_operation_outcome(), us_core.to_operation_outcome());
    }
}

/// Ranges of accepted date-time parts; `fraction_digits` counts the digits after the dot.
fn check_parts(text: &str, p: &DateTimeParts) {
    assert!(p.month.is_none_or(|m| (1..=12).contains(&m)), "month out of range accepted");
    assert!(p.day.is_none_or(|d| (1..=31).contains(&d)) && (p.day.is_none() || p.month.is_some()), "bad day");
    if let Some((h, m, s)) = p.time {
        assert!(h <= 23 && m <= 59 && s <= 60, "time out of range accepted");
        assert!(p.day.is_some() && p.offset_minutes.is_some(), "a time without a full date or a zone");
    }
    assert!(p.offset_minutes.is_none_or(|o| o.abs() <= 14 * 60), "offset out of range accepted");
    let fraction = text.split_once('.').map_or(0, |(_, f)| f.bytes().take_while(u8::is_ascii_digit).count());
    assert_eq!(usize::from(p.fraction_digits), fraction, "fraction digits miscounted");
}

fn primitives(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let number = !text.bytes().any(|b| b.is_ascii_whitespace())
        && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
        && text.bytes().next().is_some_and(|b| b == b'-' || b.is_ascii_digit());
    let decimal = text.parse::<Decimal>();
    assert_eq!(decimal.is_ok(), number, "decimal grammar and JSON number grammar disagree");
    if let Ok(d) = decimal {
        assert!(d.as_str() == text, "decimal changed its text");
    }
    let date_time = text.parse::<DateTime>().ok();
    if let Some(t) = &date_time {
        assert!(t.as_str() == text, "dateTime changed its text");
        check_parts(text, &t.parts().expect("an accepted dateTime has parts"));
    }
    if let Ok(d) = text.parse::<Date>() {
        let p = d.parts().expect("an accepted date has parts");
        assert!(p.time.is_none(), "a date with a time");
        assert!(date_time.is_some(), "a date that is not a dateTime");
        check_parts(text, &p);
    }
    if let Ok(i) = text.parse::<Instant>() {
        let p = i.parts().expect("an accepted instant has parts");
        assert!(p.time.is_some(), "an instant without a time");
        assert!(date_time.as_ref().and_then(DateTime::parts) == Some(p), "an instant that is not the same dateTime");
    }
    if let Ok(t) = text.parse::<Time>() {
        let (h, m, s) = t.parts().expect("an accepted time has parts");
        assert!(h <= 23 && m <= 59 && s <= 60, "time out of range accepted");
    }
}

fuzz_target!(|data: &[u8]| {
    resource(data);
    primitives(data);
});
