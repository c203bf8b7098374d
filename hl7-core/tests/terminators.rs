//! Segment terminators, blank lines, continuation lines, junk around a message, and the strict
//! policies. The segment count never depends on the terminator style.

use hl7_core::{ErrorKind, Message, ParseOptions};

const SEGMENTS: [&str; 4] = ["MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5", "EVN|A01", "PID|1||123||DOE^J", "PV1|1|I"];

fn joined(sep: &str, end: &str) -> Vec<u8> {
    let mut s = SEGMENTS.join(sep);
    s.push_str(end);
    s.into_bytes()
}

#[test]
fn every_terminator_style_gives_the_same_segments() {
    let reference: Vec<Vec<u8>> = SEGMENTS.iter().map(|s| s.as_bytes().to_vec()).collect();
    for (sep, end) in [("\r", "\r"), ("\n", "\n"), ("\r\n", "\r\n"), ("\r", ""), ("\r\n\r\n", "\n\n\n"), ("\n\r", "\r")]
    {
        let input = joined(sep, end);
        let msg = Message::parse(&input).unwrap();
        assert_eq!(msg.segment_count(), 4, "{sep:?}");
        let segs: Vec<Vec<u8>> = msg.segments().map(|s| s.as_bytes().to_vec()).collect();
        assert_eq!(segs, reference, "{sep:?}");
    }
}

#[test]
fn mixed_terminators_are_noted() {
    let input = b"MSH|^~\\&|A\rEVN|A01\nPID|1\r\nPV1|1";
    let msg = Message::parse(input).unwrap();
    let t = msg.notes().terminators;
    assert!(t.cr && t.lf && t.crlf && t.missing_final);
    let mut strict = ParseOptions::default();
    strict.allow_mixed_terminators = false;
    let err = Message::parse_with(input, &strict).unwrap_err();
    assert_eq!((err.kind(), err.offset()), (ErrorKind::MixedTerminators, 18));
}

#[test]
fn continuation_lines_join_the_previous_segment() {
    let input = b"MSH|^~\\&|A\rNTE|1||first line\nsecond line\rPID|1\r";
    let msg = Message::parse(input).unwrap();
    assert_eq!(msg.segment_count(), 3);
    assert_eq!(msg.notes().continuation_lines, 1);
    assert_eq!(msg.notes().first_continuation, Some(29));
    let nte3 = msg.query("NTE-3").unwrap().unwrap();
    assert_eq!(nte3.as_bytes(), b"first line\nsecond line");
    let err = Message::parse_with(input, &ParseOptions::strict()).unwrap_err();
    // Strict: the line that is not a segment is the first thing refused.
    assert_eq!((err.kind(), err.offset()), (ErrorKind::NotASegment, 29));
    let mut opts = ParseOptions::default();
    opts.allow_continuation_lines = false;
    let err = Message::parse_with(input, &opts).unwrap_err();
    assert_eq!((err.kind(), err.offset()), (ErrorKind::NotASegment, 29));
    assert_eq!(err.locate(input).line, 3);
}

#[test]
fn junk_before_and_after_is_skipped_and_reported() {
    let input = b"2024-01-01 INFO got message:\n\x0bMSH|^~\\&|A\rPID|1\r\x1c\r\n";
    let msg = Message::parse(input).unwrap();
    assert_eq!(msg.segment_count(), 2);
    let lead = msg.notes().leading.unwrap();
    assert_eq!((lead.offset, lead.len), (0, 30));
    let trail = msg.notes().trailing.unwrap();
    assert_eq!((trail.offset, trail.len), (47, 3));
    let mut out = Vec::new();
    msg.write(|b| out.extend_from_slice(b));
    assert_eq!(out, input);
    let mut opts = ParseOptions::default();
    opts.allow_leading_junk = false;
    assert_eq!(Message::parse_with(input, &opts).unwrap_err().kind(), ErrorKind::LeadingJunk);
}

#[test]
fn absent_empty_and_null_are_told_apart() {
    let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||\"\"|\r").unwrap();
    let pid = msg.segment(b"PID").unwrap();
    assert!(pid.field(2).unwrap().is_empty());
    assert!(pid.field(3).unwrap().is_null());
    assert!(pid.field(4).unwrap().is_empty());
    assert!(pid.field(5).is_none());
    assert!(pid.field(0).is_none());
    assert!(msg.query("PID-3.1").unwrap().unwrap().is_null());
    assert!(msg.query("PID-3.2").unwrap().is_none());
}

#[test]
fn message_header_fields_are_numbered_as_the_standard() {
    let msg = Message::parse(b"MSH|^~\\&#|APP|FAC|||20240101||ORU^R01^ORU_R01|42|P|2.7\r").unwrap();
    assert_eq!(msg.query("MSH-1").unwrap().unwrap().as_bytes(), b"|");
    assert_eq!(msg.query("MSH-2").unwrap().unwrap().as_bytes(), b"^~\\&#");
    // MSH-2 is literal: never split or unescaped.
    assert_eq!(msg.query("MSH-2.1").unwrap().unwrap().as_bytes(), b"^~\\&#");
    assert_eq!(&*msg.query("MSH-2").unwrap().unwrap().to_cow(), b"^~\\&#");
    assert_eq!(msg.query("MSH-9.3").unwrap().unwrap().as_bytes(), b"ORU_R01");
    assert_eq!(msg.query("MSH-12").unwrap().unwrap().as_bytes(), b"2.7");
    assert_eq!(msg.delimiters().truncation(), Some(b'#'));
}

#[test]
fn error_display_and_debug_show_no_content() {
    let input = b"MSH|^~\\&|A\rPID|1||SECRETNAME\rsecret continuation\r";
    let mut opts = ParseOptions::default();
    opts.allow_continuation_lines = false;
    let err = Message::parse_with(input, &opts).unwrap_err();
    for text in [err.to_string(), format!("{err:?}"), format!("{:?}", Message::parse(input).unwrap())] {
        assert!(!text.to_lowercase().contains("secret"), "{text}");
    }
}
