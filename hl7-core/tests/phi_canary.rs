//! PHI canary: synthetic messages carry a unique token (`CANARY<n>`) in every field, repetition,
//! component and subcomponent (Z-segments too). Every `ErrorKind` reachable through the public API
//! is triggered on such input, and no `Display` or `Debug` of an error, a view, the parse notes or a
//! batch item may contain a token, in text or as the decimal byte list a derived `Debug` of `&[u8]`
//! would print.

use std::fmt::Debug;

use hl7_core::mllp::{self, Decoder, DecoderOptions, JunkPolicy};
use hl7_core::types::{Dtm, Nm};
use hl7_core::{escape, Batch, Delimiters, ErrorKind, Limit, Message, ParseError, ParseOptions, Path};

const TOKEN: &str = "CANARY";

/// A message with a distinct token in every subcomponent of every field of every segment.
fn canary_message(terminator: &str) -> Vec<u8> {
    let mut n = 0;
    let mut token = || {
        n += 1;
        format!("{TOKEN}{n}")
    };
    let mut out =
        format!("MSH|^~\\&|{}|{}|{}|{}|20240101||ADT^A01|{}|P|2.5.1", token(), token(), token(), token(), token());
    for id in ["EVN", "PID", "NK1", "OBX", "NTE", "ZPD", "ZZ9"] {
        out.push_str(terminator);
        out.push_str(id);
        for _field in 0..4 {
            out.push('|');
            let reps: Vec<String> = (0..2)
                .map(|_| {
                    let comps: Vec<String> = (0..3).map(|_| format!("{}&{}", token(), token())).collect();
                    comps.join("^")
                })
                .collect();
            out.push_str(&reps.join("~"));
        }
    }
    out.push_str(terminator);
    out.into_bytes()
}

/// Fails if `text` holds a token as text or as a derived `Debug` byte list.
fn assert_clean(what: &str, text: &str) {
    let as_list = TOKEN.bytes().map(|b| b.to_string()).collect::<Vec<_>>().join(", ");
    assert!(!text.contains(TOKEN), "{what}: a canary token leaked as text");
    assert!(!text.contains(&as_list), "{what}: a canary token leaked as a byte list");
}

fn clean_debug(what: &str, v: &impl Debug) {
    assert_clean(what, &format!("{v:?}"));
    assert_clean(what, &format!("{v:#?}"));
}

fn clean_error(what: &str, e: &ParseError, input: &[u8]) {
    clean_debug(what, e);
    assert_clean(what, &e.to_string());
    assert_clean(what, &e.locate(input).to_string());
}

#[test]
fn canary_message_is_what_it_claims() {
    let input = canary_message("\r");
    let msg = Message::parse(&input).unwrap();
    assert_eq!(msg.segment_count(), 8);
    // Every subcomponent outside MSH holds a token.
    for seg in msg.segments().skip(1) {
        for f in seg.fields() {
            for r in f.repetitions() {
                for c in r.components() {
                    for s in c.subcomponents() {
                        assert!(s.as_bytes().starts_with(TOKEN.as_bytes()));
                    }
                }
            }
        }
    }
}

#[test]
fn views_print_no_content() {
    for term in ["\r", "\n", "\r\n"] {
        let input = canary_message(term);
        let msg = Message::parse(&input).unwrap();
        clean_debug("Message", &msg);
        clean_debug("ParseNotes", msg.notes());
        clean_debug("Delimiters", &msg.delimiters());
        clean_debug("CharsetReport", &msg.charset_report());
        for seg in msg.segments() {
            clean_debug("Segment", &seg);
            for f in seg.fields() {
                clean_debug("Field", &f);
                for r in f.repetitions() {
                    clean_debug("Repetition", &r);
                    for c in r.components() {
                        clean_debug("Component", &c);
                        for s in c.subcomponents() {
                            clean_debug("Subcomponent", &s);
                        }
                    }
                }
            }
        }
        clean_debug("Segments", &msg.segments());
        clean_debug("Batch", &Batch::new(&input));
        clean_debug("BatchEntries", &Batch::new(&input).entries());
        let pid = msg.segment(b"PID").unwrap();
        let pid1 = pid.field(1).unwrap();
        clean_debug("Fields", &pid.fields());
        clean_debug("Repetitions", &pid1.repetitions());
        clean_debug("Components", &pid1.components());
        clean_debug("Subcomponents", &pid1.component(1).unwrap().subcomponents());
        clean_debug("Unescape", &pid1.unescape());
        for path in ["PID-1", "PID-1[2]", "PID-1[2].3", "PID-1[2].3.2", "ZPD-4", "ZZ9", "MSH-10"] {
            let v = msg.query(path).unwrap().unwrap();
            clean_debug("Value", &v);
            clean_debug("Path", &Path::parse(path).unwrap());
        }
    }
}

#[test]
fn batch_items_print_no_content() {
    let mut file = b"FHS|^~\\&|CANARY901\rBHS|^~\\&|CANARY902\r".to_vec();
    file.extend(canary_message("\r"));
    file.extend(b"CANARY903 stray text\rBTS|1\rFTS|1\r");
    let mut count = 0;
    for item in Batch::new(&file).entries() {
        count += 1;
        match item {
            Ok(i) => clean_debug("BatchEntry", &i),
            Err(e) => clean_error("batch error", &e, &file),
        }
    }
    assert!(count >= 5);
}

/// One input per `ErrorKind` the public API can produce, each full of tokens.
fn error_cases() -> Vec<(ErrorKind, Vec<u8>, ParseOptions)> {
    let lenient = ParseOptions::default();
    let strict = ParseOptions::strict();
    let body = canary_message("\r");
    let after_msh = |head: &[u8]| [head, &body[body.iter().position(|&b| b == b'\r').unwrap()..]].concat();
    let mut tiny = ParseOptions::default();
    tiny.limits.max_message_bytes = 100;
    let mut cases = vec![
        (ErrorKind::NoHeader, b"PID|1||CANARY1^CANARY2\r".to_vec(), lenient),
        (ErrorKind::HeaderTooShort, b"CANARY1 MSH|".to_vec(), lenient),
        (ErrorKind::InvalidFieldSeparator, after_msh(b"MSHH0CANARY1"), lenient),
        (ErrorKind::InvalidEncodingCharacter, after_msh(b"MSH|^~a&|CANARY1"), lenient),
        (ErrorKind::DuplicateDelimiter, after_msh(b"MSH|^^~\\&|CANARY1"), strict),
        (ErrorKind::TooFewEncodingCharacters, after_msh(b"MSH|^|CANARY1"), lenient),
        (ErrorKind::TooManyEncodingCharacters, after_msh(b"MSH|^~\\&#!|CANARY1"), strict),
        (
            ErrorKind::UnsupportedEncoding(hl7_core::Encoding::Utf16Le),
            {
                let mut v = b"\xff\xfe".to_vec();
                v.extend("MSH|^~\\&|CANARY1\r".encode_utf16().flat_map(u16::to_le_bytes));
                v
            },
            lenient,
        ),
        (ErrorKind::UnexpectedTerminator, canary_message("\n"), strict),
        (ErrorKind::NotASegment, [&body[..], b"CANARY99 continued\r"].concat(), strict),
        (ErrorKind::LeadingJunk, [&b"CANARY0 log line\n"[..], &body].concat(), strict),
        (ErrorKind::LimitExceeded { limit: Limit::MessageBytes, configured: 100 }, body.clone(), tiny),
    ];
    let mut mixed = ParseOptions::default();
    mixed.allow_mixed_terminators = false;
    let mut mixed_input = canary_message("\r");
    mixed_input.extend(b"ZZZ|CANARY77\nZZY|CANARY78\r");
    cases.push((ErrorKind::MixedTerminators, mixed_input, mixed));
    for (limit, set) in [
        (Limit::Segments, 3usize),
        (Limit::Fields, 3),
        (Limit::Repetitions, 1),
        (Limit::Components, 2),
        (Limit::Subcomponents, 1),
        (Limit::FieldBytes, 10),
    ] {
        let mut opts = ParseOptions::default();
        let l = &mut opts.limits;
        match limit {
            Limit::Segments => l.max_segments = set,
            Limit::Fields => l.max_fields = set,
            Limit::Repetitions => l.max_repetitions = set,
            Limit::Components => l.max_components = set,
            Limit::Subcomponents => l.max_subcomponents = set,
            _ => l.max_field_bytes = set + 30,
        }
        let configured = match limit {
            Limit::FieldBytes => set + 30,
            _ => set,
        };
        cases.push((ErrorKind::LimitExceeded { limit, configured }, body.clone(), opts));
    }
    cases
}

#[test]
fn every_parse_error_kind_prints_no_content() {
    let mut seen = Vec::new();
    for (kind, input, opts) in error_cases() {
        let e = Message::parse_with(&input, &opts).map(|_| ()).expect_err(&format!("{kind:?} expected"));
        assert_eq!(e.kind(), kind, "input for {kind:?} gave another kind");
        clean_error("parse error", &e, &input);
        seen.push(e.kind());
    }
    // Empty has no room for a token but is still checked.
    let e = Message::parse(b" \r\n").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Empty);
    clean_error("empty", &e, b" \r\n");
    seen.push(e.kind());

    // MalformedEscape (from a view) and CannotEscape (from escape()).
    let input = [&canary_message("\r")[..], b"ZES|1||CANARY500\\XZZ\\CANARY501\r"].concat();
    let msg = Message::parse(&input).unwrap();
    let e = msg.segment(b"ZES").unwrap().field(3).unwrap().check_escapes().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MalformedEscape);
    clean_error("malformed escape", &e, &input);
    seen.push(e.kind());
    let e = escape(b"CANARY600|CANARY601", &Delimiters::new(b'|', b"^~").unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CannotEscape);
    clean_error("cannot escape", &e, b"CANARY600|CANARY601");
    seen.push(e.kind());

    // Batch errors.
    let file = [&b"BHS|^~\\&|CANARY700\r"[..], &canary_message("\r"), b"BTS|5|CANARY701\rBTS|CANARY702\r"].concat();
    for e in Batch::new(&file).entries().filter_map(Result::err) {
        clean_error("batch error", &e, &file);
        seen.push(e.kind());
    }
    assert!(seen.contains(&ErrorKind::BatchCountMismatch { declared: 5, found: 1 }));
    assert!(seen.contains(&ErrorKind::BatchStructure));
    // 18 kinds, LimitExceeded once per Limit (7): 24 distinct kinds.
    let mut distinct: Vec<String> = seen.iter().map(|k| format!("{k:?}")).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 24, "every ErrorKind (and every Limit) once");
}

#[test]
fn path_type_and_mllp_errors_print_no_content() {
    let e = Path::parse("PID-CANARY1").unwrap_err();
    assert_clean("path error", &format!("{e} {e:?}"));
    let input = canary_message("\r");
    let msg = Message::parse(&input).unwrap();
    let v = msg.query("PID-1[1].1.1").unwrap().unwrap();
    let e = Dtm::from_value(v).unwrap_err();
    assert_clean("type error", &format!("{e} {e:?}"));
    let e = Nm::from_value(v).unwrap_err();
    assert_clean("type error", &format!("{e} {e:?}"));

    let stream = [&b"CANARY1 junk"[..], b"\x0bCANARY2\x0bCANARY3\x1cX\x0bCANARY4"].concat();
    let mut errors = Vec::new();
    for config in
        [DecoderOptions::new(), DecoderOptions::new().junk(JunkPolicy::Reject), DecoderOptions::new().max_frame(4)]
    {
        let mut d = Decoder::with_options(config);
        let mut buf = stream.clone();
        for _ in 0..100 {
            match d.finish(&buf) {
                Ok(s) if s.consumed() == 0 => break,
                Ok(s) => {
                    clean_debug("mllp status", &s);
                    buf.drain(..s.consumed());
                }
                Err(e) => errors.push(e),
            }
        }
        clean_debug("decoder", &d);
    }
    errors.push(mllp::encode(b"CANARY5\x0b").unwrap_err());
    errors.push(mllp::encode_into(b"CANARY6", &mut [0u8; 4]).unwrap_err());
    assert!(errors.len() >= 6, "{} mllp errors", errors.len());
    for e in &errors {
        assert_clean("mllp error", &format!("{e} {e:?}"));
    }
}
