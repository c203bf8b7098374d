//! `MessageBuf`: building, editing and writing messages.
//!
//! Properties: values set by path read back unchanged after write + parse, whatever bytes they hold
//! (delimiters, CR, LF, backslashes, MLLP bytes); an unedited copy of a parsed message writes back
//! its segments byte for byte (the project corpus, CR files).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hl7_core::{Delimiters, Message};
use hl7_messaging::build::{BuildError, MessageBuf, Terminator};
use proptest::prelude::*;

fn parse_back(buf: &MessageBuf) -> Vec<u8> {
    buf.to_bytes()
}

#[test]
fn new_message_has_only_the_header() {
    let buf = MessageBuf::new(Delimiters::default());
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&\r");
    assert_eq!(buf.segment_count(), 1);
}

#[test]
fn with_header_sets_type_control_id_and_version() {
    let buf = MessageBuf::with_header(Delimiters::default(), &["ADT", "A01", "ADT_A01"], "C|1", "2.5.1").unwrap();
    let bytes = parse_back(&buf);
    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(msg.query("MSH-9").unwrap().unwrap().as_bytes(), b"ADT^A01^ADT_A01");
    assert_eq!(msg.query("MSH-10").unwrap().unwrap().as_bytes(), b"C\\F\\1");
    assert_eq!(&*msg.query("MSH-10").unwrap().unwrap().to_cow(), b"C|1");
    assert_eq!(msg.query("MSH-12").unwrap().unwrap().as_bytes(), b"2.5.1");
}

#[test]
fn set_creates_missing_segments_fields_repetitions_and_components() {
    let mut buf = MessageBuf::new(Delimiters::default());
    buf.set("PID-5[2].3", "Q").unwrap();
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&\rPID|||||~^^Q\r");
    buf.set("PID-5[1].1", "DOE").unwrap();
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&\rPID|||||DOE~^^Q\r");
    buf.set("PID-3.4.2", "ISO").unwrap();
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&\rPID|||^^^&ISO||DOE~^^Q\r");
    buf.set("OBX[3]-1", "3").unwrap();
    assert_eq!(buf.segment_count(), 5);
    assert_eq!(buf.segments().last().unwrap(), b"OBX|3");
}

#[test]
fn set_replaces_only_its_piece() {
    let input = b"MSH|^~\\&|A|B\rPID|1||X^Y^Z~R2||N\rPV1|1\r";
    let mut buf = MessageBuf::from_message(&Message::parse(input).unwrap());
    buf.set("PID-3[1].2", "y").unwrap();
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&|A|B\rPID|1||X^y^Z~R2||N\rPV1|1\r");
    buf.set("PID-3[2]", "r^2").unwrap();
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&|A|B\rPID|1||X^y^Z~r\\S\\2||N\rPV1|1\r");
    buf.set("PID-3", "whole").unwrap();
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&|A|B\rPID|1||whole||N\rPV1|1\r");
    buf.set("MSH-4", "b").unwrap();
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&|A|b\rPID|1||whole||N\rPV1|1\r");
}

#[test]
fn header_delimiters_are_refused() {
    let mut buf = MessageBuf::new(Delimiters::default());
    for path in ["MSH-1", "MSH-2", "MSH-2.1", "MSH-1[1]"] {
        assert_eq!(buf.set(path, "x"), Err(BuildError::HeaderDelimiters), "{path}");
        assert_eq!(buf.set_raw(path, "x"), Err(BuildError::HeaderDelimiters), "{path}");
    }
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&\r");
}

#[test]
fn zero_indexes_are_typed_errors() {
    let mut buf = MessageBuf::new(Delimiters::default());
    for path in ["PID[0]-1", "PID-0", "PID-1[0]", "PID-1.0", "PID-1.1.0", "MSH-0"] {
        assert_eq!(buf.set(path, "x"), Err(BuildError::ZeroIndex), "{path}");
    }
    assert_eq!(buf.remove_segment("PID", 0), Err(BuildError::ZeroIndex));
    assert_eq!(buf.insert_segment(0, "PID", &["1"]), Err(BuildError::ZeroIndex));
    assert_eq!(buf.remove_repetition("PID-3[0]"), Err(BuildError::ZeroIndex));
    assert_eq!(buf.segment_count(), 1, "nothing was created by a refused edit");
}

#[test]
fn header_segments_are_not_created() {
    let mut buf = MessageBuf::new(Delimiters::default());
    assert_eq!(buf.set("MSH[2]-3", "x"), Err(BuildError::HeaderSegment));
    assert_eq!(buf.set("BHS-3", "x"), Err(BuildError::HeaderSegment));
    assert_eq!(buf.push_segment("MSH", &["x"]), Err(BuildError::HeaderSegment));
    assert_eq!(buf.push_segment_raw(b"FHS|^~\\&"), Ok(()), "raw segments are the caller's business");
}

#[test]
fn no_escape_character_refuses_values_that_need_escaping() {
    let (d, _) = Delimiters::from_header(b"MSH|^~|").unwrap();
    let mut buf = MessageBuf::new(d);
    assert_eq!(buf.set("PID-3", "a^b"), Err(BuildError::CannotEscape));
    assert_eq!(buf.set("PID-3", "a\\b&c"), Ok(()), "backslash and & are plain data here");
    assert_eq!(buf.set("PID-3.1.2", "x"), Err(BuildError::NoSubcomponentSeparator));
    buf.set("PID-3.1.1", "whole component").unwrap();
    assert_eq!(buf.to_bytes(), b"MSH|^~\rPID|||whole component\r");
}

#[test]
fn raw_values_are_checked_against_their_level() {
    let mut buf = MessageBuf::new(Delimiters::default());
    assert_eq!(buf.set_raw("PID-3", "a|b"), Err(BuildError::RawDelimiter));
    assert_eq!(buf.set_raw("PID-3[1]", "a~b"), Err(BuildError::RawDelimiter));
    assert_eq!(buf.set_raw("PID-3.1", "a^b"), Err(BuildError::RawDelimiter));
    assert_eq!(buf.set_raw("PID-3.1.1", "a&b"), Err(BuildError::RawDelimiter));
    assert_eq!(buf.set_raw("PID-3.1", "a\nb"), Err(BuildError::RawTerminator));
    buf.set_raw("PID-3.1", "a&b\\F\\").unwrap();
    let bytes = buf.to_bytes();
    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(&*msg.query("PID-3.1.2").unwrap().unwrap().to_cow(), b"b|");
}

#[test]
fn segments_are_pushed_inserted_and_removed() {
    let mut buf = MessageBuf::new(Delimiters::default());
    buf.push_segment("PID", &["1"]).unwrap();
    buf.push_segment("OBX", &["1"]).unwrap();
    buf.push_segment("OBX", &["2"]).unwrap();
    buf.insert_segment(3, "PV1", &["1", "I"]).unwrap();
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&\rPID|1\rPV1|1|I\rOBX|1\rOBX|2\r");
    buf.insert_segment(6, "ZZ1", &[] as &[&str]).unwrap();
    assert_eq!(buf.segments().last().unwrap(), b"ZZ1");
    buf.remove_segment("OBX", 2).unwrap();
    buf.remove_segment("ZZ1", 1).unwrap();
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&\rPID|1\rPV1|1|I\rOBX|1\r");
    assert_eq!(buf.insert_segment(2, "pv1", &["1"]), Err(BuildError::InvalidSegmentId));
    assert_eq!(buf.push_segment("P1", &["1"]), Err(BuildError::InvalidSegmentId));
}

#[test]
fn repetitions_are_pushed_and_removed() {
    let mut buf = MessageBuf::new(Delimiters::default());
    assert_eq!(buf.remove_repetition("PID-3[1]"), Err(BuildError::NotFound));
    assert_eq!(buf.segment_count(), 1);
    buf.push_repetition("PID-3", "A").unwrap();
    buf.push_repetition("PID-3", "B").unwrap();
    buf.push_repetition("PID-3", "C").unwrap();
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&\rPID|||A~B~C\r");
    buf.remove_repetition("PID-3[1]").unwrap();
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&\rPID|||B~C\r");
    buf.remove_repetition("PID-3[2]").unwrap();
    buf.remove_repetition("PID-3[1]").unwrap();
    assert_eq!(buf.to_bytes(), b"MSH|^~\\&\rPID|||\r");
    assert_eq!(buf.push_repetition("PID-3[1]", "x"), Err(BuildError::ExpectedField));
    assert_eq!(buf.remove_repetition("PID-3"), Err(BuildError::ExpectedRepetition));
    assert_eq!(buf.remove_repetition("PID-3[1].1"), Err(BuildError::ExpectedRepetition));
}

#[test]
fn terminators_are_chosen_on_output() {
    let mut buf = MessageBuf::new(Delimiters::default());
    buf.push_segment("PID", &["1"]).unwrap();
    assert_eq!(buf.to_bytes_with(Terminator::CrLf), b"MSH|^~\\&\r\nPID|1\r\n");
    let mut out = Vec::new();
    buf.write_to_with(&mut out, Terminator::Lf).unwrap();
    assert_eq!(out, b"MSH|^~\\&\nPID|1\n");
}

#[test]
fn control_bytes_are_hex_escaped() {
    let mut buf = MessageBuf::new(Delimiters::default());
    buf.set("ZZ1-1", "\x0bstart\x1b$B end\x1c").unwrap();
    let bytes = buf.to_bytes();
    assert_eq!(bytes, b"MSH|^~\\&\rZZ1|\\X0B\\start\\X1B\\$B end\\X1C\\\r");
    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(&*msg.query("ZZ1-1").unwrap().unwrap().to_cow(), b"\x0bstart\x1b$B end\x1c");
}

#[test]
fn custom_delimiters_are_used_for_escaping() {
    let (d, _) = Delimiters::from_header(b"MSH#!@%*#").unwrap();
    let mut buf = MessageBuf::new(d);
    buf.set("PID-5.1", "a#b!c|d").unwrap();
    let bytes = buf.to_bytes();
    assert_eq!(bytes, b"MSH#!@%*\rPID#####a%F%b%S%c|d\r");
    let msg = Message::parse(&bytes).unwrap();
    assert_eq!(&*msg.query("PID-5.1").unwrap().unwrap().to_cow(), b"a#b!c|d");
}

#[test]
fn debug_shows_shape_not_content() {
    let mut buf = MessageBuf::new(Delimiters::default());
    buf.set("PID-5", "SECRETNAME").unwrap();
    let text = format!("{buf:?}");
    assert!(text.contains("PID") && !text.contains("SECRETNAME"), "{text}");
}

fn corpus_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for p in entries.filter_map(Result::ok).map(|e| e.path()) {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "hl7") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus"), &mut out);
    out.sort();
    out
}

/// An unedited copy writes back each segment byte for byte; for files with CR after every segment
/// and nothing before or after the message, the whole output equals the input.
#[test]
fn unedited_copy_reproduces_the_corpus() {
    let mut exact = 0;
    let mut checked = 0;
    for path in corpus_files() {
        let input = std::fs::read(&path).unwrap();
        let Ok(msg) = Message::parse(&input) else { continue };
        let buf = MessageBuf::from_message(&msg);
        assert_eq!(buf.segment_count(), msg.segment_count(), "{}", path.display());
        for (a, b) in buf.segments().zip(msg.segments()) {
            assert_eq!(a, b.as_bytes(), "{}", path.display());
        }
        checked += 1;
        let notes = msg.notes();
        let t = notes.terminators;
        if !t.lf && !t.crlf && !t.missing_final && notes.leading.is_none() && notes.trailing.is_none() {
            let all_single = msg.segments().all(|s| s.terminator() == b"\r");
            if all_single {
                assert_eq!(buf.to_bytes(), input, "{}", path.display());
                exact += 1;
            }
        }
    }
    assert!(checked >= 40, "corpus found: {checked} messages");
    assert!(exact >= 20, "CR-only corpus files compared whole: {exact}");
}

/// Edits leave the other segments byte-identical, even odd ones (malformed escapes, trailing spaces).
#[test]
fn edits_keep_untouched_segments_exact() {
    let input = b"MSH|^~\\&|A\rNTE|1||odd \\ escape \\Q\\  \rPID|1||X\rZZ1|a\\E\\R\\\r";
    let mut buf = MessageBuf::from_message(&Message::parse(input).unwrap());
    buf.set("PID-3", "Y").unwrap();
    let out = buf.to_bytes();
    assert_eq!(out, b"MSH|^~\\&|A\rNTE|1||odd \\ escape \\Q\\  \rPID|1||Y\rZZ1|a\\E\\R\\\r");
}

#[derive(Debug, Clone)]
struct Edit {
    path: String,
    value: String,
}

/// A path: a segment from a small set (so edits collide), a field, and optional deeper levels.
fn path_strategy() -> impl Strategy<Value = String> {
    let seg = prop_oneof![Just("PID"), Just("OBX"), Just("ZZ1"), Just("MSH")];
    (seg, 1usize..3, 1usize..8, proptest::option::of(1usize..4), 0usize..3, 1usize..4, 1usize..3).prop_map(
        |(seg, seg_index, field, rep, depth, comp, sub)| {
            let mut p = String::from(seg);
            let field = if seg == "MSH" {
                // MSH-1/2 are refused (tested elsewhere); MSH-18 could declare a charset that
                // changes how the message is scanned.
                [3, 4, 5, 6, 7, 8, 10, 11, 12][field % 9]
            } else {
                field
            };
            if seg != "MSH" && seg_index > 1 {
                let _ = write!(p, "[{seg_index}]");
            }
            let _ = write!(p, "-{field}");
            if let Some(r) = rep {
                let _ = write!(p, "[{r}]");
            }
            if depth >= 1 {
                let _ = write!(p, ".{comp}");
            }
            if depth >= 2 {
                let _ = write!(p, ".{sub}");
            }
            p
        },
    )
}

fn value_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-c|^~\\\\&#\r\n \"]{0,12}",
        proptest::collection::vec(
            prop_oneof![Just("\\"), Just("|"), Just("\r\n"), Just("\\E\\"), Just("x"), Just("\u{1c}")],
            0..6
        )
        .prop_map(|v| v.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn values_set_read_back(
        edits in proptest::collection::vec((path_strategy(), value_strategy()).prop_map(|(path, value)| Edit { path, value }), 1..12),
        delimiters in prop_oneof![Just(&b"MSH|^~\\&|"[..]), Just(&b"MSH#!@%*#"[..]), Just(&b"MSH|^~\\&#|"[..])],
    ) {
        let (d, _) = Delimiters::from_header(delimiters).unwrap();
        let mut buf = MessageBuf::with_header(d, &["ADT", "A01"], "1", "2.5.1").unwrap();
        let mut done: Vec<(hl7_core::Path, String)> = Vec::new();
        for e in &edits {
            buf.set(e.path.as_str(), &e.value).unwrap();
            let path: hl7_core::Path = e.path.parse().unwrap();
            done.retain(|(p, _)| !p.overlaps(&path));
            done.push((path, e.value.clone()));
        }
        for terminator in [Terminator::Cr, Terminator::Lf, Terminator::CrLf] {
            let bytes = buf.to_bytes_with(terminator);
            let msg = Message::parse(&bytes).unwrap();
            prop_assert_eq!(msg.segment_count(), buf.segment_count());
            for (path, value) in &done {
                let got = msg.get(path).map(|v| v.to_cow().into_owned());
                prop_assert_eq!(got.as_deref(), Some(value.as_bytes()), "path {}", path);
            }
        }
    }
}

#[test]
fn huge_path_numbers_are_refused_not_allocated() {
    let mut buf = MessageBuf::new(Delimiters::default());
    for path in ["PID[999999999]-1", "PID-999999999", "PID-3[999999999]", "PID-3.999999999", "PID-3.1.999999999"] {
        assert!(matches!(buf.set(path, "x"), Err(BuildError::LimitExceeded { .. })), "{path}");
    }
    assert_eq!(buf.segment_count(), 1);
    assert!(!BuildError::LimitExceeded { limit: hl7_core::Limit::Fields, configured: 1 }.to_string().is_empty());
}

/// Regression (fuzz target `edit`, 30-minute run): a header segment inside a message whose byte
/// after the id is not the field separator (`BHS#^~|B3` in a `|` message). The parser takes that
/// byte as BHS-1 and runs BHS-2 to the first separator, so BHS-3 is `B3`; the builder counted one
/// field further and wrote BHS-3 where the parser reads BHS-4.
#[test]
fn header_segment_with_another_separator_is_numbered_like_the_parser() {
    let input = b"MSH|^~\\&|A\rBHS#^~|B3|B4\rBHS\rPID|1\r";
    let msg = Message::parse(input).unwrap();
    assert_eq!(msg.query("BHS-3").unwrap().unwrap().as_bytes(), b"B3");
    let mut buf = MessageBuf::from_message(&msg);
    buf.set("BHS-3", "new").unwrap();
    buf.set("BHS-5.2", "x").unwrap();
    buf.set("BHS[2]-3", "c").unwrap();
    buf.push_repetition("BHS-4", "r").unwrap();
    let bytes = buf.to_bytes();
    assert_eq!(bytes, b"MSH|^~\\&|A\rBHS#^~|new|B4~r|^x\rBHS||c\rPID|1\r");
    let back = Message::parse(&bytes).unwrap();
    for (path, want) in [("BHS-3", &b"new"[..]), ("BHS-4[2]", b"r"), ("BHS-5.2", b"x"), ("BHS[2]-3", b"c")] {
        assert_eq!(back.query(path).unwrap().map(|v| v.as_bytes()), Some(want), "{path}");
    }
    buf.remove_repetition("BHS-4[1]").unwrap();
    assert_eq!(Message::parse(&buf.to_bytes()).unwrap().query("BHS-4").unwrap().unwrap().as_bytes(), b"r");
}

#[test]
fn paths_built_as_values_edit_like_text_paths() {
    use hl7_core::Path;
    let mut a = MessageBuf::new(Delimiters::default());
    let mut b = MessageBuf::new(Delimiters::default());
    a.set("ERR-2.1", "PID").unwrap();
    b.set(Path::new(b"ERR").field(2).component(1), "PID").unwrap();
    assert_eq!(a.to_bytes(), b.to_bytes());
    // `[*]` names many places: an edit refuses it.
    let all = Path::new(b"PID").field(3).all_repetitions();
    assert_eq!(b.set(all, "x").unwrap_err(), BuildError::AllRepetitions);
    assert_eq!(b.set(all.component(1), "x").unwrap_err(), BuildError::AllRepetitions);
    assert_eq!(b.push_repetition(all, "x").unwrap_err(), BuildError::ExpectedField);
    assert_eq!(b.remove_repetition(all).unwrap_err(), BuildError::ExpectedRepetition);
    assert_eq!(a.to_bytes(), b.to_bytes());
}
