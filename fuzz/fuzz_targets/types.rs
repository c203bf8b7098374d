//! Datatype scalars (`Nm`, `Dtm`, `Dt`, `Tm`) on arbitrary bytes: parsing never panics, errors
//! point inside the value, and FHIR renderings of parsed values are ASCII text that does not
//! depend on anything but the value (rendering twice gives the same text).
#![no_main]

use hl7_core::types::{Dt, Dtm, MissingZone, Nm, Tm, UtcOffset};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let inside = |offset: usize| assert!(offset <= data.len(), "type error offset past the value");
    match Nm::parse(data) {
        Ok(nm) => {
            let _ = (nm.as_i64(), nm.as_f64(), nm.is_integer());
            let text = nm.fhir_decimal().to_string();
            assert!(!text.is_empty() && text.is_ascii());
            assert_eq!(text, nm.fhir_decimal().to_string());
        }
        Err(e) => inside(e.offset()),
    }
    match Dtm::parse(data) {
        Ok(dtm) => {
            let date = dtm.to_fhir_date();
            assert!(date.as_str().is_ascii() && !date.as_str().is_empty());
            let zone = UtcOffset::new(false, 1, 0).expect("+01:00 is a valid offset");
            for missing in [MissingZone::TruncateToDate, MissingZone::Assume(zone)] {
                let dt = dtm.to_fhir_date_time(missing);
                assert!(dt.as_str().starts_with(date.as_str()), "dateTime does not start with its date");
            }
            let _ = dtm.to_fhir_instant(Some(zone)).map(|t| t.to_string());
        }
        Err(e) => inside(e.offset()),
    }
    match Dt::parse(data) {
        Ok(dt) => assert!(dt.to_fhir_date().as_str().is_ascii()),
        Err(e) => inside(e.offset()),
    }
    match Tm::parse(data) {
        Ok(tm) => {
            let _ = tm.to_fhir_time().map(|t| t.to_string());
        }
        Err(e) => inside(e.offset()),
    }
});
