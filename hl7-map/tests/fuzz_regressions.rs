//! Inputs the `convert` and `matrix_load` fuzz targets found (fuzz/regressions/), one test each.
//! Each stays as a regression test once fixed.

use fhir_model::Resource;
use hl7_core::Message;
use hl7_map::engine::Engine;

/// Converts and checks what the `convert` target checks: a Bundle, valid.
fn converts_valid(input: &[u8]) {
    let msg = Message::parse(input).expect("parses");
    let engine = Engine::builtin().expect("the built-in matrix loads");
    let out = match engine.convert(&msg) {
        Ok(out) => out,
        Err(e) => panic!("not converted: {e}"),
    };
    let report = Resource::from(out.bundle).validate();
    assert!(!report.has_errors(), "{:?}", report.issues());
}

/// A PID with PID-25 (birth order, NM → `Patient.multipleBirthInteger`) set to `value`.
fn birth_order(value: &str) -> Vec<u8> {
    let mut fields = vec![""; 26];
    fields[0] = "PID";
    fields[3] = "1^^^H^MR";
    fields[5] = "DOE^J";
    fields[25] = value;
    format!("MSH|^~\\&|A|B|C|D|20240101||ADT^A01^ADT_A01|1|P|2.5.1\r{}\r", fields.join("|")).into_bytes()
}

#[test]
fn birth_order_in_integer_range_converts() {
    for value in ["1", "-1", "2147483647"] {
        converts_valid(&birth_order(value));
    }
}

/// fuzz/regressions/convert/pid25-nm-out-of-integer-range.hl7: an NM that is not a FHIR
/// `integer` (a fraction, or past 32 bits) failed the whole conversion with `MapError::Output`
/// ("value does not fit the element's type at Patient.multipleBirthInteger") instead of leaving
/// the element out with `IssueKind::InvalidValue`. Fixed: the engine asks fhir-model whether the
/// target is an integer and writes only a 32-bit integer there.
#[test]
fn birth_order_outside_integer_is_left_out_not_fatal() {
    for value in ["1.5", "2147483648", "20015203405"] {
        converts_valid(&birth_order(value));
    }
    converts_valid(include_bytes!("../../fuzz/regressions/convert/pid25-nm-out-of-integer-range.hl7"));
}
