//! Datatype scalars (`Nm`, `Dtm`, `Dt`, `Tm`) on arbitrary bytes: parsing never panics, errors
//! point inside the value, and FHIR renderings of parsed values are ASCII text that does not
//! depend on anything but the value (rendering twice gives the same text).
//! Then the same bytes as OBX-5 of a message, read through every composite accessor that parses
//! a scalar (SN, CQ, MO, CP, TS, DR, XTN, CX, XCN, CWE): errors carry message offsets inside
//! the field, and a parsed NM's offset is inside it too.
#![no_main]

use hl7_core::types::{
    Cp, Cq, Cwe, Cx, Dr, Dt, Dtm, Mo, Nm, Sn, Tm, Ts, TypeError, UtcOffset, Xcn, Xon, Xtn,
};
use hl7_core::{Field, Message};
use hl7_map::datatypes::{MissingZone, ToFhirDate, ToFhirDateTime, ToFhirDecimal, ToFhirTime};
use libfuzzer_sys::fuzz_target;

/// Asserts that a parsed scalar's error offset, or a parsed NM's offset, lies inside `field`.
struct Within {
    start: usize,
    end: usize,
}

impl Within {
    fn new(field: &Field<'_>) -> Self {
        Within { start: field.offset(), end: field.offset() + field.len() }
    }

    fn error(&self, e: &TypeError) {
        assert!(e.offset() >= self.start && e.offset() <= self.end, "type error offset outside the field");
        let _ = (e.to_string(), format!("{e:?}"));
    }

    fn nm(&self, r: Option<Result<Nm<'_>, TypeError>>) {
        match r {
            Some(Ok(nm)) => {
                assert!(nm.offset() >= self.start && nm.offset() + nm.as_bytes().len() <= self.end, "NM outside");
                let _ = (nm.to_f64(), nm.to_i64(), nm.to_fhir_decimal().to_string());
            }
            Some(Err(e)) => self.error(&e),
            None => {}
        }
    }

    fn dtm(&self, r: Option<Result<Dtm, TypeError>>) {
        match r {
            Some(Ok(dtm)) => {
                let _ = dtm.to_fhir_date_time(MissingZone::TruncateToDate);
            }
            Some(Err(e)) => self.error(&e),
            None => {}
        }
    }

    fn dt(&self, r: Option<Result<Dt, TypeError>>) {
        if let Some(Err(e)) = r {
            self.error(&e);
        }
    }

    fn code<T>(&self, r: Option<Result<T, TypeError>>) {
        if let Some(Err(e)) = r {
            self.error(&e);
        }
    }
}

/// Reads every scalar part of every composite built from `v` (a repetition, or a component whose
/// parts are then subcomponents, as CWE sits inside XCN or TS inside DR).
fn read_composites<'a, V>(w: &Within, v: V)
where
    V: Copy
        + Into<Sn<'a>>
        + Into<Cq<'a>>
        + Into<Mo<'a>>
        + Into<Cp<'a>>
        + Into<Ts<'a>>
        + Into<Dr<'a>>
        + Into<Xtn<'a>>
        + Into<Cx<'a>>
        + Into<Cwe<'a>>
        + Into<Xcn<'a>>
        + Into<Xon<'a>>,
{
    let sn: Sn<'a> = v.into();
    w.code(sn.comparator());
    w.nm(sn.num1());
    w.code(sn.separator_suffix());
    w.nm(sn.num2());
    let cq: Cq<'a> = v.into();
    w.nm(cq.quantity());
    w.dtm(cq.units().and_then(|u| u.value_set_version_id()));
    w.nm(Into::<Mo<'a>>::into(v).quantity());
    let cp: Cp<'a> = v.into();
    w.nm(cp.price().and_then(|m| m.quantity()));
    w.nm(cp.range_from());
    w.nm(cp.range_to());
    w.dtm(Into::<Ts<'a>>::into(v).time());
    let dr: Dr<'a> = v.into();
    w.dtm(dr.range_start().and_then(|t| t.time()));
    w.dtm(dr.range_end().and_then(|t| t.time()));
    let xtn: Xtn<'a> = v.into();
    for nm in [xtn.country_code(), xtn.area_city_code(), xtn.local_number(), xtn.extension()] {
        w.nm(nm);
    }
    let cx: Cx<'a> = v.into();
    w.dt(cx.effective_date());
    w.dt(cx.expiration_date());
    let cwe: Cwe<'a> = v.into();
    for version in
        [cwe.value_set_version_id(), cwe.alternate_value_set_version_id(), cwe.second_alternate_value_set_version_id()]
    {
        w.dtm(version);
    }
    let xcn: Xcn<'a> = v.into();
    let xon: Xon<'a> = v.into();
    w.nm(xon.id_number());
    w.nm(xon.check_digit());
    let _ = format!("{sn:?}{cq:?}{dr:?}{xtn:?}{cx:?}{cwe:?}{xcn:?}{xon:?}");
}

fn composites(data: &[u8]) {
    let mut bytes = b"MSH|^~\\&|A\rOBX|1|SN|x||".to_vec();
    bytes.extend_from_slice(data);
    let Ok(msg) = Message::parse(&bytes) else { return };
    let Some(field) = msg.segment(b"OBX").and_then(|obx| obx.field(5)) else { return };
    let w = Within::new(&field);
    for rep in field.repetitions() {
        read_composites(&w, rep);
        for comp in rep.components() {
            read_composites(&w, comp);
        }
        w.nm(Nm::from_value(rep).into());
        w.dtm(Dtm::from_value(rep).into());
        w.dt(Dt::from_value(rep).into());
        w.code(Tm::from_value(rep).into());
    }
}

/// A calendar date the parser accepted is a real one: month 1–12, day within the month.
fn check_date(year: u16, month: Option<u8>, day: Option<u8>) {
    let Some(m) = month else {
        assert!(day.is_none(), "a day without a month");
        return;
    };
    assert!((1..=12).contains(&m), "month out of range accepted");
    if let Some(d) = day {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let last = match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        assert!((1..=last).contains(&d), "day out of range accepted");
    }
}

/// A time the parser accepted is in range, its parts nest (no second without a minute), and an
/// offset stays within -14:00..+14:00.
fn check_time(hour: Option<u8>, minute: Option<u8>, second: Option<u8>, offset: Option<UtcOffset>) {
    assert!(hour.is_none_or(|h| h <= 23), "hour out of range accepted");
    assert!(minute.is_none_or(|m| m <= 59) && (minute.is_none() || hour.is_some()), "bad minute accepted");
    assert!(second.is_none_or(|s| s <= 59) && (second.is_none() || minute.is_some()), "bad second accepted");
    if let Some(o) = offset {
        assert!(o.minutes() <= 59 && o.total_minutes().abs() <= 14 * 60, "offset out of range accepted");
    }
}

fuzz_target!(|data: &[u8]| {
    composites(data);
    if let Ok(dtm) = Dtm::parse(data) {
        check_date(dtm.year(), dtm.month(), dtm.day());
        check_time(dtm.hour(), dtm.minute(), dtm.second(), dtm.offset());
        assert!(dtm.fraction().is_none() || dtm.second().is_some(), "a fraction without seconds");
        let date = dtm.date();
        assert_eq!(
            (date.year(), date.month(), date.day()),
            (dtm.year(), dtm.month(), dtm.day()),
            "date() changed the date"
        );
        let _ = (dtm.precision(), format!("{dtm:?}"));
    }
    if let Ok(dt) = Dt::parse(data) {
        check_date(dt.year(), dt.month(), dt.day());
    }
    if let Ok(tm) = Tm::parse(data) {
        check_time(Some(tm.hour()), tm.minute(), tm.second(), tm.offset());
        let _ = (tm.precision(), tm.fraction());
    }
    let inside = |offset: usize| assert!(offset <= data.len(), "type error offset past the value");
    match Nm::parse(data) {
        Ok(nm) => {
            let _ = (nm.to_i64(), nm.to_f64(), nm.is_integer());
            let text = nm.to_fhir_decimal().to_string();
            assert!(!text.is_empty() && text.is_ascii());
            assert_eq!(text, nm.to_fhir_decimal().to_string());
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
