//! Text decoding (`hl7_messaging::text`): the charset of MSH-18 resolved once per message, escapes
//! then charset, ISO-2022-JP and Latin-1 from the project corpus.

use std::path::PathBuf;

use hl7_core::Message;
use hl7_messaging::TextDecoder;

fn corpus(rel: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus").join(rel)).unwrap()
}

#[test]
fn iso2022jp_values_decode() {
    let input = corpus("encodings/iso2022jp_ir87.hl7");
    let msg = Message::parse(&input).unwrap();
    let text = TextDecoder::new(&msg);
    assert_eq!(text.encoding().map(encoding_rs::Encoding::name), Some("ISO-2022-JP"));
    let family = msg.query("PID-5[2].1").unwrap().unwrap();
    assert_eq!(text.decode(family.as_bytes()).0, "五日市");
    let given = msg.query("PID-5[2].2").unwrap().unwrap();
    assert_eq!(text.value(given), "愛美");
}

#[test]
fn iso2022jp_with_single_msh18_value() {
    let input = corpus("encodings/iso2022jp_single_charset.hl7");
    let msg = Message::parse(&input).unwrap();
    let v = msg.query("OBX-5").unwrap().unwrap();
    assert_eq!(TextDecoder::new(&msg).value(v), "異常なし（京都）");
}

#[test]
fn latin1_declared_and_decoded() {
    let input = corpus("encodings/latin1_8859_1.hl7");
    let msg = Message::parse(&input).unwrap();
    let family = msg.query("PID-5.1").unwrap().unwrap();
    assert_eq!(TextDecoder::new(&msg).decode(family.as_bytes()), ("TESTPATIENTÉ".into(), false));
}

#[test]
fn undeclared_charset_sniffs_per_value_only_when_the_message_is_not_utf8() {
    let utf8 = Message::parse("MSH|^~\\&|A\rPID|1||||Zoë\r".as_bytes()).unwrap();
    assert_eq!(TextDecoder::new(&utf8).encoding().map(encoding_rs::Encoding::name), Some("UTF-8"));
    let mixed = Message::parse(b"MSH|^~\\&|A\rPID|1||||Zo\xc3\xab^M\xfcller\r").unwrap();
    let text = TextDecoder::new(&mixed);
    assert_eq!(text.encoding(), None);
    assert_eq!(text.value(mixed.query("PID-5.1").unwrap().unwrap()), "Zoë");
    assert_eq!(text.value(mixed.query("PID-5.2").unwrap().unwrap()), "Müller");
}

#[test]
fn escapes_are_decoded_before_the_charset() {
    let msg = Message::parse(b"MSH|^~\\&|A|||||||||2.5||||||8859/1\rNTE|1||caf\xe9\\T\\th\xe9\r").unwrap();
    assert_eq!(TextDecoder::new(&msg).value(msg.query("NTE-3").unwrap().unwrap()), "café&thé");
}
