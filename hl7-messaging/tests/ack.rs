//! ACK/NAK building: one named test per case of RELIABILITY.md "ACK cases", a PHI canary, and
//! acknowledgments of every corpus message parsing back.

use std::path::{Path, PathBuf};

mod common;
use common::files_under;

use hl7_core::Message;
use hl7_messaging::ack::{
    acknowledge, acknowledge_as_asked, acknowledge_message, acknowledge_with, Ack, AckCode, AckCondition, AckError,
    AckErrorCode, AckKind, AckMode, AckOptions, AckRefusal, ErrorSeverity, HostReport,
};

const ADT: &[u8] = b"MSH|^~\\&|LAB|HOSP|EHR|CLINIC|20240101120000||ADT^A01^ADT_A01|CTRL0001|P|2.5.1\r\
EVN|A01|20240101120000\r\
PID|1||TEST0000001^^^HOSP^MR||TESTPATIENT^ALPHA\r";

fn options() -> AckOptions<'static> {
    AckOptions::new("ACK0001", "20240101120005")
}

fn application(incoming: &[u8], errors: &[AckError]) -> Ack {
    acknowledge(incoming, AckKind::Application, errors, &options()).unwrap()
}

/// The decoded value at `path` in the acknowledgment, which must parse.
fn get(ack: &Ack, path: &str) -> Option<Vec<u8>> {
    let bytes = ack.to_bytes();
    let msg = Message::parse(&bytes).expect("an acknowledgment parses");
    msg.query(path).unwrap().map(|v| v.to_cow().into_owned())
}

fn raw(ack: &Ack, path: &str) -> Option<Vec<u8>> {
    let bytes = ack.to_bytes();
    let msg = Message::parse(&bytes).unwrap();
    msg.query(path).unwrap().map(|v| v.as_bytes().to_vec())
}

fn text(ack: &Ack, path: &str) -> String {
    String::from_utf8(get(ack, path).unwrap_or_default()).unwrap()
}

fn with_msh(fields: &str) -> Vec<u8> {
    format!("MSH|^~\\&|{fields}\rPID|1||TEST0000001\r").into_bytes()
}

fn segment_ids(ack: &Ack) -> Vec<String> {
    ack.message.segments().map(|s| String::from_utf8_lossy(&s[..3]).into_owned()).collect()
}

fn assert_err(ack: &Ack, n: usize, location: &str, code: &str, text_: &str, severity: &str) {
    let err = format!("ERR[{n}]");
    assert_eq!(raw(ack, &format!("{err}-2")).unwrap(), location.as_bytes(), "ERR-2");
    assert_eq!(raw(ack, &format!("{err}-3")).unwrap(), format!("{code}^{text_}^HL70357").as_bytes(), "ERR-3");
    assert_eq!(text(ack, &format!("{err}-4")), severity, "ERR-4");
    assert_eq!(raw(ack, &format!("{err}-1")).unwrap(), b"", "no ERR-1 from v2.5 on");
}

#[test]
fn original_mode_aa_echoes_control_id_and_swaps_sender_and_receiver() {
    let ack = application(ADT, &[]);
    assert_eq!(ack.code, AckCode::ApplicationAccept);
    assert_eq!(text(&ack, "MSH-3"), "EHR");
    assert_eq!(text(&ack, "MSH-4"), "CLINIC");
    assert_eq!(text(&ack, "MSH-5"), "LAB");
    assert_eq!(text(&ack, "MSH-6"), "HOSP");
    assert_eq!(text(&ack, "MSH-7"), "20240101120005");
    assert_eq!(text(&ack, "MSH-10"), "ACK0001");
    assert_eq!(text(&ack, "MSA-1"), "AA");
    assert_eq!(text(&ack, "MSA-2"), "CTRL0001");
    assert_eq!(get(&ack, "MSA-3"), None);
    assert_eq!(segment_ids(&ack), ["MSH", "MSA"]);
}

#[test]
fn hd_components_are_swapped_whole() {
    let ack = application(&with_msh("LAB^1.2.3^ISO|HOSP^2.3.4^ISO|EHR|CLINIC|||ORU^R01|C1|P|2.5.1"), &[]);
    assert_eq!(raw(&ack, "MSH-5").unwrap(), b"LAB^1.2.3^ISO");
    assert_eq!(raw(&ack, "MSH-6").unwrap(), b"HOSP^2.3.4^ISO");
    assert_eq!(raw(&ack, "MSH-3").unwrap(), b"EHR");
}

#[test]
fn msh9_is_ack_trigger_ack() {
    let ack = application(ADT, &[]);
    assert_eq!(raw(&ack, "MSH-9").unwrap(), b"ACK^A01^ACK");
    let ack = application(&with_msh("A|B|C|D|||ORU^R01|C1|P|2.5.1"), &[]);
    assert_eq!(raw(&ack, "MSH-9").unwrap(), b"ACK^R01^ACK");
}

#[test]
fn msh9_has_two_components_before_v231() {
    let ack = application(&with_msh("A|B|C|D|||ORM^O01|C1|P|2.3"), &[]);
    assert_eq!(raw(&ack, "MSH-9").unwrap(), b"ACK^O01");
}

#[test]
fn version_and_processing_id_are_echoed() {
    let ack = application(&with_msh("A|B|C|D|||ADT^A08|C1|T^A|2.5.1^USA&&ISO3166||||||UNICODE UTF-8"), &[]);
    assert_eq!(raw(&ack, "MSH-11").unwrap(), b"T^A");
    assert_eq!(raw(&ack, "MSH-12").unwrap(), b"2.5.1^USA&&ISO3166");
    assert_eq!(raw(&ack, "MSH-18").unwrap(), b"UNICODE UTF-8");
}

#[test]
fn encoding_characters_are_echoed() {
    let input = b"MSH#!@%*#LAB#HOSP#EHR#CLINIC###ADT!A01#C!1#P#2.5.1\rPID#1\r";
    let ack = application(input, &[]);
    let bytes = ack.to_bytes();
    assert!(bytes.starts_with(b"MSH#!@%*#EHR#CLINIC#LAB#HOSP#20240101120005##ACK!A01!ACK#ACK0001#P#2.5.1\r"));
    assert_eq!(raw(&ack, "MSA-2").unwrap(), b"C!1");
    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(msg.delimiters(), Message::parse(input).unwrap().delimiters());

    // The v2.7 truncation character too.
    let ack = application(b"MSH|^~\\&#|A|B|C|D|||ORU^R01|C1|P|2.7\r", &[]);
    assert!(ack.to_bytes().starts_with(b"MSH|^~\\&#|C|D|A|B|"));
}

#[test]
fn echoed_values_are_escaped() {
    let input = b"MSH|^~\\&|LAB\\T\\X|HOSP|EHR|CLINIC|||ADT^A\\F\\01|C\\S\\1\\R\\2|P|2.5.1\rPID|1\r";
    let ack = application(input, &[]);
    assert_eq!(raw(&ack, "MSH-5").unwrap(), b"LAB\\T\\X");
    assert_eq!(get(&ack, "MSH-5").unwrap(), b"LAB&X");
    assert_eq!(raw(&ack, "MSH-9").unwrap(), b"ACK^A\\F\\01^ACK");
    assert_eq!(raw(&ack, "MSA-2").unwrap(), b"C\\S\\1\\R\\2");
    assert_eq!(get(&ack, "MSA-2").unwrap(), b"C^1~2");
    // A header value that holds a line break (a joined continuation line) is escaped, not copied.
    let input = b"MSH|^~\\&|LAB|HOSP|EHR|CLINIC|||ADT^A01|C1\nwrapped|P|2.5.1\rPID|1\r";
    let ack = application(input, &[]);
    assert_eq!(raw(&ack, "MSA-2").unwrap(), b"C1\\X0A\\wrapped");
    assert_eq!(Message::parse(&ack.to_bytes()).unwrap().segment_count(), 2);
}

fn reject_case(options: &AckOptions<'_>, code: &str, text_: &str, location: &str) {
    let ack = acknowledge(ADT, AckKind::Application, &[], options).unwrap();
    assert_eq!(ack.code, AckCode::ApplicationReject);
    assert_eq!(text(&ack, "MSA-1"), "AR");
    assert_eq!(text(&ack, "MSA-2"), "CTRL0001");
    assert_err(&ack, 1, location, code, text_, "E");
    assert_eq!(get(&ack, "ERR[2]"), None);
}

#[test]
fn ar_for_unsupported_version_203() {
    let mut o = options();
    o.versions = &["2.3", "2.4"];
    reject_case(&o, "203", "Unsupported version id", "MSH^1^12^1^1");
    o.versions = &["2.5.1"];
    assert_eq!(acknowledge(ADT, AckKind::Application, &[], &o).unwrap().code, AckCode::ApplicationAccept);
}

#[test]
fn ar_for_unsupported_message_type_200() {
    let mut o = options();
    o.message_types = &["ORU"];
    reject_case(&o, "200", "Unsupported message type", "MSH^1^9^1^1");
}

#[test]
fn ar_for_unsupported_event_201() {
    let mut o = options();
    o.events = &["A04", "A08"];
    reject_case(&o, "201", "Unsupported event code", "MSH^1^9^1^2");
}

#[test]
fn ar_for_unsupported_processing_id_202() {
    let mut o = options();
    o.processing_ids = &["T"];
    reject_case(&o, "202", "Unsupported processing id", "MSH^1^11^1^1");
}

#[test]
fn ar_when_the_caller_reports_a_reject_code() {
    let ack = application(ADT, &[AckError::new(AckErrorCode::UnsupportedVersionId).at("MSH-12".parse().unwrap())]);
    assert_eq!(ack.code, AckCode::ApplicationReject);
    assert_err(&ack, 1, "MSH^1^12^1", "203", "Unsupported version id", "E");
}

fn error_case(code: AckErrorCode, location: &str, expected_location: &str, number: &str, text_: &str) {
    let e = AckError::new(code).at(location.parse().unwrap());
    let ack = application(ADT, &[e]);
    assert_eq!(ack.code, AckCode::ApplicationError);
    assert_eq!(text(&ack, "MSA-1"), "AE");
    assert_eq!(text(&ack, "MSA-2"), "CTRL0001");
    assert_eq!(get(&ack, "MSA-3"), None, "v2.5+: the text is in ERR-3");
    assert_eq!(segment_ids(&ack), ["MSH", "MSA", "ERR"]);
    assert_err(&ack, 1, expected_location, number, text_, "E");
}

#[test]
fn ae_for_missing_required_field_101() {
    error_case(AckErrorCode::RequiredFieldMissing, "PID-3", "PID^1^3^1", "101", "Required field missing");
}

#[test]
fn ae_for_data_type_error_102() {
    error_case(AckErrorCode::DataTypeError, "PID-7[1].1", "PID^1^7^1^1", "102", "Data type error");
}

#[test]
fn ae_for_table_value_not_found_103() {
    error_case(AckErrorCode::TableValueNotFound, "PID-8", "PID^1^8^1", "103", "Table value not found");
}

#[test]
fn ae_for_value_too_long_104() {
    error_case(AckErrorCode::ValueTooLong, "PID-5[2].1.2", "PID^1^5^2^1^2", "104", "Value too long");
}

#[test]
fn ae_for_segment_sequence_error_100() {
    error_case(AckErrorCode::SegmentSequenceError, "OBX[2]", "OBX^2", "100", "Segment sequence error");
}

#[test]
fn several_errors_give_several_err_segments() {
    let errors = [
        AckError::new(AckErrorCode::RequiredFieldMissing).at("PID-3".parse().unwrap()),
        AckError::new(AckErrorCode::ValueTooLong).with_severity(ErrorSeverity::Warning),
    ];
    let ack = application(ADT, &errors);
    assert_eq!(ack.code, AckCode::ApplicationError);
    assert_err(&ack, 1, "PID^1^3^1", "101", "Required field missing", "E");
    assert_err(&ack, 2, "", "104", "Value too long", "W");
}

#[test]
fn warnings_alone_give_aa_with_err() {
    let w = AckError::new(AckErrorCode::TableValueNotFound)
        .at("PID-8".parse().unwrap())
        .with_severity(ErrorSeverity::Warning);
    let i = AckError::new(AckErrorCode::ValueTooLong).with_severity(ErrorSeverity::Information);
    let ack = application(ADT, &[w, i]);
    assert_eq!(ack.code, AckCode::ApplicationAccept);
    assert_err(&ack, 1, "PID^1^8^1", "103", "Table value not found", "W");
    assert_err(&ack, 2, "", "104", "Value too long", "I");
}

#[test]
fn err1_before_v25() {
    for version in ["2.3", "2.3.1", "2.4"] {
        let input = with_msh(&format!("A|B|C|D|||ADT^A01|C1|P|{version}"));
        let e = AckError::new(AckErrorCode::RequiredFieldMissing).at("PID-3".parse().unwrap());
        let ack = application(&input, &[e]);
        assert_eq!(ack.code, AckCode::ApplicationError, "{version}");
        assert_eq!(raw(&ack, "ERR-1").unwrap(), b"PID^1^3^101&Required field missing&HL70357", "{version}");
        assert_eq!(get(&ack, "ERR-2"), None, "{version}");
        assert_eq!(get(&ack, "ERR-3"), None, "{version}");
        assert_eq!(get(&ack, "ERR-4"), None, "{version}");
        assert_eq!(text(&ack, "MSA-3"), "Required field missing", "{version}: fixed text of table 0357");
    }
    // Without a location, and without a subcomponent separator (MSH-2 of three characters).
    let ack =
        application(b"MSH|^~\\|A|B|C|D|||ADT^A01|C1|P|2.3\rPID|1\r", &[AckError::new(AckErrorCode::DataTypeError)]);
    assert_eq!(raw(&ack, "ERR-1").unwrap(), b"^^^102");
}

#[test]
fn err_2_3_4_from_v25() {
    for version in ["2.5", "2.5.1", "2.6", "2.7", "2.8", "2.9.1"] {
        let input = with_msh(&format!("A|B|C|D|||ADT^A01|C1|P|{version}"));
        let e = AckError::new(AckErrorCode::DataTypeError).at("PID[1]-7".parse().unwrap());
        let ack = application(&input, &[e]);
        assert_err(&ack, 1, "PID^1^7^1", "102", "Data type error", "E");
        assert_eq!(get(&ack, "MSA-3"), None, "{version}");
    }
}

#[test]
fn empty_msh10_is_ar_with_err_101() {
    for fields in ["A|B|C|D|||ADT^A01||P|2.5.1", "A|B|C|D|||ADT^A01"] {
        let ack = application(&with_msh(fields), &[]);
        assert_eq!(ack.code, AckCode::ApplicationReject, "{fields}");
        assert_eq!(raw(&ack, "MSA-2").unwrap(), b"", "{fields}");
        assert_err(&ack, 1, "MSH^1^10^1", "101", "Required field missing", "E");
    }
}

#[test]
fn never_an_ack_to_an_ack() {
    for input in [
        &b"MSH|^~\\&|A|B|C|D|||ACK^A01^ACK|9|P|2.5.1\rMSA|AA|1\r"[..],
        b"MSH|^~\\&|A|B|C|D|||ACK|9|P|2.3\rMSA|AE|1\r",
        b"MSH|^~\\&|A|B|C|D|||ack^R01|9|P|2.5\rMSA|AA|1\r",
    ] {
        for kind in [AckKind::Application, AckKind::Accept { committed: true }, AckKind::Accept { committed: false }] {
            assert_eq!(acknowledge(input, kind, &[], &options()).unwrap_err(), AckRefusal::IncomingIsAck);
        }
    }
}

#[test]
fn unparseable_msh_gives_minimal_ar_with_default_delimiters() {
    for (input, code, location) in [
        (&b""[..], "100", "MSH^1"),
        (b"MSHH0\r", "102", "MSH^1^1^1"),
        (b"PID|1||123\r", "100", "MSH^1"),
        (b"MSH|^^|A|B\r", "102", "MSH^1^2^1"),
        (b"MSH|^|||||||^A|||2.2\r^AA", "102", "MSH^1^2^1"),
    ] {
        let ack = application(input, &[]);
        assert_eq!(ack.code, AckCode::ApplicationReject);
        let bytes = ack.to_bytes();
        assert!(bytes.starts_with(b"MSH|^~\\&|||||20240101120005||ACK^^ACK|ACK0001|P|2.5\r"), "{input:?}");
        assert_eq!(text(&ack, "MSA-1"), "AR");
        assert_eq!(raw(&ack, "MSA-2").unwrap(), b"");
        assert_err(
            &ack,
            1,
            location,
            code,
            if code == "100" { "Segment sequence error" } else { "Data type error" },
            "E",
        );
    }
    // Another fallback version: the ERR form follows it.
    let mut o = options();
    o.fallback_version = "2.3";
    let ack = acknowledge(b"MSHH0", AckKind::Application, &[], &o).unwrap();
    assert_eq!(text(&ack, "MSH-12"), "2.3");
    assert_eq!(raw(&ack, "MSH-9").unwrap(), b"ACK");
    assert_eq!(raw(&ack, "ERR-1").unwrap(), b"MSH^1^1^102&Data type error&HL70357");
}

fn enhanced(accept: &str, application: &str) -> Vec<u8> {
    with_msh(&format!("LAB|HOSP|EHR|CLINIC|||ADT^A01|C1|P|2.5.1|||{accept}|{application}"))
}

#[test]
fn enhanced_ca_only_after_commit() {
    let input = enhanced("AL", "NE");
    let ack = acknowledge(&input, AckKind::Accept { committed: true }, &[], &options()).unwrap();
    assert_eq!(ack.code, AckCode::CommitAccept);
    assert_eq!(text(&ack, "MSA-1"), "CA");
    assert_eq!(text(&ack, "MSA-2"), "C1");
    assert_eq!(get(&ack, "MSH-15"), None, "the acknowledgment asks for no acknowledgment");
}

#[test]
fn enhanced_ce_when_commit_failed() {
    let input = enhanced("AL", "AL");
    let ack = acknowledge(&input, AckKind::Accept { committed: false }, &[], &options()).unwrap();
    assert_eq!(ack.code, AckCode::CommitError);
    assert_eq!(text(&ack, "MSA-1"), "CE");
    let e = AckError::new(AckErrorCode::ApplicationInternalError);
    let ack = acknowledge(&input, AckKind::Accept { committed: true }, &[e], &options()).unwrap();
    assert_eq!(ack.code, AckCode::CommitError, "an error means no CA even when the commit call returned");
    assert_err(&ack, 1, "", "207", "Application internal error", "E");
}

#[test]
fn enhanced_cr_for_unsupported_header() {
    let mut o = options();
    o.versions = &["2.3"];
    let ack = acknowledge(&enhanced("AL", "AL"), AckKind::Accept { committed: true }, &[], &o).unwrap();
    assert_eq!(ack.code, AckCode::CommitReject);
    assert_err(&ack, 1, "MSH^1^12^1^1", "203", "Unsupported version id", "E");
}

#[test]
fn enhanced_accept_ack_follows_msh15() {
    let ok = AckKind::Accept { committed: true };
    let failed = AckKind::Accept { committed: false };
    for (condition, on_success, on_error) in
        [("AL", true, true), ("NE", false, false), ("ER", false, true), ("SU", true, false)]
    {
        let input = enhanced(condition, "AL");
        let sent = |kind| match acknowledge(&input, kind, &[], &options()) {
            Ok(_) => true,
            Err(AckRefusal::NotRequired) => false,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(sent(ok), on_success, "MSH-15 {condition}, CA");
        assert_eq!(sent(failed), on_error, "MSH-15 {condition}, CE");
    }
}

#[test]
fn enhanced_application_ack_follows_msh16() {
    let error = [AckError::new(AckErrorCode::RequiredFieldMissing)];
    for (condition, on_success, on_error) in
        [("AL", true, true), ("NE", false, false), ("ER", false, true), ("SU", true, false)]
    {
        let input = enhanced("AL", condition);
        let sent = |errors: &[AckError]| match acknowledge(&input, AckKind::Application, errors, &options()) {
            Ok(ack) => {
                assert_eq!(ack.code.is_positive(), errors.is_empty());
                true
            }
            Err(AckRefusal::NotRequired) => false,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(sent(&[]), on_success, "MSH-16 {condition}, AA");
        assert_eq!(sent(&error), on_error, "MSH-16 {condition}, AE");
    }
}

#[test]
fn enhanced_mode_reads_empty_or_unknown_conditions_as_always() {
    let input = enhanced("", "SU");
    let msg = Message::parse(&input).unwrap();
    assert_eq!(
        AckMode::of(&msg),
        AckMode::Enhanced { accept: AckCondition::Always, application: AckCondition::OnSuccess }
    );
    let input = enhanced("XX", "");
    let msg = Message::parse(&input).unwrap();
    assert_eq!(
        AckMode::of(&msg),
        AckMode::Enhanced { accept: AckCondition::Always, application: AckCondition::Always }
    );
}

#[test]
fn original_mode_has_no_accept_ack() {
    let r = acknowledge(ADT, AckKind::Accept { committed: true }, &[], &options());
    assert_eq!(r.unwrap_err(), AckRefusal::NotRequired);
}

/// The codes of the acknowledgments [`acknowledge_as_asked`] writes, and their control ids.
fn as_asked(input: &[u8], report: &HostReport<'_>) -> Vec<(AckCode, String)> {
    let msg = Message::parse(input).unwrap();
    let mut n = 0;
    let acks = acknowledge_as_asked(&msg, report, &options(), || {
        n += 1;
        format!("ID{n}")
    })
    .unwrap();
    acks.iter().map(|a| (a.code, text(a, "MSH-10"))).collect()
}

#[test]
fn as_asked_enhanced_al_ne_gives_a_commit_ack_only() {
    // The case `hl7rs ack` refused with NotRequired: the sender asks for a commit ACK only.
    assert_eq!(as_asked(&enhanced("AL", "NE"), &HostReport::accepted()), [(AckCode::CommitAccept, "ID1".into())]);
    let internal = [AckError::new(AckErrorCode::ApplicationInternalError)];
    assert_eq!(
        as_asked(&enhanced("AL", "NE"), &HostReport::with_errors(&internal)),
        [(AckCode::CommitAccept, "ID1".into())]
    );
}

#[test]
fn as_asked_enhanced_al_er_adds_the_application_ack_on_error_only() {
    assert_eq!(as_asked(&enhanced("AL", "ER"), &HostReport::accepted()), [(AckCode::CommitAccept, "ID1".into())]);
    let internal = [AckError::new(AckErrorCode::ApplicationInternalError)];
    assert_eq!(
        as_asked(&enhanced("AL", "ER"), &HostReport::with_errors(&internal)),
        [(AckCode::CommitAccept, "ID1".into()), (AckCode::ApplicationError, "ID2".into())]
    );
    assert_eq!(
        as_asked(&enhanced("AL", "ER"), &HostReport::rejected()),
        [(AckCode::CommitAccept, "ID1".into()), (AckCode::ApplicationReject, "ID2".into())]
    );
}

#[test]
fn as_asked_enhanced_ne_ne_gives_nothing() {
    assert_eq!(as_asked(&enhanced("NE", "NE"), &HostReport::accepted()), []);
    assert_eq!(as_asked(&enhanced("NE", "SU"), &HostReport::rejected()), []);
}

#[test]
fn as_asked_commit_error_when_not_committed() {
    let mut report = HostReport::accepted();
    report.committed = false;
    assert_eq!(as_asked(&enhanced("ER", "NE"), &report), [(AckCode::CommitError, "ID1".into())]);
}

#[test]
fn as_asked_original_mode_is_the_application_ack() {
    assert_eq!(as_asked(ADT, &HostReport::accepted()), [(AckCode::ApplicationAccept, "ID1".into())]);
    let msg = Message::parse(ADT).unwrap();
    let acks = acknowledge_as_asked(&msg, &HostReport::rejected(), &options(), || "ID".into()).unwrap();
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].code, AckCode::ApplicationReject);
    assert_eq!(text(&acks[0], "MSA-2"), "CTRL0001");
    assert_eq!(segment_ids(&acks[0]), ["MSH", "MSA"], "a host reject has no ERR of its own");
}

#[test]
fn as_asked_never_acknowledges_an_ack() {
    let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|||ACK^A01^ACK|9|P|2.5|||AL|AL\rMSA|AA|1\r").unwrap();
    let r = acknowledge_as_asked(&msg, &HostReport::accepted(), &options(), String::new);
    assert_eq!(r.unwrap_err(), AckRefusal::IncomingIsAck);
}

#[test]
fn as_asked_header_checks_still_reject() {
    let mut o = options();
    o.versions = &["2.3"];
    let input = enhanced("AL", "AL");
    let msg = Message::parse(&input).unwrap();
    let acks = acknowledge_as_asked(&msg, &HostReport::accepted(), &o, String::new).unwrap();
    let codes: Vec<_> = acks.iter().map(|a| a.code).collect();
    assert_eq!(codes, [AckCode::CommitReject, AckCode::ApplicationReject]);
}

#[test]
fn input_over_the_callers_limits_gets_the_minimal_ar_104() {
    let mut parse = hl7_core::ParseOptions::default();
    parse.limits.max_segments = 2;
    let ack = acknowledge_with(ADT, &parse, AckKind::Application, &[], &options()).unwrap();
    assert_eq!(ack.code, AckCode::ApplicationReject);
    assert_eq!(text(&ack, "MSA-2"), "", "nothing is echoed from input that was not read");
    assert_eq!(text(&ack, "ERR-3.1"), "104");
    parse.limits.max_segments = 3;
    assert_eq!(
        acknowledge_with(ADT, &parse, AckKind::Application, &[], &options()).unwrap().code,
        AckCode::ApplicationAccept
    );
}

#[test]
fn acknowledge_message_takes_a_parsed_message() {
    let msg = Message::parse(ADT).unwrap();
    let ack = acknowledge_message(&msg, AckKind::Application, &[], &options()).unwrap();
    assert_eq!(ack, application(ADT, &[]));
}

/// PHI canary. Every field, repetition, component and subcomponent holds the token, except the
/// header fields an acknowledgment must echo: MSH-3 to MSH-6 (application and facility ids, swapped),
/// MSH-9 (the trigger is echoed), MSH-10 (echoed into MSA-2), MSH-11, MSH-12 and MSH-18. MSH-15/16
/// hold the token in the enhanced variant (unknown conditions read as AL). Every acknowledgment kind
/// and every error code is triggered; no acknowledgment, refusal or Debug text may hold the token.
#[test]
fn phi_canary_never_reaches_an_acknowledgment() {
    const TOKEN: &str = "CANARY";
    let c = "CANARY^CANARY&CANARY~CANARY";
    let body = format!(
        "EVN|{c}|{c}|{c}\rPID|{c}|{c}|{c}|{c}|{c}|{c}|{c}|{c}|{c}|{c}|{c}|{c}|{c}\r\
         NK1|{c}|{c}|{c}\rPV1|{c}|{c}|{c}\rOBX|{c}|{c}|{c}|{c}|{c}\rNTE|{c}|{c}|{c}\rZPD|{c}|{c}|{c}\r"
    );
    let enhanced_conditions = format!("{TOKEN}|{TOKEN}");
    let variants = [
        // version, MSH-15/16, control id
        ("2.5.1", "|", "CTRL1"),
        ("2.4", "|", "CTRL1"),
        ("2.3", "|", "CTRL1"),
        ("2.5.1", enhanced_conditions.as_str(), "CTRL1"),
        ("2.5.1", "|", ""),
    ];
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for (version, conditions, control) in variants {
        inputs.push(
            format!(
                "MSH|^~\\&|LAB|HOSP|EHR|CLINIC|{c}|{c}|ADT^A01^ADT_A01|{control}|P|{version}|{c}|{c}|{conditions}|{c}|UNICODE UTF-8|{c}|{c}|{c}|{c}\r{body}"
            )
            .into_bytes(),
        );
    }
    // Unreadable headers that hold the token.
    inputs.push(format!("MSH{TOKEN}|^~\\&|{c}\r{body}").into_bytes());
    inputs.push(format!("MSH|^^|{c}\r{body}").into_bytes());
    inputs.push(body.clone().into_bytes());

    let mut every_error: Vec<AckError> = Vec::new();
    for code in 100..=207 {
        if let Some(code) = AckErrorCode::from_code(code) {
            every_error.push(AckError::new(code).at("PID[1]-5[2].1.2".parse().unwrap()));
            every_error.push(AckError::new(code).with_severity(ErrorSeverity::Warning));
        }
    }
    let mut unsupported = options();
    unsupported.versions = &["2.2"];
    unsupported.message_types = &["ORU"];
    unsupported.events = &["R01"];
    unsupported.processing_ids = &["T"];
    let error_sets: Vec<&[AckError]> = vec![&[], &every_error[..], &every_error[..1]];
    let kinds = [AckKind::Application, AckKind::Accept { committed: true }, AckKind::Accept { committed: false }];

    let mut seen = std::collections::BTreeSet::new();
    for input in &inputs {
        for o in [options(), unsupported] {
            for errors in &error_sets {
                for kind in kinds {
                    match acknowledge(input, kind, errors, &o) {
                        Ok(ack) => {
                            let bytes = ack.to_bytes();
                            assert!(Message::parse(&bytes).is_ok());
                            let shown = format!("{}{ack:?}", String::from_utf8_lossy(&bytes));
                            assert!(!shown.contains(TOKEN), "token in an acknowledgment: {shown}");
                            seen.insert(ack.code.as_str());
                        }
                        Err(refusal) => assert!(!format!("{refusal}{refusal:?}").contains(TOKEN)),
                    }
                }
            }
        }
    }
    assert_eq!(seen.len(), 6, "every acknowledgment code was triggered: {seen:?}");
}

/// Acknowledges every file and checks that the acknowledgment parses, echoes the control id and
/// refuses only acknowledgments. Returns (acknowledged, refused).
fn acknowledge_all(files: &[PathBuf]) -> (usize, usize) {
    let (mut acked, mut refused) = (0, 0);
    for path in files {
        let input = std::fs::read(path).unwrap();
        match acknowledge(&input, AckKind::Application, &[], &options()) {
            Ok(ack) => {
                let bytes = ack.to_bytes();
                let parsed = Message::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(parsed.segment_count(), ack.message.segment_count(), "{}", path.display());
                if let Ok(msg) = Message::parse(&input) {
                    if let Some(msh) = msg.segment(b"MSH") {
                        let control = msh.field(10).map(|f| f.to_cow().into_owned()).unwrap_or_default();
                        let echoed = parsed.query("MSA-2").unwrap().map(|v| v.to_cow().into_owned());
                        if msg.scan() == hl7_core::Scan::Bytes {
                            assert_eq!(echoed.unwrap_or_default(), control, "{}", path.display());
                        }
                    }
                }
                acked += 1;
            }
            Err(AckRefusal::IncomingIsAck) => {
                let msg = Message::parse(&input).unwrap();
                let t = msg.segment(b"MSH").unwrap().field(9).unwrap().component(1).unwrap();
                assert!(t.as_bytes().eq_ignore_ascii_case(b"ACK"), "{}", path.display());
                refused += 1;
            }
            Err(AckRefusal::NotRequired) => {
                // Enhanced mode whose MSH-16 does not ask for an application acknowledgment of a success.
                let msg = Message::parse(&input).unwrap();
                assert!(!AckMode::of(&msg).requires(AckKind::Application, true), "{}", path.display());
                refused += 1;
            }
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    (acked, refused)
}

#[test]
fn acks_of_the_project_corpus_parse_back() {
    let mut files = Vec::new();
    files_under(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus"), &mut files);
    files.sort();
    let (acked, refused) = acknowledge_all(&files);
    assert!(acked >= 50, "acknowledged {acked}");
    assert!(refused >= 1, "the corpus holds acknowledgments: {refused}");
}

#[test]
fn acks_of_the_shared_corpus_parse_back() {
    let Some(dir) = common::shared_dir("corpus") else { return };
    let dir = dir.as_path();
    let mut files = Vec::new();
    files_under(dir, &mut files);
    files.sort();
    let (acked, _) = acknowledge_all(&files);
    assert!(acked >= 100, "acknowledged {acked}");
}

#[test]
fn iso2022_header_values_are_echoed_as_written() {
    // MSH-5 holds JIS X 0208 characters whose bytes are '^' and '|' (ESC $ B ... ESC ( B).
    let jis: &[u8] = b"\x1b$B8^F|\x1b(B";
    let mut input = b"MSH|^~\\&|LAB|HOSP|".to_vec();
    input.extend_from_slice(jis);
    input.extend_from_slice(b"|CLINIC|||ADT^A01|C1|P|2.5||||||~ISO IR87\rPID|1\r");
    let ack = application(&input, &[]);
    assert_eq!(raw(&ack, "MSH-3").unwrap(), jis);
    assert_eq!(raw(&ack, "MSH-4").unwrap(), b"CLINIC");
    assert_eq!(raw(&ack, "MSH-18").unwrap(), b"~ISO IR87");
    assert_eq!(text(&ack, "MSA-2"), "C1");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn header_value() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[A-Za-z0-9|^~\\\\&\r\n .]{0,10}"]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever bytes arrive, the answer is an acknowledgment that parses or a typed refusal.
        #[test]
        fn any_input_gives_a_parsing_ack_or_a_refusal(input in proptest::collection::vec(any::<u8>(), 0..200)) {
            for kind in [AckKind::Application, AckKind::Accept { committed: true }] {
                if let Ok(ack) = acknowledge(&input, kind, &[], &options()) {
                    let bytes = ack.to_bytes();
                    prop_assert!(Message::parse(&bytes).is_ok());
                }
            }
        }

        /// Header values with delimiters, line breaks and any text: the acknowledgment parses, MSA-2
        /// decodes to the incoming MSH-10 (first repetition) and the parties are swapped.
        #[test]
        fn header_values_are_echoed_faithfully(
            values in proptest::collection::vec(header_value(), 6),
        ) {
            let [sender, facility, receiver, receiving_facility, trigger, control] = &values[..] else { unreachable!() };
            let mut msg = hl7_messaging::build::MessageBuf::with_header(hl7_core::Delimiters::default(), &["ADT"], "x", "2.5.1").unwrap();
            for (path, value) in [("MSH-3.1", sender), ("MSH-4.1", facility), ("MSH-5.1", receiver),
                ("MSH-6.1", receiving_facility), ("MSH-9.2", trigger), ("MSH-10[1]", control)] {
                msg.set(path, value).unwrap();
            }
            let input = msg.to_bytes();
            let ack = match acknowledge(&input, AckKind::Application, &[], &options()) {
                Ok(ack) => ack,
                Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
            };
            let bytes = ack.to_bytes();
            let parsed = Message::parse(&bytes).unwrap();
            let get = |p: &str| parsed.query(p).unwrap().map(|v| v.to_cow().into_owned()).unwrap_or_default();
            prop_assert_eq!(get("MSA-2"), control.as_bytes());
            prop_assert_eq!(get("MSH-5.1"), sender.as_bytes());
            prop_assert_eq!(get("MSH-6.1"), facility.as_bytes());
            prop_assert_eq!(get("MSH-3.1"), receiver.as_bytes());
            prop_assert_eq!(get("MSH-4.1"), receiving_facility.as_bytes());
            prop_assert_eq!(get("MSH-9.2"), trigger.as_bytes());
            let expected = if control.is_empty() { AckCode::ApplicationReject } else { AckCode::ApplicationAccept };
            prop_assert_eq!(ack.code, expected);
        }
    }
}
