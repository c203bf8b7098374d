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

/// SS-MIX2 (Japan): MSH-18 `~ISOIR87` (empty default, JIS X 0208 by a non-standard spelling as a
/// code extension) with MSH-20 `ISO 2022-1994`. Before the fix the name was not recognised and
/// the JSON tree held raw ESC sequences. 日 is JIS 0x46 0x7C and 本 is 0x4B 0x5C: their second
/// bytes look like `|` and `\`.
#[test]
fn regression_ss_mix2_isoir87_without_space_decodes() {
    let input = b"MSH|^~\\&|SSMIX|H|EHR|H|20240101||ADT^A08|1|P|2.5||||||~ISOIR87||ISO 2022-1994\rPID|1||123||\x1b$B\x46\x7c\x4b\x5c\x1b(B^TARO\r";
    let msg = Message::parse(input).unwrap();
    let report = msg.charset_report();
    assert!(report.iso2022 && report.name_repaired && !report.unknown_name);
    let text = TextDecoder::new(&msg);
    assert_eq!(text.encoding().map(encoding_rs::Encoding::name), Some("ISO-2022-JP"));
    assert!(text.charset_name_repaired());
    assert_eq!(text.value(msg.query("PID-5.1").unwrap().unwrap()), "日本");
    assert_eq!(text.value(msg.query("PID-5.2").unwrap().unwrap()), "TARO");
    let tree = hl7_messaging::json::message(&msg, &text);
    assert_eq!(tree["segments"][1]["fields"][4], serde_json::json!([["日本", "TARO"]]));
    assert!(!tree.to_string().contains('\u{1b}'), "raw ESC in the JSON tree");
    assert_eq!(tree["notes"][0]["kind"], "charset_name_repaired");
}

/// MSH-18 names as real senders spell them are matched leniently and the repair is reported.
#[test]
fn msh18_spellings_are_matched_leniently() {
    for name in ["ISOIR87", "ISO IR87", "ISO-IR 87", "iso ir87", "iso_ir_87"] {
        let input = format!("MSH|^~\\&|A|||||||||2.5||||||{name}\rPID|1\r");
        let msg = Message::parse(input.as_bytes()).unwrap();
        let text = TextDecoder::new(&msg);
        assert_eq!(text.encoding().map(encoding_rs::Encoding::name), Some("ISO-2022-JP"), "{name}");
        // Case alone is no repair (table 0211 names compare case-insensitively).
        let exact = name.eq_ignore_ascii_case("ISO IR87");
        assert_eq!(text.charset_name_repaired(), !exact, "{name}");
    }
}
