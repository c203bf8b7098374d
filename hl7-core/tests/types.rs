//! Typed datatype views (`hl7_core::types`): by datatype, good values, bad values, and the shared
//! corpus (skipped with a notice when absent).

// The floats compared are exactly representable (1.5, 0.5, 20.0): exact equality is the check.
#![allow(clippy::float_cmp)]

use hl7_core::types::{
    Comparator, Cp, Cq, Cwe, Cx, Dt, Dtm, Ed, Ei, FamilyName, Ft, Hd, Id, Mo, Msg, Nm, Pl, Precision, Pt, Rp, Sn,
    SnSeparator, St, Tm, Ts, TypeErrorKind, Vid, Xad, Xcn, Xon, Xpn, Xtn,
};
use hl7_core::Message;

mod common;

fn kind(r: Result<Dtm, hl7_core::types::TypeError>) -> (TypeErrorKind, usize) {
    let e = r.unwrap_err();
    (e.kind(), e.offset())
}

// ---------------------------------------------------------------- DTM

#[test]
fn dtm_keeps_each_precision() {
    for (text, p) in [
        ("2024", Precision::Year),
        ("202402", Precision::Month),
        ("20240229", Precision::Day),
        ("2024022913", Precision::Hour),
        ("202402291305", Precision::Minute),
        ("20240229130559", Precision::Second),
        ("20240229130559.1", Precision::Fraction),
        ("20240229130559.123456789", Precision::Fraction),
    ] {
        let t = Dtm::parse(text.as_bytes()).unwrap();
        assert_eq!(t.precision(), p, "{text}");
        assert_eq!(t.year(), 2024);
        assert!(t.offset().is_none());
    }
    let t = Dtm::parse(b"20240229130559.0000-0500").unwrap();
    assert_eq!(
        (t.month(), t.day(), t.hour(), t.minute(), t.second()),
        (Some(2), Some(29), Some(13), Some(5), Some(59))
    );
    assert_eq!(t.fraction(), Some("0000"));
    let z = t.offset().unwrap();
    assert_eq!((z.is_negative(), z.hours(), z.minutes(), z.total_minutes()), (true, 5, 0, -300));
    let y = Dtm::parse(b"2024").unwrap();
    assert_eq!((y.month(), y.day(), y.hour(), y.fraction()), (None, None, None, None));
}

#[test]
fn dtm_offsets_on_any_precision_and_sign_kept() {
    assert_eq!(Dtm::parse(b"202401-0500").unwrap().offset().unwrap().total_minutes(), -300);
    assert_eq!(Dtm::parse(b"2024010112+0545").unwrap().offset().unwrap().total_minutes(), 345);
    let minus_zero = Dtm::parse(b"202401011200-0000").unwrap().offset().unwrap();
    assert!(minus_zero.is_negative());
    assert_eq!(minus_zero.total_minutes(), 0);
    assert!(!Dtm::parse(b"202401011200+0000").unwrap().offset().unwrap().is_negative());
    assert!(Dtm::parse(b"20240101+1400").is_ok());
    assert!(Dtm::parse(b"20240101-1200").is_ok());
}

#[test]
fn dtm_calendar_ranges() {
    assert_eq!(kind(Dtm::parse(b"20241301")), (TypeErrorKind::MonthOutOfRange, 4));
    assert_eq!(kind(Dtm::parse(b"202400")), (TypeErrorKind::MonthOutOfRange, 4));
    assert_eq!(kind(Dtm::parse(b"20230229")), (TypeErrorKind::DayOutOfRange, 6));
    assert_eq!(kind(Dtm::parse(b"19000229")), (TypeErrorKind::DayOutOfRange, 6)); // century, not leap
    assert!(Dtm::parse(b"20000229").is_ok()); // divisible by 400
    assert!(Dtm::parse(b"20240229").is_ok());
    assert_eq!(kind(Dtm::parse(b"20240230")), (TypeErrorKind::DayOutOfRange, 6));
    assert_eq!(kind(Dtm::parse(b"20240431")), (TypeErrorKind::DayOutOfRange, 6));
    assert_eq!(kind(Dtm::parse(b"20240100")), (TypeErrorKind::DayOutOfRange, 6));
    assert_eq!(kind(Dtm::parse(b"2024010124")), (TypeErrorKind::HourOutOfRange, 8));
    assert_eq!(kind(Dtm::parse(b"202401012360")), (TypeErrorKind::MinuteOutOfRange, 10));
    assert_eq!(kind(Dtm::parse(b"20240101235960")), (TypeErrorKind::SecondOutOfRange, 12));
    assert_eq!(kind(Dtm::parse(b"0000")), (TypeErrorKind::YearOutOfRange, 0));
}

#[test]
fn dtm_offsets_and_fractions_refused() {
    assert_eq!(kind(Dtm::parse(b"20240101120000+9999")), (TypeErrorKind::OffsetOutOfRange, 14));
    assert_eq!(kind(Dtm::parse(b"20240101120000+1401")), (TypeErrorKind::OffsetOutOfRange, 14));
    assert_eq!(kind(Dtm::parse(b"20240101120000-0560")), (TypeErrorKind::OffsetOutOfRange, 14));
    assert_eq!(kind(Dtm::parse(b"20240101120000-05")), (TypeErrorKind::InvalidLength, 14));
    assert_eq!(kind(Dtm::parse(b"20240101120000-050000")), (TypeErrorKind::InvalidLength, 14));
    assert_eq!(kind(Dtm::parse(b"20240101120000.1234567890")), (TypeErrorKind::FractionTooLong, 15));
    assert_eq!(kind(Dtm::parse(b"20240101120000.")), (TypeErrorKind::InvalidLength, 15));
    // A fraction needs seconds.
    assert_eq!(kind(Dtm::parse(b"202401011200.5")), (TypeErrorKind::InvalidCharacter, 12));
    let mut absurd = b"20240101120000.".to_vec();
    absurd.extend(std::iter::repeat_n(b'1', 100_000));
    assert_eq!(kind(Dtm::parse(&absurd)), (TypeErrorKind::FractionTooLong, 15));
}

#[test]
fn dtm_grammar_refusals() {
    assert_eq!(kind(Dtm::parse(b"")), (TypeErrorKind::Empty, 0));
    assert_eq!(kind(Dtm::parse(b"\"\"")), (TypeErrorKind::Null, 0));
    assert_eq!(kind(Dtm::parse(b"20241")), (TypeErrorKind::InvalidLength, 4));
    assert_eq!(kind(Dtm::parse(b"202401011")), (TypeErrorKind::InvalidLength, 8));
    assert_eq!(kind(Dtm::parse(b"202401011200001")), (TypeErrorKind::InvalidLength, 14));
    // After four digits a `-` starts an offset, which must be four digits.
    assert_eq!(kind(Dtm::parse(b"2024-01-01")), (TypeErrorKind::InvalidLength, 4));
    assert_eq!(kind(Dtm::parse(b"20240101T1200")), (TypeErrorKind::InvalidCharacter, 8));
    assert_eq!(kind(Dtm::parse(b"20240101120000Z")), (TypeErrorKind::InvalidCharacter, 14));
    assert_eq!(kind(Dtm::parse(b" 20240101")), (TypeErrorKind::InvalidCharacter, 0));
    assert_eq!(kind(Dtm::parse(b"20240101 ")), (TypeErrorKind::InvalidCharacter, 8));
    let digits = vec![b'1'; 1_000_000];
    assert_eq!(kind(Dtm::parse(&digits)), (TypeErrorKind::InvalidLength, 14));
}

#[test]
fn dtm_from_value_reports_message_offsets() {
    let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|20240101\rPID|1||||||19801301\r").unwrap();
    let pid7 = msg.segment(b"PID").unwrap().field(7).unwrap();
    let e = Dtm::from_value(pid7).unwrap_err();
    assert_eq!(e.kind(), TypeErrorKind::MonthOutOfRange);
    assert_eq!(e.offset(), pid7.offset() + 4);
    assert_eq!(&msg.as_bytes()[e.offset()..e.offset() + 2], b"13");
}

// ---------------------------------------------------------------- DT, TM, TS, DR

#[test]
fn dt_and_tm() {
    let leap = Dt::parse(b"20240229").unwrap();
    assert_eq!((leap.year(), leap.month(), leap.day()), (2024, Some(2), Some(29)));
    assert_eq!(Dt::parse(b"2023").unwrap().precision(), Precision::Year);
    assert_eq!(Dt::parse(b"20230229").unwrap_err().kind(), TypeErrorKind::DayOutOfRange);
    assert_eq!(Dt::parse(b"2024010112").unwrap_err().kind(), TypeErrorKind::InvalidLength);
    assert_eq!(Dt::parse(b"20240101-0500").unwrap_err().kind(), TypeErrorKind::InvalidCharacter);
    assert_eq!(Dt::parse(b"").unwrap_err().kind(), TypeErrorKind::Empty);
    let d = Dtm::parse(b"20240131093015-0500").unwrap().date();
    assert_eq!((d.year(), d.month(), d.day(), d.precision()), (2024, Some(1), Some(31), Precision::Day));

    let t = Tm::parse(b"235959.9999-0330").unwrap();
    assert_eq!((t.hour(), t.minute(), t.second(), t.fraction()), (23, Some(59), Some(59), Some("9999")));
    assert_eq!(t.offset().unwrap().total_minutes(), -210);
    assert_eq!(Tm::parse(b"12").unwrap().precision(), Precision::Hour);
    assert_eq!(Tm::parse(b"24").unwrap_err().kind(), TypeErrorKind::HourOutOfRange);
    assert_eq!(Tm::parse(b"1260").unwrap_err().kind(), TypeErrorKind::MinuteOutOfRange);
    assert_eq!(Tm::parse(b"1").unwrap_err().kind(), TypeErrorKind::InvalidLength);
    assert_eq!(Tm::parse(b"1200+9999").unwrap_err().kind(), TypeErrorKind::OffsetOutOfRange);
    assert_eq!(Tm::parse(b"12000000").unwrap_err().kind(), TypeErrorKind::InvalidLength);
}

#[test]
fn ts_and_dr_read_subcomponents() {
    let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||||DOE^JANE^^^^^L^^^20200101&Y^^20200101120000-0500\r").unwrap();
    let xpn = Xpn::from_field(msg.segment(b"PID").unwrap().field(5).unwrap());
    // XPN.10 is a DR in a component; its range start is a TS held in one subcomponent.
    let start = xpn.name_validity_range().unwrap().range_start().unwrap();
    let start_time = start.time().unwrap().unwrap();
    assert_eq!((start_time.year(), start_time.month(), start_time.day()), (2020, Some(1), Some(1)));
    assert!(start.degree_of_precision().is_none()); // below subcomponents there is nothing more
    let eff = xpn.effective_date().unwrap().time().unwrap().unwrap();
    assert_eq!(eff.offset().unwrap().total_minutes(), -300);
    let bad = Message::parse(b"MSH|^~\\&|A\rPID|1||||||20231301^D\r").unwrap();
    let ts = Ts::from_field(bad.segment(b"PID").unwrap().field(7).unwrap());
    assert_eq!(ts.time().unwrap().unwrap_err().kind(), TypeErrorKind::MonthOutOfRange);
    assert_eq!(ts.degree_of_precision().unwrap().as_bytes(), b"D");
}

// ---------------------------------------------------------------- NM, SN, CQ, MO, CP

#[test]
fn nm_keeps_lexical_form() {
    for (text, f, int) in [
        ("1.50", 1.5, false),
        ("-0.5", -0.5, false),
        ("+3", 3.0, true),
        (".5", 0.5, false),
        ("5.", 5.0, true),
        ("12.000", 12.0, true),
        ("007", 7.0, true),
        ("-0", 0.0, true),
    ] {
        let n = Nm::parse(text.as_bytes()).unwrap();
        assert_eq!(n.as_str(), text);
        assert_eq!(n.to_f64().unwrap(), f, "{text}");
        assert_eq!(n.is_integer(), int, "{text}");
    }
    let n = Nm::parse(b"-12.340").unwrap();
    assert_eq!((n.integer_digits(), n.fraction_digits(), n.is_negative()), (&b"12"[..], &b"340"[..], true));
}

#[test]
fn nm_refusals_and_overflow() {
    for (text, k, at) in [
        ("", TypeErrorKind::Empty, 0),
        ("\"\"", TypeErrorKind::Null, 0),
        ("-", TypeErrorKind::InvalidLength, 0),
        (".", TypeErrorKind::InvalidLength, 0),
        ("1.2.3", TypeErrorKind::InvalidCharacter, 3),
        ("1e5", TypeErrorKind::InvalidCharacter, 1),
        (" 1", TypeErrorKind::InvalidCharacter, 0),
        ("1,000", TypeErrorKind::InvalidCharacter, 1),
        ("--1", TypeErrorKind::InvalidCharacter, 1),
        ("1-", TypeErrorKind::InvalidCharacter, 1),
        ("NaN", TypeErrorKind::InvalidCharacter, 0),
        ("inf", TypeErrorKind::InvalidCharacter, 0),
    ] {
        let e = Nm::parse(text.as_bytes()).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (k, at), "{text:?}");
    }
    let huge = "9".repeat(400);
    let n = Nm::parse(huge.as_bytes()).unwrap();
    assert_eq!(n.as_str().len(), 400);
    assert_eq!(n.to_f64().unwrap_err().kind(), TypeErrorKind::NumberOutOfRange);
    assert_eq!(n.to_i64().unwrap_err().kind(), TypeErrorKind::NumberOutOfRange);
    let tiny = format!("0.{}1", "0".repeat(400));
    assert_eq!(Nm::parse(tiny.as_bytes()).unwrap().to_f64().unwrap(), 0.0);
    assert_eq!(Nm::parse(b"9223372036854775807").unwrap().to_i64().unwrap(), i64::MAX);
    assert_eq!(Nm::parse(b"-9223372036854775808").unwrap().to_i64().unwrap(), i64::MIN);
    assert_eq!(
        Nm::parse(b"9223372036854775808").unwrap().to_i64().unwrap_err().kind(),
        TypeErrorKind::NumberOutOfRange
    );
    assert_eq!(Nm::parse(b"1.5").unwrap().to_i64().unwrap_err().kind(), TypeErrorKind::NotAnInteger);
    let long = "1".repeat(1_000_000);
    assert_eq!(Nm::parse(long.as_bytes()).unwrap().to_f64().unwrap_err().kind(), TypeErrorKind::NumberOutOfRange);
}

#[test]
fn nm_from_value_offsets() {
    let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1|NM|x||12.5x\r").unwrap();
    let obx5 = msg.segment(b"OBX").unwrap().field(5).unwrap();
    let e = Nm::from_value(obx5).unwrap_err();
    assert_eq!((e.kind(), e.offset()), (TypeErrorKind::InvalidCharacter, obx5.offset() + 4));
}

#[test]
fn sn_cq_mo_cp() {
    let msg =
        Message::parse(b"MSH|^~\\&|A\rOBX|1|SN|x||<^0.5\rOBX|2|SN|x||^10^-^20\rOBX|3|SN|x||~^2^+\rOBX|4|SN|x||!^x^?\r")
            .unwrap();
    let sn = |n| Sn::from_field(msg.segment_nth(b"OBX", n).unwrap().field(5).unwrap());
    assert_eq!(sn(1).comparator().unwrap().unwrap(), Comparator::Less);
    assert_eq!(sn(1).num1().unwrap().unwrap().as_str(), "0.5");
    assert!(sn(1).separator_suffix().is_none() && sn(1).num2().is_none());
    assert!(sn(2).comparator().is_none());
    assert_eq!(sn(2).separator_suffix().unwrap().unwrap(), SnSeparator::Range);
    assert_eq!(sn(2).num2().unwrap().unwrap().to_f64().unwrap(), 20.0);
    // A repeating SN field reads its first repetition (empty here).
    assert!(sn(3).num1().is_none());
    assert_eq!(sn(4).comparator().unwrap().unwrap_err().kind(), TypeErrorKind::UnknownCode);
    assert_eq!(sn(4).num1().unwrap().unwrap_err().kind(), TypeErrorKind::InvalidCharacter);
    assert_eq!(sn(4).separator_suffix().unwrap().unwrap_err().kind(), TypeErrorKind::UnknownCode);
    assert_eq!(Comparator::from_bytes(b"<>").unwrap().as_str(), "<>");

    let msg =
        Message::parse(b"MSH|^~\\&|A\rRXE|1|2.5^mL&milliliter&UCUM|10.00^EUR|5&USD^UP^1^10^d&day&UCUM^R\r").unwrap();
    let rxe = msg.segment(b"RXE").unwrap();
    let cq = Cq::from_field(rxe.field(2).unwrap());
    assert_eq!(cq.quantity().unwrap().unwrap().as_str(), "2.5");
    let units = cq.units().unwrap();
    assert_eq!(units.text().unwrap().as_bytes(), b"milliliter");
    assert_eq!(units.name_of_coding_system().unwrap().as_bytes(), b"UCUM");
    let mo = Mo::from_field(rxe.field(3).unwrap());
    assert_eq!(mo.quantity().unwrap().unwrap().as_str(), "10.00");
    assert_eq!(mo.denomination().unwrap().as_bytes(), b"EUR");
    let cp = Cp::from_field(rxe.field(4).unwrap());
    let price = cp.price().unwrap();
    assert_eq!(price.quantity().unwrap().unwrap().to_i64().unwrap(), 5);
    assert_eq!(price.denomination().unwrap().as_bytes(), b"USD");
    assert_eq!(cp.range_from().unwrap().unwrap().as_str(), "1");
    assert_eq!(cp.range_to().unwrap().unwrap().as_str(), "10");
    assert_eq!(cp.range_units().unwrap().identifier().unwrap().as_bytes(), b"d");
    assert_eq!(cp.range_type().unwrap().as_bytes(), b"R");
}

// ---------------------------------------------------------------- coded, identifiers

#[test]
fn cwe_at_field_and_component_level() {
    let msg = Message::parse(
        b"MSH|^~\\&|A\rOBX|1|CWE|1234-5^Glucose^LN^GLU^Gluc^L^2.70^1^Glucose [Mass/volume]^^^^^2.16.840.1.113883.6.1||\"\"\r",
    )
    .unwrap();
    let obx = msg.segment(b"OBX").unwrap();
    let c = Cwe::from_field(obx.field(3).unwrap());
    assert_eq!(c.identifier().unwrap().as_bytes(), b"1234-5");
    assert_eq!(c.text().unwrap().as_bytes(), b"Glucose");
    assert_eq!(c.name_of_alternate_coding_system().unwrap().as_bytes(), b"L");
    assert_eq!(c.coding_system_version_id().unwrap().as_bytes(), b"2.70");
    assert_eq!(c.original_text().unwrap().as_bytes(), b"Glucose [Mass/volume]");
    assert_eq!(c.coding_system_oid().unwrap().as_bytes(), b"2.16.840.1.113883.6.1");
    assert!(c.second_alternate_identifier().is_none());
    assert!(c.value_set_version_id().is_none());
    // The HL7 null is returned, not hidden.
    let null = Cwe::from_field(obx.field(5).unwrap());
    assert!(null.is_null() && null.identifier().unwrap().is_null());
    // Offsets point into the message.
    let id = c.identifier().unwrap();
    assert_eq!(&msg.as_bytes()[id.offset()..id.offset() + id.as_bytes().len()], b"1234-5");
}

#[test]
fn hd_ei_cx() {
    let msg = Message::parse(
        b"MSH|^~\\&|LAB^1.2.3^ISO\rPID|1||123\\T\\4^5^M10^HOSP&2.16.1&ISO^MR^FAC^20200101^20301231^USA^DEPT~^^^SSA^SS~\"\"\rORC|NW|A1^EPIC^1.2^ISO\r",
    )
    .unwrap();
    let hd = Hd::from_field(msg.segment(b"MSH").unwrap().field(3).unwrap());
    assert_eq!(hd.universal_id().unwrap().as_bytes(), b"1.2.3");
    let pid3 = msg.segment(b"PID").unwrap().field(3).unwrap();
    let cx = Cx::new(pid3.repetition(1).unwrap());
    assert_eq!(cx.id_number().unwrap().as_bytes(), b"123\\T\\4");
    assert_eq!(&*cx.id_number().unwrap().to_cow(), b"123&4");
    assert_eq!(cx.identifier_check_digit().unwrap().as_bytes(), b"5");
    assert_eq!(cx.check_digit_scheme().unwrap().as_bytes(), b"M10");
    let aa = cx.assigning_authority().unwrap();
    assert_eq!(
        (aa.namespace_id().unwrap().as_bytes(), aa.universal_id_type().unwrap().as_bytes()),
        (&b"HOSP"[..], &b"ISO"[..])
    );
    assert_eq!(cx.identifier_type_code().unwrap().as_bytes(), b"MR");
    assert_eq!(cx.assigning_facility().unwrap().namespace_id().unwrap().as_bytes(), b"FAC");
    let effective = cx.effective_date().unwrap().unwrap();
    assert_eq!((effective.year(), effective.month(), effective.day()), (2020, Some(1), Some(1)));
    assert_eq!(cx.expiration_date().unwrap().unwrap().year(), 2030);
    assert_eq!(cx.assigning_jurisdiction().unwrap().identifier().unwrap().as_bytes(), b"USA");
    assert_eq!(cx.assigning_agency_or_department().unwrap().identifier().unwrap().as_bytes(), b"DEPT");
    assert!(cx.security_check().is_none());
    let ssn = Cx::new(pid3.repetition(2).unwrap());
    assert!(ssn.id_number().is_none());
    assert_eq!(ssn.assigning_authority().unwrap().namespace_id().unwrap().as_bytes(), b"SSA");
    assert!(ssn.assigning_authority().unwrap().universal_id().is_none());
    assert!(Cx::new(pid3.repetition(3).unwrap()).is_null());
    // HD read from a component directly.
    let hd4 = Hd::from_component(pid3.repetition(1).unwrap().component(4).unwrap());
    assert_eq!(hd4.namespace_id().unwrap().as_bytes(), b"HOSP");

    let ei = Ei::from_field(msg.segment(b"ORC").unwrap().field(2).unwrap());
    assert_eq!(ei.entity_identifier().unwrap().as_bytes(), b"A1");
    assert_eq!(ei.namespace_id().unwrap().as_bytes(), b"EPIC");
    assert_eq!(ei.universal_id_type().unwrap().as_bytes(), b"ISO");
}

#[test]
fn cx_bad_dates_are_typed_errors() {
    let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||1^^^H^MR^^20231301\r").unwrap();
    let cx = Cx::from_field(msg.segment(b"PID").unwrap().field(3).unwrap());
    let e = cx.effective_date().unwrap().unwrap_err();
    assert_eq!(e.kind(), TypeErrorKind::MonthOutOfRange);
    assert_eq!(&msg.as_bytes()[e.offset()..e.offset() + 2], b"13");
}

// ---------------------------------------------------------------- names

#[test]
fn xpn_across_versions() {
    // v2.2 PN-style, v2.3 family&prefix, v2.4+ FN with own surname parts.
    let msg = Message::parse(
        b"MSH|^~\\&|A\rPID|1||||DOE^JOHN^A^III^MR^MD^L^A^B^^G^^^PhD^Johnny~de la Cruz&de la&Cruz&van&Berg^MARIA~^CHER\r",
    )
    .unwrap();
    let pid5 = msg.segment(b"PID").unwrap().field(5).unwrap();
    let a = Xpn::new(pid5.repetition(1).unwrap());
    assert_eq!(a.family().unwrap().as_bytes(), b"DOE");
    assert_eq!(a.second_and_further_given_names().unwrap().as_bytes(), b"A");
    assert_eq!(a.suffix().unwrap().as_bytes(), b"III");
    assert_eq!(a.prefix().unwrap().as_bytes(), b"MR");
    assert_eq!(a.degree().unwrap().as_bytes(), b"MD");
    assert_eq!(a.name_type_code().unwrap().as_bytes(), b"L");
    assert_eq!(a.name_representation_code().unwrap().as_bytes(), b"A");
    assert_eq!(a.name_context().unwrap().identifier().unwrap().as_bytes(), b"B");
    assert_eq!(a.name_assembly_order().unwrap().as_bytes(), b"G");
    assert_eq!(a.professional_suffix().unwrap().as_bytes(), b"PhD");
    assert_eq!(a.called_by().unwrap().as_bytes(), b"Johnny");
    let b = Xpn::new(pid5.repetition(2).unwrap());
    let family: FamilyName = b.family_name().unwrap();
    assert_eq!(family.surname().unwrap().as_bytes(), b"de la Cruz");
    assert_eq!(family.own_surname_prefix().unwrap().as_bytes(), b"de la");
    assert_eq!(family.own_surname().unwrap().as_bytes(), b"Cruz");
    assert_eq!(family.surname_prefix_from_partner().unwrap().as_bytes(), b"van");
    assert_eq!(family.surname_from_partner().unwrap().as_bytes(), b"Berg");
    let c = Xpn::new(pid5.repetition(3).unwrap());
    assert!(c.family_name().is_none() && c.family().is_none());
    assert_eq!(c.given_name().unwrap().as_bytes(), b"CHER");
}

#[test]
fn xcn_and_xon() {
    let msg = Message::parse(
        b"MSH|^~\\&|A\rPV1|1|I||||||9^WELBY^MARCUS^J^JR^DR^MD^T^NPI&1.2&ISO^L^7^M10^NPI^FAC^A^C^^G^^^FACP^J^D\rPD1|||Clinic^L^123^4^M10^AA^XX^F^A^ORG1\r",
    )
    .unwrap();
    let x = Xcn::from_field(msg.segment(b"PV1").unwrap().field(8).unwrap());
    assert_eq!(x.id_number().unwrap().as_bytes(), b"9");
    assert_eq!(x.family().unwrap().as_bytes(), b"WELBY");
    assert_eq!(x.given_name().unwrap().as_bytes(), b"MARCUS");
    assert_eq!(x.source_table().unwrap().as_bytes(), b"T");
    assert_eq!(x.assigning_authority().unwrap().universal_id().unwrap().as_bytes(), b"1.2");
    assert_eq!(x.identifier_type_code().unwrap().as_bytes(), b"NPI");
    assert_eq!(x.assigning_facility().unwrap().namespace_id().unwrap().as_bytes(), b"FAC");
    assert_eq!(x.name_context().unwrap().identifier().unwrap().as_bytes(), b"C");
    assert_eq!(x.professional_suffix().unwrap().as_bytes(), b"FACP");
    assert_eq!(x.assigning_agency_or_department().unwrap().identifier().unwrap().as_bytes(), b"D");
    let o = Xon::from_field(msg.segment(b"PD1").unwrap().field(3).unwrap());
    assert_eq!(o.organization_name().unwrap().as_bytes(), b"Clinic");
    assert_eq!(o.id_number().unwrap().unwrap().to_i64().unwrap(), 123);
    assert_eq!(o.check_digit().unwrap().unwrap().as_str(), "4");
    assert_eq!(o.assigning_authority().unwrap().namespace_id().unwrap().as_bytes(), b"AA");
    assert_eq!(o.identifier_type_code().unwrap().as_bytes(), b"XX");
    assert_eq!(o.organization_identifier().unwrap().as_bytes(), b"ORG1");
}

// ---------------------------------------------------------------- addresses, telecom, location

#[test]
fn xad_xtn_pl() {
    let msg = Message::parse(
        b"MSH|^~\\&|A\rPID|1||||||||||12 Oak Rd^Unit 3^Town^ST^12345-6789^USA^H^^C01^T9^A^^20200101~PO Box 9^^City||^PRN^PH^^1^555^12-34\rPV1|1|I|W1^101^A^H1^O^N^B2^F3^Desc^L1&NS^AA\r",
    )
    .unwrap();
    let pid = msg.segment(b"PID").unwrap();
    let pid11 = pid.field(11).unwrap();
    let home = Xad::new(pid11.repetition(1).unwrap());
    // v2.3-style XAD.1 without subcomponents reads as SAD.1.
    assert_eq!(home.street_address().unwrap().street_or_mailing_address().unwrap().as_bytes(), b"12 Oak Rd");
    assert!(home.street_address().unwrap().street_name().is_none());
    assert_eq!(home.other_designation().unwrap().as_bytes(), b"Unit 3");
    assert_eq!(home.state_or_province().unwrap().as_bytes(), b"ST");
    assert_eq!(home.zip_or_postal_code().unwrap().as_bytes(), b"12345-6789");
    assert_eq!(home.country().unwrap().as_bytes(), b"USA");
    assert_eq!(home.county_parish_code().unwrap().as_bytes(), b"C01");
    assert_eq!(home.census_tract().unwrap().as_bytes(), b"T9");
    assert_eq!(home.effective_date().unwrap().time().unwrap().unwrap().year(), 2020);
    assert_eq!(Xad::new(pid11.repetition(2).unwrap()).city().unwrap().as_bytes(), b"City");

    let tel = Xtn::from_field(pid.field(13).unwrap());
    assert_eq!(tel.telecommunication_use_code().unwrap().as_bytes(), b"PRN");
    assert_eq!(tel.country_code().unwrap().unwrap().as_str(), "1");
    assert_eq!(tel.area_city_code().unwrap().unwrap().as_str(), "555");
    // "12-34" is not NM: a typed error, and the raw text is still there.
    assert_eq!(tel.local_number().unwrap().unwrap_err().kind(), TypeErrorKind::InvalidCharacter);
    assert!(tel.extension().is_none());

    let pl = Pl::from_field(msg.segment(b"PV1").unwrap().field(3).unwrap());
    assert_eq!(pl.room().unwrap().namespace_id().unwrap().as_bytes(), b"101");
    assert_eq!(pl.facility().unwrap().namespace_id().unwrap().as_bytes(), b"H1");
    assert_eq!(pl.location_status().unwrap().as_bytes(), b"O");
    assert_eq!(pl.person_location_type().unwrap().as_bytes(), b"N");
    assert_eq!(pl.building().unwrap().namespace_id().unwrap().as_bytes(), b"B2");
    assert_eq!(pl.floor().unwrap().namespace_id().unwrap().as_bytes(), b"F3");
    assert_eq!(pl.location_description().unwrap().as_bytes(), b"Desc");
    let ei = pl.comprehensive_location_identifier().unwrap();
    assert_eq!(ei.entity_identifier().unwrap().as_bytes(), b"L1");
    assert_eq!(ei.namespace_id().unwrap().as_bytes(), b"NS");
    assert_eq!(pl.assigning_authority_for_location().unwrap().namespace_id().unwrap().as_bytes(), b"AA");
}

// ---------------------------------------------------------------- header, media, text

#[test]
fn msg_pt_vid_ed_rp_text() {
    let msg = Message::parse(
        b"MSH|^~\\&|A|B|C|D|20240101||ORU^R01^ORU_R01|1|D^A|2.7^DEU&Germany^DE27\rOBX|1|ED|x||^TEXT^PLAIN^A^Hello \\F\\ world\rOBX|2|RP|y||http://x/y^APP^IM^PNG\rNTE|1||a\\.br\\b\r",
    )
    .unwrap();
    let msh = msg.segment(b"MSH").unwrap();
    let t = Msg::from_field(msh.field(9).unwrap());
    assert_eq!(
        (t.message_code().unwrap().as_bytes(), t.trigger_event().unwrap().as_bytes()),
        (&b"ORU"[..], &b"R01"[..])
    );
    let pt = Pt::from_field(msh.field(11).unwrap());
    assert_eq!(pt.processing_id().unwrap().as_bytes(), b"D");
    let vid = Vid::from_field(msh.field(12).unwrap());
    assert_eq!(vid.internationalization_code().unwrap().text().unwrap().as_bytes(), b"Germany");
    assert_eq!(vid.international_version_id().unwrap().identifier().unwrap().as_bytes(), b"DE27");

    let ed = Ed::from_field(msg.segment(b"OBX").unwrap().field(5).unwrap());
    assert!(ed.source_application().is_none());
    assert_eq!(ed.type_of_data().unwrap().as_bytes(), b"TEXT");
    assert_eq!(ed.data_subtype().unwrap().as_bytes(), b"PLAIN");
    assert_eq!(&*ed.data().unwrap().to_cow(), b"Hello | world");
    let rp = Rp::from_field(msg.segment_nth(b"OBX", 2).unwrap().field(5).unwrap());
    assert_eq!(rp.pointer().unwrap().as_bytes(), b"http://x/y");
    assert_eq!(rp.type_of_data().unwrap().as_bytes(), b"IM");

    let nte3 = msg.segment(b"NTE").unwrap().field(3).unwrap();
    assert_eq!(St::new(nte3).as_bytes(), b"a\\.br\\b");
    assert!(Ft::new(nte3).unescape().any(|c| c == hl7_core::Chunk::Verbatim(b"\\.br\\")));
    let id = Id::new(msh.field(11).unwrap().component(1).unwrap());
    assert!(id.is(b"D") && !id.is(b"d"));
}

// ---------------------------------------------------------------- PHI

#[test]
fn debug_shows_no_content() {
    let msg = Message::parse(
        b"MSH|^~\\&|A\rPID|1||CANARY1^^^CANARY2^MR||CANARY3^CANARY4||19800101|F|||CANARY5 St^^CANARY6\r",
    )
    .unwrap();
    let pid = msg.segment(b"PID").unwrap();
    let cx = Cx::from_field(pid.field(3).unwrap());
    let xpn = Xpn::from_field(pid.field(5).unwrap());
    let dtm = Dtm::from_value(pid.field(7).unwrap()).unwrap();
    let nm = Nm::parse(b"123456").unwrap();
    let texts = [
        format!("{cx:?} {:?} {:?}", cx.assigning_authority(), cx.id_number()),
        format!("{xpn:?} {:?}", xpn.family_name()),
        format!("{:?}", Xad::from_field(pid.field(11).unwrap())),
        format!("{dtm:?} {:?}", dtm.date()),
        format!("{nm:?}"),
        format!("{:?}", Dtm::parse(b"19801301").unwrap_err()),
        format!("{}", Dtm::parse(b"19801301").unwrap_err()),
    ];
    for t in texts {
        assert!(!t.contains("CANARY") && !t.contains("1980") && !t.contains("123456"), "{t}");
    }
}

// ---------------------------------------------------------------- corpus

#[derive(Default, Debug)]
struct Count {
    values: usize,
    failed: usize,
}

#[derive(Default)]
struct Tally {
    messages: usize,
    unparsed: usize,
    msh7: Count,
    pid7: Count,
    cx: Count,
    xpn: Count,
    xad: Count,
    nm: Count,
    /// (file, what, error kind) for every failure, for the report.
    failures: Vec<(String, &'static str, TypeErrorKind)>,
    /// Values where the parser and the independent oracle disagree.
    disagreements: Vec<String>,
}

fn note(
    c: &mut Count,
    failures: &mut Vec<(String, &'static str, TypeErrorKind)>,
    file: &str,
    what: &'static str,
    r: Result<(), hl7_core::types::TypeError>,
) {
    c.values += 1;
    if let Err(e) = r {
        c.failed += 1;
        failures.push((file.to_owned(), what, e.kind()));
    }
}

/// An independent reading of the DTM grammar (string splitting instead of a digit scanner), used
/// to check that the parser refuses exactly the values that are invalid.
fn oracle_dtm(raw: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(raw) else { return false };
    let (main, zone) = match s.len().checked_sub(5).and_then(|i| s.get(i..).map(|z| (i, z))) {
        Some((i, z)) if z.starts_with(['+', '-']) => (&s[..i], Some(&z[1..])),
        _ => (s, None),
    };
    if let Some(z) = zone {
        let ok = z.bytes().all(|b| b.is_ascii_digit()) && {
            let (h, m): (u32, u32) = (z[..2].parse().unwrap(), z[2..].parse().unwrap());
            m < 60 && h * 60 + m <= 14 * 60
        };
        if !ok {
            return false;
        }
    }
    let (digits, frac) = match main.split_once('.') {
        Some((d, f)) => (d, Some(f)),
        None => (main, None),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) || ![4, 6, 8, 10, 12, 14].contains(&digits.len()) {
        return false;
    }
    if let Some(f) = frac {
        if digits.len() != 14 || f.is_empty() || f.len() > 9 || !f.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).map(|x| x.parse::<u32>().unwrap());
    let year = num(0..4).unwrap();
    let leap = year % 400 == 0 || (year % 4 == 0 && year % 100 != 0);
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let month = num(4..6);
    year > 0
        && month.is_none_or(|m| (1..=12).contains(&m))
        && num(6..8).is_none_or(|d| d >= 1 && d <= month_days[month.unwrap() as usize - 1])
        && num(8..10).is_none_or(|h| h < 24)
        && num(10..12).is_none_or(|m| m < 60)
        && num(12..14).is_none_or(|sec| sec < 60)
}

/// An independent reading of the NM grammar.
fn oracle_nm(raw: &[u8]) -> bool {
    let Ok(s) = std::str::from_utf8(raw) else { return false };
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let mut parts = body.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next().unwrap_or("");
    let digits_only = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    digits_only(int) && digits_only(frac) && !(int.is_empty() && frac.is_empty())
}

/// Parser and oracle disagree on `raw`: remember where (file and what, never the value).
fn compare(disagreements: &mut Vec<String>, file: &str, what: &str, parsed_ok: bool, oracle_ok: bool) {
    if parsed_ok != oracle_ok {
        disagreements.push(format!("{what} in {file}: parser {parsed_ok}, oracle {oracle_ok}"));
    }
}

/// Runs every typed accessor of the datatypes under test; the scalar results are checked.
fn check_message(msg: &Message<'_>, file: &str, t: &mut Tally) {
    let Tally { msh7, pid7, cx, xpn, xad, nm, failures, disagreements, .. } = t;
    if let Some(f) = msg.segment(b"MSH").and_then(|s| s.field(7)).filter(|f| !f.is_empty()) {
        let r = Ts::from_field(f).time().map_or(Ok(()), |r| {
            r.map(|d| {
                let _ = (d.precision(), d.offset());
            })
        });
        let raw = f.component(1).unwrap().as_bytes();
        compare(disagreements, file, "MSH-7", r.is_ok(), raw.is_empty() || oracle_dtm(raw));
        note(msh7, failures, file, "MSH-7", r);
    }
    for pid in msg.segments().filter(|s| s.id() == b"PID") {
        if let Some(f) = pid.field(7).filter(|f| !f.is_empty()) {
            let r = Ts::from_field(f).time().map_or(Ok(()), |r| {
                r.map(|d| {
                    let _ = d.date();
                })
            });
            let raw = f.component(1).unwrap().as_bytes();
            compare(disagreements, file, "PID-7", r.is_ok(), raw.is_empty() || oracle_dtm(raw));
            note(pid7, failures, file, "PID-7", r);
        }
        for rep in pid.field(3).into_iter().flat_map(|f| f.repetitions()).filter(|r| !r.is_empty()) {
            let v = Cx::new(rep);
            let _ = (
                v.id_number(),
                v.identifier_type_code(),
                v.assigning_jurisdiction(),
                v.assigning_agency_or_department(),
            );
            let _ = v.assigning_authority().map(|h| (h.namespace_id(), h.universal_id(), h.universal_id_type()));
            let r = [v.effective_date(), v.expiration_date()].into_iter().flatten().try_for_each(|d| d.map(|_| ()));
            note(cx, failures, file, "PID-3 CX", r);
        }
        for rep in pid.field(5).into_iter().flat_map(|f| f.repetitions()).filter(|r| !r.is_empty()) {
            let v = Xpn::new(rep);
            let _ = (v.family(), v.given_name(), v.name_type_code(), v.name_context());
            let _ = v.name_validity_range().map(|d| d.range_start().map(|s| s.time()));
            let r = [v.effective_date(), v.expiration_date()]
                .into_iter()
                .flatten()
                .filter_map(|ts| ts.time())
                .try_for_each(|d| d.map(|_| ()));
            note(xpn, failures, file, "PID-5 XPN", r);
        }
        for rep in pid.field(11).into_iter().flat_map(|f| f.repetitions()).filter(|r| !r.is_empty()) {
            let v = Xad::new(rep);
            let _ = (v.street_address().map(|s| s.street_or_mailing_address()), v.city(), v.zip_or_postal_code());
            let r = [v.effective_date(), v.expiration_date()]
                .into_iter()
                .flatten()
                .filter_map(|ts| ts.time())
                .try_for_each(|d| d.map(|_| ()));
            note(xad, failures, file, "PID-11 XAD", r);
        }
    }
    for obx in msg.segments().filter(|s| s.id() == b"OBX") {
        if obx.field(2).is_some_and(|f| f.as_bytes() == b"NM") {
            for rep in obx.field(5).into_iter().flat_map(|f| f.repetitions()).filter(|r| !r.is_empty()) {
                let r = Nm::from_value(rep).map(|n| {
                    let _ = (n.to_f64(), n.is_integer());
                });
                compare(disagreements, file, "OBX-5 NM", r.is_ok(), oracle_nm(rep.as_bytes()));
                note(nm, failures, file, "OBX-5 NM", r);
            }
        }
    }
}

#[test]
fn shared_corpus_datatypes() {
    let Some(root) = common::shared_dir("corpus") else { return };
    let index = std::fs::read_to_string(root.join("index.tsv")).unwrap();
    let mut t = Tally::default();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(file), Some(role)) = (cols.get(2), cols.get(3)) else { continue };
        if !matches!(*role, "message" | "message(split)" | "malformed") {
            continue;
        }
        let bytes = std::fs::read(root.join(file)).unwrap();
        match Message::parse(&bytes) {
            Ok(msg) => {
                t.messages += 1;
                check_message(&msg, file, &mut t);
            }
            Err(_) => t.unparsed += 1,
        }
    }
    eprintln!("types corpus: {} messages ({} did not parse)", t.messages, t.unparsed);
    for (name, c) in [
        ("MSH-7 DTM", &t.msh7),
        ("PID-7 DTM", &t.pid7),
        ("PID-3 CX", &t.cx),
        ("PID-5 XPN", &t.xpn),
        ("PID-11 XAD", &t.xad),
        ("OBX-5 NM", &t.nm),
    ] {
        eprintln!("  {name:<11} {:>5} values, {:>3} failed", c.values, c.failed);
    }
    for (file, what, kind) in &t.failures {
        eprintln!("  failed: {what} in {file}: {kind}");
    }
    // Every refusal was inspected: placeholders (`DeIdentified`), year 0000, 16- to 24-digit
    // stamps, day 52, units in an NM. The oracle must agree on every value, valid or not.
    assert!(t.disagreements.is_empty(), "parser and oracle disagree: {:#?}", t.disagreements);
    assert!(t.messages > 700, "corpus too small: {}", t.messages);
    assert!(t.msh7.values > 700 && t.pid7.values > 300 && t.nm.values > 50);
}

// ---------------------------------------------------------------- no panics on any input

mod arbitrary_input {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn scalars_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            for e in [Dtm::parse(&bytes).err(), Dt::parse(&bytes).err(), Tm::parse(&bytes).err()].into_iter().flatten() {
                prop_assert!(e.offset() <= bytes.len());
            }
            if let Ok(n) = Nm::parse(&bytes) {
                let _ = (n.to_f64(), n.to_i64());
            }
        }

        #[test]
        fn valid_looking_stamps_render(s in "[0-9]{4}([0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2}(\\.[0-9]{1,9})?)?)?)?)?)?([+-][0-9]{4})?") {
            prop_assert_eq!(Dtm::parse(s.as_bytes()).is_ok(), oracle_dtm(s.as_bytes()));
            if let Ok(t) = Dtm::parse(s.as_bytes()) {
                prop_assert_eq!(format!("{:04}", t.year()), &s[..4]);
            }
        }
    }
}
