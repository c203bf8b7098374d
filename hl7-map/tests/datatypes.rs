//! The IG's scalar datatype maps (`hl7_map::datatypes`): DTM/DT/TM → FHIR date, dateTime, instant,
//! time; NM → decimal. Precision and zones are never invented; losses are reported.

use hl7_core::types::{Cx, Dt, Dtm, Nm, Tm, TypeErrorKind, UtcOffset};
use hl7_core::Message;
use hl7_map::datatypes::{MissingZone, TimeDropped, ToFhirDate, ToFhirDateTime, ToFhirDecimal, ToFhirTime};

#[test]
fn dtm_to_fhir() {
    let date = |s: &[u8]| Dtm::parse(s).unwrap().to_fhir_date().as_str().to_owned();
    assert_eq!(date(b"1980"), "1980");
    assert_eq!(date(b"198001"), "1980-01");
    assert_eq!(date(b"19800115"), "1980-01-15");
    assert_eq!(date(b"19800115123000-0500"), "1980-01-15");

    let dt = |s: &[u8], z| {
        let r = Dtm::parse(s).unwrap().to_fhir_date_time(z);
        (r.as_str().to_owned(), r.time_dropped(), r.zone_assumed(), r.seconds_zero_filled())
    };
    let keep = MissingZone::TruncateToDate;
    assert_eq!(dt(b"2024", keep), ("2024".into(), None, false, false));
    assert_eq!(dt(b"20240131", keep), ("2024-01-31".into(), None, false, false));
    assert_eq!(dt(b"202401310930-0500", keep), ("2024-01-31T09:30:00-05:00".into(), None, false, true));
    assert_eq!(dt(b"20240131093015+0000", keep), ("2024-01-31T09:30:15+00:00".into(), None, false, false));
    assert_eq!(dt(b"20240131093015-0000", keep).0, "2024-01-31T09:30:15-00:00");
    assert_eq!(dt(b"20240131093015.0000-0500", keep).0, "2024-01-31T09:30:15.0000-05:00");
    assert_eq!(dt(b"20240131093015", keep), ("2024-01-31".into(), Some(TimeDropped::TimeWithoutZone), false, false));
    assert_eq!(
        dt(b"2024013109-0500", keep),
        ("2024-01-31".into(), Some(TimeDropped::HourWithoutMinutes), false, false)
    );
    let cet = MissingZone::Assume(UtcOffset::new(false, 1, 0).unwrap());
    assert_eq!(dt(b"20240131093015", cet), ("2024-01-31T09:30:15+01:00".into(), None, true, false));
    // The value's own zone wins over an assumed one.
    assert_eq!(dt(b"20240131093015-0500", cet), ("2024-01-31T09:30:15-05:00".into(), None, false, false));
    // A 9-digit fraction fits the inline buffer.
    assert_eq!(dt(b"20240131093015.123456789+1400", keep).0, "2024-01-31T09:30:15.123456789+14:00");

    let inst = |s: &[u8], z| Dtm::parse(s).unwrap().to_fhir_instant(z).map(|t| t.to_string());
    assert_eq!(inst(b"20240131093015.5-0500", None).unwrap(), "2024-01-31T09:30:15.5-05:00");
    assert_eq!(inst(b"202401310930-0500", None).unwrap_err().kind(), TypeErrorKind::PrecisionTooLow);
    assert_eq!(inst(b"20240131093015", None).unwrap_err().kind(), TypeErrorKind::MissingZone);
    assert_eq!(inst(b"20240131093015", Some(UtcOffset::UTC)).unwrap(), "2024-01-31T09:30:15+00:00");
}

#[test]
fn dt_tm_and_nested_ts_to_fhir() {
    assert_eq!(Dt::parse(b"20240229").unwrap().to_fhir_date().as_str(), "2024-02-29");
    assert_eq!(Dt::parse(b"2023").unwrap().to_fhir_date().as_str(), "2023");
    let t = Tm::parse(b"235959.9999-0330").unwrap();
    assert_eq!(t.to_fhir_time().unwrap().as_str(), "23:59:59.9999");
    assert_eq!(Tm::parse(b"0830").unwrap().to_fhir_time().unwrap().as_str(), "08:30:00");
    assert_eq!(Tm::parse(b"12").unwrap().to_fhir_time().unwrap_err().kind(), TypeErrorKind::PrecisionTooLow);

    let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||X^^^H^MR^^20200101\r").unwrap();
    let pid = msg.segment(b"PID").unwrap();
    let cx = Cx::from_field(pid.field(3).unwrap());
    assert_eq!(cx.effective_date().unwrap().unwrap().to_fhir_date().as_str(), "2020-01-01");
}

#[test]
fn nm_to_fhir_decimal_keeps_precision() {
    let fhir = |s: &str| Nm::parse(s.as_bytes()).unwrap().to_fhir_decimal().to_string();
    assert_eq!(fhir("1.50"), "1.50");
    assert_eq!(fhir("+007.10"), "7.10");
    assert_eq!(fhir(".5"), "0.5");
    assert_eq!(fhir("-.5"), "-0.5");
    assert_eq!(fhir("5."), "5");
    assert_eq!(fhir("000"), "0");
    assert_eq!(fhir("-0"), "-0");
}

#[test]
fn debug_shows_no_content() {
    let dtm = Dtm::parse(b"19800101").unwrap();
    let nm = Nm::parse(b"123456").unwrap();
    let texts = [
        format!("{:?} {:?}", dtm.to_fhir_date(), dtm.to_fhir_date_time(MissingZone::TruncateToDate)),
        format!("{:?}", nm.to_fhir_decimal()),
        format!("{:?}", Tm::parse(b"0830").unwrap().to_fhir_time().unwrap()),
    ];
    for t in texts {
        assert!(!t.contains("1980") && !t.contains("123456") && !t.contains("08:30"), "{t}");
    }
}

mod arbitrary_input {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn renderings_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(t) = Dtm::parse(&bytes) {
                let _ = (t.to_fhir_date(), t.to_fhir_instant(None), t.to_fhir_date_time(MissingZone::TruncateToDate));
            }
            if let Ok(t) = Tm::parse(&bytes) {
                let _ = t.to_fhir_time();
            }
            if let Ok(n) = Nm::parse(&bytes) {
                prop_assert!(n.to_fhir_decimal().to_string().len() <= bytes.len() + 1);
            }
        }

        #[test]
        fn valid_looking_stamps_render(s in "[0-9]{4}([0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2}(\\.[0-9]{1,9})?)?)?)?)?)?([+-][0-9]{4})?") {
            if let Ok(t) = Dtm::parse(s.as_bytes()) {
                let r = t.to_fhir_date_time(MissingZone::Assume(UtcOffset::UTC));
                prop_assert!(r.as_str().starts_with(&s[..4]));
                let _ = (t.to_fhir_date(), t.to_fhir_instant(None));
            }
        }
    }
}
