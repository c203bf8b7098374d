//! Character sets: BOM, MSH-18 names, UTF-8 validity, mismatches, ISO-2022-JP scanning, UTF-16.
//! Decoding to text is the messaging crate's (`hl7-messaging/tests/text.rs`).

use std::path::PathBuf;

use hl7_core::{Charset, Encoding, ErrorKind, Message, Scan};

fn corpus(rel: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus").join(rel)).unwrap()
}

#[test]
fn iso2022jp_two_byte_characters_are_never_split() {
    let input = corpus("encodings/iso2022jp_ir87.hl7");
    let msg = Message::parse(&input).unwrap();
    assert_eq!(msg.scan(), Scan::Iso2022);
    assert_eq!(msg.segment_count(), 4);
    let pid5 = msg.query("PID-5").unwrap().unwrap();
    let pid = msg.segment(b"PID").unwrap();
    assert_eq!(pid.field(5).unwrap().repetitions().count(), 3, "JIS bytes 0x7E/0x5E/0x26 are not delimiters");
    assert!(pid5.offset() > pid.offset());
    let report = msg.charset_report();
    assert!(report.iso2022);
}

#[test]
fn iso2022jp_with_single_msh18_value() {
    let input = corpus("encodings/iso2022jp_single_charset.hl7");
    let msg = Message::parse(&input).unwrap();
    assert_eq!(msg.segment_count(), 3);
    assert_eq!(msg.charset_report().declared, Some(Charset::Iso2022Jp));
}

#[test]
fn latin1_declared_and_decoded() {
    let input = corpus("encodings/latin1_8859_1.hl7");
    let msg = Message::parse(&input).unwrap();
    let r = msg.charset_report();
    assert_eq!(r.declared, Some(Charset::Iso8859(1)));
    assert!(!r.utf8_valid && r.has_non_ascii && !r.mismatch);
}

#[test]
fn utf8_with_and_without_bom() {
    let msg_bytes = corpus("encodings/utf8.hl7");
    let msg = Message::parse(&msg_bytes).unwrap();
    let r = msg.charset_report();
    assert_eq!(r.declared, Some(Charset::Utf8));
    assert!(r.utf8_valid && !r.mismatch && !r.bom);
    let bom = corpus("encodings/utf8_bom.hl7");
    let msg = Message::parse(&bom).unwrap();
    assert!(msg.notes().bom);
    assert_eq!(msg.notes().leading.map(|s| (s.offset, s.len)), Some((0, 3)));
    assert_eq!(msg.segments().next().unwrap().offset(), 3);
}

#[test]
fn declared_utf8_with_invalid_bytes_is_a_mismatch() {
    let input = b"MSH|^~\\&|A|||||||||2.5||||||UNICODE UTF-8\rPID|1||||M\xfcller\r";
    let r = Message::parse(input).unwrap().charset_report();
    assert!(r.mismatch && !r.utf8_valid);
}

#[test]
fn unknown_msh18_names_are_reported() {
    let input = b"MSH|^~\\&|A|||||||||2.5||||||EBCDIC\r";
    let r = Message::parse(input).unwrap().charset_report();
    assert_eq!(r.declared, None);
    assert!(r.unknown_name);
}

#[test]
fn utf16_is_refused_with_a_typed_error() {
    let input = corpus("encodings/utf16le_bom.hl7");
    let err = Message::parse(&input).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedEncoding(Encoding::Utf16Le));
    assert_eq!(err.offset(), 0);
    // Without a BOM, the NUL-interleaved header still gives it away.
    let no_bom: Vec<u8> = "MSH|^~\\&|A\r".encode_utf16().flat_map(u16::to_be_bytes).collect();
    assert_eq!(Message::parse(&no_bom).unwrap_err().kind(), ErrorKind::UnsupportedEncoding(Encoding::Utf16Be));
    let utf32 = [0xFF, 0xFE, 0, 0, b'M', 0, 0, 0];
    assert_eq!(Message::parse(&utf32).unwrap_err().kind(), ErrorKind::UnsupportedEncoding(Encoding::Utf32));
}

#[test]
fn big5_trail_bytes_are_not_delimiters() {
    // 0xA5 0x7C is one Big5 character whose trail byte is '|'.
    let input = b"MSH|^~\\&|A|||||||||2.5||||||BIG-5\rPID|1||||\xa5\x7c^B\r";
    let msg = Message::parse(input).unwrap();
    assert_eq!(msg.scan(), Scan::LeadByte);
    assert_eq!(msg.query("PID-5.1").unwrap().unwrap().as_bytes(), b"\xa5\x7c");
    assert_eq!(msg.query("PID-5.2").unwrap().unwrap().as_bytes(), b"B");
}
