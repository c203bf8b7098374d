//! Hostile inputs, one named test (or more) per class of RELIABILITY.md that hl7-core covers today;
//! the class number is in each test's name. Each asserts the typed error kind and offset, or the
//! documented lenient result (see `ParseOptions`, `ParseNotes`, the `escape` and `mllp` module docs).
//! Fuzz crashes become `regression_*` tests here.

use hl7_core::mllp::{self, Decoder, DecoderOptions, EndPolicy, JunkPolicy, MllpError, MllpErrorKind, Status};
use hl7_core::types::{Dt, Dtm, Nm, TypeErrorKind};
use hl7_core::{
    check_escapes, escape, unescape, unescape_to_vec, Batch, BatchEntry, Charset, Chunk, Delimiters, Encoding,
    ErrorKind, Limit, Limits, Message, ParseError, ParseOptions,
};

const HEAD: &[u8] = b"MSH|^~\\&|A\r";

fn err(input: &[u8]) -> ParseError {
    Message::parse(input).unwrap_err()
}

fn err_strict(input: &[u8]) -> ParseError {
    Message::parse_with(input, &ParseOptions::strict()).unwrap_err()
}

fn kind_at(e: ParseError) -> (ErrorKind, usize) {
    (e.kind(), e.offset())
}

fn with_head(rest: &[u8]) -> Vec<u8> {
    [HEAD, rest].concat()
}

fn written(msg: &Message<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    msg.write(|b| out.extend_from_slice(b));
    out
}

fn limit(limit: Limit, configured: usize) -> ErrorKind {
    ErrorKind::LimitExceeded { limit, configured }
}

// ---------------------------------------------------------------- class 1: degenerate headers

#[test]
fn class01_empty_input() {
    assert_eq!(kind_at(err(b"")), (ErrorKind::Empty, 0));
    assert_eq!(kind_at(err(b"\r\n \t\x0b\x1c\r")), (ErrorKind::Empty, 0));
    assert_eq!(kind_at(err_strict(b"")), (ErrorKind::Empty, 0));
}

#[test]
fn class01_no_header() {
    assert_eq!(kind_at(err(b"PID|1||123\rPV1|1\r")), (ErrorKind::NoHeader, 0));
    assert_eq!(kind_at(err(b"msh|^~\\&|A\r")), (ErrorKind::NoHeader, 0));
    assert_eq!(kind_at(err(b"hello world")), (ErrorKind::NoHeader, 0));
}

#[test]
fn class01_mshh0() {
    assert_eq!(kind_at(err(b"MSHH0\r")), (ErrorKind::InvalidFieldSeparator, 3));
    assert_eq!(kind_at(err_strict(b"MSHH0\r")), (ErrorKind::InvalidFieldSeparator, 3));
}

#[test]
fn class01_header_shorter_than_its_encoding_characters() {
    assert_eq!(kind_at(err(b"MSH")), (ErrorKind::HeaderTooShort, 3));
    assert_eq!(kind_at(err(b"MSH|")), (ErrorKind::HeaderTooShort, 4));
    assert_eq!(kind_at(err(b"MSH||")), (ErrorKind::TooFewEncodingCharacters, 4));
    // Offsets count from the start of the input, past leading junk.
    assert_eq!(kind_at(err(b"junk MSH|")), (ErrorKind::HeaderTooShort, 9));
}

// ---------------------------------------------------------------- class 2: degenerate delimiters

#[test]
fn class02_single_encoding_character_does_not_hang() {
    // Hung a .NET parser forever.
    let input = b"MSH|^|||||||^A|||2.2\r^AA";
    assert_eq!(kind_at(err(input)), (ErrorKind::TooFewEncodingCharacters, 5));
    assert_eq!(kind_at(err_strict(input)), (ErrorKind::TooFewEncodingCharacters, 5));
}

#[test]
fn class02_duplicate_delimiters_strict_error_lenient_repair() {
    let input = b"MSH|^^~\\&|A\rPID|1||a~b\r";
    assert_eq!(kind_at(err_strict(input)), (ErrorKind::DuplicateDelimiter, 5));
    let msg = Message::parse(input).unwrap();
    assert_eq!(msg.delimiters(), Delimiters::default());
    assert_eq!(msg.notes().encoding_repair, Some(5));
    assert_eq!(msg.query("PID-3[2]").unwrap().unwrap().as_bytes(), b"b");
    // Field separator repeated in MSH-2 (lenient: MSH-2 ends there; strict as well).
    assert_eq!(Delimiters::new(b'|', b"^|").unwrap_err().kind(), ErrorKind::DuplicateDelimiter);
}

#[test]
fn class02_control_bytes_as_delimiters() {
    assert_eq!(kind_at(err(b"MSH\x01^~\\&\x01A\r")), (ErrorKind::InvalidFieldSeparator, 3));
    assert_eq!(kind_at(err(b"MSH|^\x01\\&|A\r")), (ErrorKind::InvalidEncodingCharacter, 5));
    assert_eq!(kind_at(err(b"MSH|^~\\\x00|A\r")), (ErrorKind::InvalidEncodingCharacter, 7));
    assert_eq!(kind_at(err(b"MSH|^~\x80&|A\r")), (ErrorKind::InvalidEncodingCharacter, 6));
}

#[test]
fn class02_delimiter_equal_to_the_segment_terminator() {
    assert_eq!(kind_at(err(b"MSH\r^~\\&\rPID\r")), (ErrorKind::InvalidFieldSeparator, 3));
    assert_eq!(kind_at(err(b"MSH\n^~\\&\n")), (ErrorKind::InvalidFieldSeparator, 3));
    // A CR right after one encoding character ends MSH-2 there.
    assert_eq!(kind_at(err(b"MSH|^\r~\\&|A\r")), (ErrorKind::TooFewEncodingCharacters, 5));
    assert_eq!(Delimiters::new(b'|', b"^\r").unwrap_err().kind(), ErrorKind::InvalidEncodingCharacter);
}

#[test]
fn class02_fifth_truncation_character_is_accepted() {
    let input = b"MSH|^~\\&#|A|||||||||2.7\rOBX|1|ST|||cut#\rNTE|1||\\P\\\r";
    for opts in [ParseOptions::default(), ParseOptions::strict()] {
        let msg = Message::parse_with(input, &opts).unwrap();
        assert_eq!(msg.delimiters().truncation(), Some(b'#'));
        assert_eq!(msg.query("MSH-2").unwrap().unwrap().as_bytes(), b"^~\\&#");
        // '#' is not a separator: OBX-5 is one value.
        assert_eq!(msg.query("OBX-5").unwrap().unwrap().as_bytes(), b"cut#");
        assert_eq!(&*msg.query("NTE-3").unwrap().unwrap().to_cow(), b"#");
    }
    // A sixth character is too many (strict); lenient reads the first four.
    assert_eq!(kind_at(err_strict(b"MSH|^~\\&#!|A\r")), (ErrorKind::TooManyEncodingCharacters, 9));
    let msg = Message::parse(b"MSH|^~\\&#!|A\r").unwrap();
    assert_eq!((msg.delimiters().subcomponent(), msg.delimiters().truncation()), (Some(b'&'), None));
    assert_eq!(msg.notes().encoding_repair, Some(8));
}

// ---------------------------------------------------------------- class 3: escapes

fn decoded(raw: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    let mut malformed = Vec::new();
    for c in unescape(raw, &Delimiters::default()) {
        if let Chunk::Malformed { offset, .. } = c {
            malformed.push(offset);
        }
        c.with_bytes(|b| out.extend_from_slice(b));
    }
    (out, malformed)
}

#[test]
fn class03_lone_escape_character_is_kept_and_reported() {
    assert_eq!(decoded(b"a\\b"), (b"a\\b".to_vec(), vec![1]));
    assert_eq!(decoded(b"\\"), (b"\\".to_vec(), vec![0]));
    let e = check_escapes(b"abc\\", &Delimiters::default()).unwrap_err();
    assert_eq!(kind_at(e), (ErrorKind::MalformedEscape, 3));
}

#[test]
fn class03_unterminated_e() {
    assert_eq!(decoded(b"x\\E"), (b"x\\E".to_vec(), vec![1]));
}

#[test]
fn class03_e_escape_at_field_end() {
    // HL7-dotnetcore #113 threw here.
    let input = with_head(b"OBX|1|ST|||abc\\E\\\r");
    let msg = Message::parse(&input).unwrap();
    let v = msg.query("OBX-5").unwrap().unwrap();
    assert_eq!(&*v.to_cow(), b"abc\\");
    assert!(v.unescape().all(|c| !matches!(c, Chunk::Malformed { .. })));
}

#[test]
fn class03_e_then_r_is_never_a_repetition() {
    // python-hl7 #84 decoded `\E\R\` to `\R`. Left to right: `\E\` is `\`, then `R`, then a lone `\`.
    assert_eq!(decoded(b"\\E\\R\\"), (b"\\R\\".to_vec(), vec![4]));
    let input = with_head(b"NTE|1||\\E\\R\\E\\\r");
    let msg = Message::parse(&input).unwrap();
    let v = msg.query("NTE-3").unwrap().unwrap();
    assert_eq!(&*v.to_cow(), b"\\R\\");
    assert_eq!(msg.segment(b"NTE").unwrap().field(3).unwrap().repetitions().count(), 1);
}

#[test]
fn class03_adjacent_hex_escapes_keep_every_byte() {
    // ruby-hl7 #80 collapsed a backslash here.
    assert_eq!(decoded(b"\\X0D\\\\X0A\\"), (b"\r\n".to_vec(), vec![]));
    assert_eq!(decoded(b"\\X00\\"), (vec![0], vec![]));
    assert_eq!(decoded(b"\\X414243\\"), (b"ABC".to_vec(), vec![]));
}

#[test]
fn class03_odd_non_hex_unknown_and_empty_escapes_are_kept_verbatim() {
    for raw in [&b"\\X0\\"[..], b"\\XZZ\\", b"\\X\\", b"\\Q\\", b"\\\\", b"\\C12\\", b"\\M12345\\"] {
        assert_eq!(decoded(raw), (raw.to_vec(), vec![0]), "{}", String::from_utf8_lossy(raw));
        assert_eq!(kind_at(check_escapes(raw, &Delimiters::default()).unwrap_err()), (ErrorKind::MalformedEscape, 0));
    }
    // Offsets of a malformed escape inside a message are message offsets.
    let input = with_head(b"OBX|1|ST|||ok\\XZZ\\\r");
    let msg = Message::parse(&input).unwrap();
    let obx5 = msg.segment(b"OBX").unwrap().field(5).unwrap();
    let e = obx5.check_escapes().unwrap_err();
    assert_eq!(kind_at(e), (ErrorKind::MalformedEscape, obx5.offset() + 2));
    assert_eq!(&*obx5.to_cow(), b"ok\\XZZ\\");
}

#[test]
fn class03_formatting_escapes_are_kept_verbatim() {
    for raw in [&b"\\.br\\"[..], b"\\H\\", b"\\N\\", b"\\C2842\\", b"\\M244200\\", b"\\Zlocal\\", b"\\.sp2\\"] {
        let chunks: Vec<_> = unescape(raw, &Delimiters::default()).collect();
        assert_eq!(chunks, [Chunk::Verbatim(raw)]);
        assert!(check_escapes(raw, &Delimiters::default()).is_ok());
    }
}

/// Found by the escape and roundtrip fuzz targets once `escape()` took over the builder's rule for
/// the framing bytes: without an escape character they cannot be written, so escaping refuses
/// them at their offset (as it refuses a delimiter), never passing them through raw.
#[test]
fn regression_escape_refuses_framing_bytes_without_an_escape_character() {
    let (no_escape, _) = Delimiters::from_header(b"MSH|^~").unwrap();
    assert!(no_escape.escape().is_none());
    for (value, at) in [(&b"ab\x0b"[..], 2), (b"\x1bX", 0), (b"a\x1c", 1)] {
        let e = escape(value, &no_escape).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::CannotEscape, at));
    }
    assert_eq!(&*escape(b"a\x0bb\x1c", &Delimiters::default()).unwrap(), b"a\\X0B\\b\\X1C\\");
}

#[test]
fn class03_escape_round_trips_every_byte() {
    let d = Delimiters::default();
    let all: Vec<u8> = (0..=255).collect();
    let e = escape(&all, &d).unwrap();
    assert!(!e.iter().any(|&b| matches!(b, b'|' | b'^' | b'~' | b'&' | b'\r' | b'\n')));
    assert_eq!(unescape_to_vec(&e, &d), all);
    let no_escape = Delimiters::new(b'|', b"^~").unwrap();
    assert_eq!(kind_at(escape(b"ab|c", &no_escape).unwrap_err()), (ErrorKind::CannotEscape, 2));
}

// ---------------------------------------------------------------- class 4: terminators

fn ids(msg: &Message<'_>) -> Vec<String> {
    msg.segments().map(|s| s.id_str().to_owned()).collect()
}

#[test]
fn class04_cr_lf_crlf_mixed_and_missing_final() {
    for (input, cr, lf, crlf, missing) in [
        (&b"MSH|^~\\&|A\rPID|1\rNTE|1\r"[..], true, false, false, false),
        (b"MSH|^~\\&|A\nPID|1\nNTE|1\n", false, true, false, false),
        (b"MSH|^~\\&|A\r\nPID|1\r\nNTE|1\r\n", false, false, true, false),
        (b"MSH|^~\\&|A\rPID|1\nNTE|1\r\n", true, true, true, false),
        (b"MSH|^~\\&|A\rPID|1\rNTE|1", true, false, false, true),
    ] {
        let msg = Message::parse(input).unwrap();
        assert_eq!(ids(&msg), ["MSH", "PID", "NTE"]);
        assert_eq!(msg.segment_count(), 3);
        let t = msg.notes().terminators;
        assert_eq!((t.cr, t.lf, t.crlf, t.missing_final), (cr, lf, crlf, missing));
        assert_eq!(written(&msg), input);
        // No segment holds a line break.
        assert!(msg.segments().all(|s| !s.as_bytes().iter().any(|&b| b == b'\r' || b == b'\n')));
    }
}

#[test]
fn class04_strict_terminator_errors_with_offsets() {
    assert_eq!(kind_at(err_strict(b"MSH|^~\\&|A\nPID|1\n")), (ErrorKind::UnexpectedTerminator, 10));
    let mut opts = ParseOptions::default();
    opts.allow_mixed_terminators = false;
    let e = Message::parse_with(b"MSH|^~\\&|A\rPID|1\nNTE|1\r", &opts).unwrap_err();
    assert_eq!(kind_at(e), (ErrorKind::MixedTerminators, 16));
}

#[test]
fn class04_blank_lines_and_continuation_lines_lose_nothing() {
    let input = b"MSH|^~\\&|A\r\r\n\rNTE|1||first line\nsecond line\rPID|1\r";
    let msg = Message::parse(input).unwrap();
    assert_eq!(ids(&msg), ["MSH", "NTE", "PID"]);
    assert_eq!(msg.notes().continuation_lines, 1);
    assert_eq!(msg.notes().first_continuation, Some(32));
    assert_eq!(msg.query("NTE-3").unwrap().unwrap().as_bytes(), b"first line\nsecond line");
    assert_eq!(written(&msg), input);
    // Strict: the continuation line is the first refusal (only a segment's first line break sets
    // its terminator style).
    assert_eq!(kind_at(err_strict(input)), (ErrorKind::NotASegment, 32));
    let mut no_cont = ParseOptions::default();
    no_cont.allow_continuation_lines = false;
    assert_eq!(kind_at(Message::parse_with(input, &no_cont).unwrap_err()), (ErrorKind::NotASegment, 32));
}

// ---------------------------------------------------------------- class 5: MLLP bytes in a payload

#[test]
fn class05_mllp_control_bytes_inside_a_message_are_data() {
    let input = with_head(b"PID|1||a\x0bb\x1cc\rNTE|1\r");
    let msg = Message::parse(&input).unwrap();
    assert_eq!(msg.segment_count(), 3);
    assert_eq!(msg.query("PID-3").unwrap().unwrap().as_bytes(), b"a\x0bb\x1cc");
    assert_eq!(written(&msg), input);
}

#[test]
fn class05_mllp_framing_around_a_message_is_noted_not_lost() {
    let input = b"\x0bMSH|^~\\&|A\rPID|1\r\x1c\r";
    let msg = Message::parse(input).unwrap();
    assert_eq!(msg.segment_count(), 2);
    assert_eq!(msg.notes().leading.map(|s| (s.offset, s.len)), Some((0, 1)));
    assert_eq!(msg.notes().trailing.map(|s| (s.offset, s.len)), Some((18, 2)));
    assert_eq!(written(&msg), input);
    assert_eq!(kind_at(err_strict(input)), (ErrorKind::LeadingJunk, 0));
}

#[test]
fn class05_mllp_payload_with_control_bytes() {
    assert_eq!(mllp::encode(b"MSH|a\x0bb").unwrap_err(), MllpError::new(MllpErrorKind::ForbiddenByte, 5));
    assert_eq!(mllp::encode(b"MSH|\x1c").unwrap_err(), MllpError::new(MllpErrorKind::ForbiddenByte, 4));
    let mut d = Decoder::new();
    assert_eq!(
        d.decode(b"\x0bMSH|a\x0bMSH|\x1c\r"),
        Err(MllpError::new(MllpErrorKind::UnexpectedStartBlock { frame_offset: 0 }, 6))
    );
}

// ---------------------------------------------------------------- class 6: segments kept, batches

#[test]
fn class06_unknown_z_and_out_of_structure_segments_are_kept() {
    let input = with_head(b"PID|1\rZPD|z\rOBX|1\rDG1|1\rXYZ|unknown\rIN1|1\rZ01\rPV1|1\r");
    let msg = Message::parse(&input).unwrap();
    assert_eq!(ids(&msg), ["MSH", "PID", "ZPD", "OBX", "DG1", "XYZ", "IN1", "Z01", "PV1"]);
    assert_eq!(msg.query("XYZ-1").unwrap().unwrap().as_bytes(), b"unknown");
    assert_eq!(msg.segment(b"Z01").unwrap().field_count(), 0);
}

#[test]
fn class06_batch_envelopes() {
    let file = b"FHS|^~\\&|F\rBHS|^~\\&|B\rMSH|^~\\&|A\rPID|1\rMSH|^~\\&|B\rZPD|2\rBTS|2\rFTS|1\r";
    let items: Vec<_> = Batch::new(file).entries().collect::<Result<_, _>>().unwrap();
    let kinds: Vec<&str> = items
        .iter()
        .map(|i| match i {
            BatchEntry::FileHeader(_) => "FHS",
            BatchEntry::BatchHeader(_) => "BHS",
            BatchEntry::Message(_) => "MSG",
            BatchEntry::BatchTrailer(_) => "BTS",
            BatchEntry::FileTrailer(_) => "FTS",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["FHS", "BHS", "MSG", "MSG", "BTS", "FTS"]);
    let BatchEntry::Message(second) = items[3] else { panic!("message expected") };
    assert_eq!((second.offset(), second.segment_count()), (39, 2));
}

#[test]
fn class06_batch_count_mismatch_is_an_error_item_and_iteration_goes_on() {
    let file = b"BHS|^~\\&\rMSH|^~\\&|A\rBTS|5\rFTS|1\r";
    let items: Vec<_> = Batch::new(file).entries().collect();
    assert_eq!(items.len(), 5);
    let e = items[2].as_ref().unwrap_err();
    assert_eq!(kind_at(*e), (ErrorKind::BatchCountMismatch { declared: 5, found: 1 }, 24));
    assert!(matches!(items[3], Ok(BatchEntry::BatchTrailer(_))));
    assert!(matches!(items[4], Ok(BatchEntry::FileTrailer(_))));
}

#[test]
fn class06_batch_junk_after_mismatched_trailer_is_reported() {
    // Same file with a correct and a wrong BTS-1: the line after the trailer must be reported
    // (Skipped 26+10) in both cases. Fuzz input: batch crash-5f56ca20 (bytes 894..1103 in no item).
    let good = b"BHS|^~\\&\rMSH|^~\\&|A\rBTS|1\rjunk line\rFTS|1\r";
    let bad = b"BHS|^~\\&\rMSH|^~\\&|A\rBTS|5\rjunk line\rFTS|1\r";
    for (file, errors) in [(&good[..], 0), (&bad[..], 1)] {
        let items: Vec<_> = Batch::new(file).entries().collect();
        assert_eq!(items.iter().filter(|i| i.is_err()).count(), errors);
        let skipped: Vec<_> = items
            .iter()
            .filter_map(|i| match i {
                Ok(BatchEntry::Skipped(s)) => Some((s.offset, s.len)),
                _ => None,
            })
            .collect();
        assert_eq!(skipped, [(26, 10)], "errors: {errors}");
    }
}

// ---------------------------------------------------------------- class 7: size bombs

#[test]
fn class07_a_million_repetitions() {
    let mut input = with_head(b"PID|1||");
    input.extend(b"a~".repeat(1_000_000));
    input.push(b'\r');
    let e = err(&input);
    assert_eq!(kind_at(e), (limit(Limit::Repetitions, 10_000), 18 + 2 * 10_000));
}

#[test]
fn class07_a_million_components() {
    let mut input = with_head(b"PID|1||");
    input.extend(b"a^".repeat(1_000_000));
    input.push(b'\r');
    assert_eq!(kind_at(err(&input)), (limit(Limit::Components, 1_000), 18 + 2 * 1_000));
}

#[test]
fn class07_a_million_subcomponents_and_fields() {
    let mut input = with_head(b"PID|1||");
    input.extend(b"a&".repeat(1_000_000));
    assert_eq!(kind_at(err(&input)), (limit(Limit::Subcomponents, 1_000), 18 + 2 * 1_000));
    let mut input = with_head(b"PID");
    input.extend(b"|a".repeat(1_000_000));
    assert_eq!(kind_at(err(&input)), (limit(Limit::Fields, 2_000), 15 + 2 * 2_000));
}

#[test]
fn class07_a_hundred_thousand_segments() {
    let mut input = HEAD.to_vec();
    input.extend(b"NTE|1\r".repeat(100_000));
    // MSH is segment 1, so the 50 001st segment is the 50 000th NTE.
    assert_eq!(kind_at(err(&input)), (limit(Limit::Segments, 50_000), 11 + 6 * 49_999));
    let mut large = ParseOptions::default();
    large.limits = Limits::large();
    assert_eq!(Message::parse_with(&input, &large).unwrap().segment_count(), 100_001);
}

#[test]
fn class07_a_64_mib_obx5() {
    let mut input = with_head(b"OBX|1|ED|PDF||^application^pdf^Base64^");
    let field_at = input.len() - "^application^pdf^Base64^".len();
    input.resize(input.len() + (64 << 20), b'A');
    input.push(b'\r');
    assert_eq!(kind_at(err(&input)), (limit(Limit::MessageBytes, 10 << 20), 10 << 20));
    // With room for the message, the field limit still holds.
    let mut opts = ParseOptions::default();
    opts.limits.max_message_bytes = 128 << 20;
    let e = Message::parse_with(&input, &opts).unwrap_err();
    assert_eq!(kind_at(e), (limit(Limit::FieldBytes, 10 << 20), field_at + (10 << 20)));
}

#[test]
fn class07_limits_are_capped_by_the_ceiling() {
    let mut opts = ParseOptions::default();
    opts.limits.max_message_bytes = usize::MAX;
    opts.limits.max_repetitions = 2;
    assert_eq!(opts.limits.effective().max_message_bytes, Limits::CEILING.max_message_bytes);
    let e = Message::parse_with(&with_head(b"PID|1||a~b~c\r"), &opts).unwrap_err();
    assert_eq!(kind_at(e), (limit(Limit::Repetitions, 2), 22));
}

// ---------------------------------------------------------------- class 8: encodings

#[test]
fn class08_invalid_utf8_and_nul_bytes_are_kept() {
    let input = with_head(b"PID|1||a\x00b||\xff\x80\xc3\r");
    let msg = Message::parse(&input).unwrap();
    assert_eq!(msg.query("PID-3").unwrap().unwrap().as_bytes(), b"a\x00b");
    assert_eq!(msg.query("PID-5").unwrap().unwrap().as_bytes(), b"\xff\x80\xc3");
    let r = msg.charset_report();
    assert!(!r.utf8_valid && r.has_non_ascii && !r.mismatch);
    assert_eq!(written(&msg), input);
}

#[test]
fn class08_utf8_bom() {
    let input = b"\xEF\xBB\xBFMSH|^~\\&|A\rPID|1\r";
    for opts in [ParseOptions::default(), ParseOptions::strict()] {
        let msg = Message::parse_with(input, &opts).unwrap();
        assert!(msg.notes().bom);
        assert_eq!(msg.notes().leading.map(|s| (s.offset, s.len)), Some((0, 3)));
        assert_eq!((msg.header_offset(), msg.segment_count()), (3, 2));
        assert_eq!(written(&msg), input);
    }
}

#[test]
fn class08_msh18_that_disagrees_with_the_bytes() {
    let ascii = "MSH|^~\\&|A|||||||||2.5||||||ASCII\rPID|1||||Müller\r".as_bytes();
    let r = Message::parse(ascii).unwrap().charset_report();
    assert_eq!(r.declared, Some(Charset::Ascii));
    assert!(r.mismatch);
    let utf8 = b"MSH|^~\\&|A|||||||||2.5||||||UNICODE UTF-8\rPID|1||||M\xfcller\r";
    let r = Message::parse(utf8).unwrap().charset_report();
    assert_eq!(r.declared, Some(Charset::Utf8));
    assert!(r.mismatch && !r.utf8_valid);
    let unknown = b"MSH|^~\\&|A|||||||||2.5||||||EBCDIC\rPID|1\r";
    let r = Message::parse(unknown).unwrap().charset_report();
    assert!(r.declared.is_none() && r.unknown_name);
}

#[test]
fn class08_utf16_and_utf32_are_refused() {
    let le: Vec<u8> = "MSH|^~\\&|A\r".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = "MSH|^~\\&|A\r".encode_utf16().flat_map(u16::to_be_bytes).collect();
    let utf16 = ErrorKind::UnsupportedEncoding;
    assert_eq!(kind_at(err(&[&b"\xff\xfe"[..], &le].concat())), (utf16(Encoding::Utf16Le), 0));
    assert_eq!(kind_at(err(&[&b"\xfe\xff"[..], &be].concat())), (utf16(Encoding::Utf16Be), 0));
    assert_eq!(kind_at(err(&le)), (utf16(Encoding::Utf16Le), 0));
    assert_eq!(kind_at(err(b"\xff\xfe\x00\x00M\x00\x00\x00")), (utf16(Encoding::Utf32), 0));
}

#[test]
fn class08_iso2022_jp_bytes_that_look_like_delimiters_are_not_split() {
    // ESC $ B, then a JIS pair whose bytes are '|' and '^', ESC ( B, then a real component separator.
    let input = with_head(b"PID|1||||\x1b$B\x7c\x5e\x1b(B^X\r");
    let msg = Message::parse(&input).unwrap();
    let pid5 = msg.segment(b"PID").unwrap().field(5).unwrap();
    assert_eq!(pid5.component(1).unwrap().as_bytes(), b"\x1b$B\x7c\x5e\x1b(B");
    assert_eq!(pid5.component(2).unwrap().as_bytes(), b"X");
}

// ---------------------------------------------------------------- class 9: bad scalars

#[test]
fn class09_nm_overflow() {
    let nm = Nm::parse(b"99999999999999999999").unwrap();
    assert_eq!(nm.to_i64().unwrap_err().kind(), TypeErrorKind::NumberOutOfRange);
    assert_eq!(Nm::parse(b"-9223372036854775808").unwrap().to_i64().unwrap(), i64::MIN);
    let huge = format!("1{}", "0".repeat(400));
    assert_eq!(Nm::parse(huge.as_bytes()).unwrap().to_f64().unwrap_err().kind(), TypeErrorKind::NumberOutOfRange);
    assert_eq!(Nm::parse(b"12.5").unwrap().to_i64().unwrap_err().kind(), TypeErrorKind::NotAnInteger);
    assert_eq!(Nm::parse(b"1e5").unwrap_err().kind(), TypeErrorKind::InvalidCharacter);
}

#[test]
fn class09_invalid_dtm() {
    let at = |s: &[u8]| {
        let e = Dtm::parse(s).unwrap_err();
        (e.kind(), e.offset())
    };
    assert_eq!(at(b"20241301"), (TypeErrorKind::MonthOutOfRange, 4));
    assert_eq!(at(b"20240230"), (TypeErrorKind::DayOutOfRange, 6));
    assert_eq!(at(b"20230229").0, TypeErrorKind::DayOutOfRange);
    assert!(Dtm::parse(b"20240229").is_ok());
    assert_eq!(at(b"202401011200+9999").0, TypeErrorKind::OffsetOutOfRange);
    assert_eq!(at(b"20240101120000.1234567890").0, TypeErrorKind::FractionTooLong);
    assert_eq!(at(b"2024010").0, TypeErrorKind::InvalidLength);
    assert_eq!(Dt::parse(b"00000101").unwrap_err().kind(), TypeErrorKind::YearOutOfRange);
}

// ---------------------------------------------------------------- class 10: versions

#[test]
fn class10_unknown_and_garbled_versions_parse_and_keep_the_bytes() {
    // The parser does not interpret MSH-12; it keeps what was sent.
    let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.9.1\rPID|1\r").unwrap();
    assert_eq!(msg.query("MSH-12").unwrap().unwrap().as_bytes(), b"2.9.1");
    // `2.7\nPID`: the LF ends MSH (lenient), PID is its own segment.
    let input = b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.7\nPID|1\r";
    let msg = Message::parse(input).unwrap();
    assert_eq!(msg.query("MSH-12").unwrap().unwrap().as_bytes(), b"2.7");
    assert_eq!(ids(&msg), ["MSH", "PID"]);
    assert_eq!(kind_at(err_strict(input)), (ErrorKind::UnexpectedTerminator, 42));
}

// ---------------------------------------------------------------- class 11: truncation

#[test]
fn class11_eof_mid_segment() {
    let input = with_head(b"PID|1||12");
    let msg = Message::parse(&input).unwrap();
    assert!(msg.notes().terminators.missing_final);
    assert_eq!(msg.query("PID-3").unwrap().unwrap().as_bytes(), b"12");
    assert_eq!(written(&msg), input);
}

#[test]
fn class11_eof_mid_escape() {
    let input = with_head(b"OBX|1|ST|||ab\\X0");
    let msg = Message::parse(&input).unwrap();
    let v = msg.query("OBX-5").unwrap().unwrap();
    assert_eq!(&*v.to_cow(), b"ab\\X0");
    assert_eq!(
        kind_at(msg.segment(b"OBX").unwrap().field(5).unwrap().check_escapes().unwrap_err()).0,
        ErrorKind::MalformedEscape
    );
}

#[test]
fn class11_eof_mid_header() {
    assert_eq!(kind_at(err(b"MSH|^")), (ErrorKind::TooFewEncodingCharacters, 5));
    // `MSH|^~` has the two required encoding characters: one segment, nothing else.
    let msg = Message::parse(b"MSH|^~").unwrap();
    assert_eq!((msg.segment_count(), msg.delimiters().escape()), (1, None));
}

#[test]
fn class11_eof_mid_frame() {
    let mut d = Decoder::new();
    assert_eq!(d.decode(b"\x0bMSH|^~\\&|A\r"), Ok(Status::Partial));
    assert_eq!(d.finish(b"\x0bMSH|^~\\&|A\r"), Err(MllpError::new(MllpErrorKind::Truncated { len: 12 }, 0)));
    // EB received, CR not yet: partial until the end of the stream decides.
    let mut d = Decoder::new();
    assert_eq!(d.decode(b"\x0bMSH|\x1c"), Ok(Status::Partial));
    assert_eq!(d.finish(b"\x0bMSH|\x1c"), Err(MllpError::new(MllpErrorKind::Truncated { len: 6 }, 0)));
}

// ---------------------------------------------------------------- class 12: MLLP streams

#[derive(Debug, Default, PartialEq)]
struct Decoded {
    frames: Vec<Vec<u8>>,
    junk: Vec<(usize, usize)>,
    errors: Vec<MllpError>,
}

/// Feeds `stream` in reads of `read` bytes, then finishes.
fn decode_stream(config: DecoderOptions, stream: &[u8], read: usize) -> Decoded {
    let mut d = Decoder::with_options(config);
    let mut out = Decoded::default();
    let mut buf = Vec::new();
    let mut fed = 0;
    for _ in 0..10_000 {
        let eof = fed == stream.len();
        match if eof { d.finish(&buf) } else { d.decode(&buf) } {
            Ok(Status::Partial) if eof => return out,
            Ok(Status::Partial) => {
                let n = read.min(stream.len() - fed);
                buf.extend_from_slice(&stream[fed..fed + n]);
                fed += n;
            }
            Ok(Status::Complete { frame, consumed }) => {
                out.frames.push(buf[frame].to_vec());
                buf.drain(..consumed);
            }
            Ok(Status::Junk { offset, len }) => {
                out.junk.push((offset, len));
                buf.drain(..len);
            }
            Err(e) => out.errors.push(e),
        }
    }
    panic!("decoder did not finish");
}

#[test]
fn class12_junk_before_start_block() {
    let got = decode_stream(DecoderOptions::new(), b"noise\x0bMSH|A\x1c\r", 64);
    assert_eq!(got, Decoded { frames: vec![b"MSH|A".to_vec()], junk: vec![(0, 5)], errors: vec![] });
    let got = decode_stream(DecoderOptions::new().junk(JunkPolicy::Reject), b"noise\x0bMSH|A\x1c\r", 64);
    assert_eq!(got.errors, [MllpError::new(MllpErrorKind::JunkBeforeStartBlock { len: 5 }, 0)]);
    assert_eq!((got.frames.len(), got.junk.as_slice()), (1, &[(0, 5)][..]));
}

#[test]
fn class12_start_block_inside_a_frame() {
    let got = decode_stream(DecoderOptions::new(), b"\x0bMSH|A\x0bMSH|B\x1c\r", 64);
    assert_eq!(got.errors, [MllpError::new(MllpErrorKind::UnexpectedStartBlock { frame_offset: 0 }, 6)]);
    assert_eq!(got.junk, [(0, 6)]);
    assert_eq!(got.frames, [b"MSH|B".to_vec()]);
}

#[test]
fn class12_end_block_without_cr() {
    let stream = b"\x0bMSH|A\x1cX\x0bMSH|B\x1c\r";
    let got = decode_stream(DecoderOptions::new(), stream, 64);
    assert_eq!(got.errors, [MllpError::new(MllpErrorKind::MissingCarriageReturn, 7)]);
    assert_eq!(got.frames, [b"MSH|B".to_vec()]);
    assert_eq!(got.junk, [(0, 8)]);
    let got = decode_stream(DecoderOptions::new().end(EndPolicy::Lenient), stream, 64);
    assert_eq!(got.frames, [b"MSH|A".to_vec(), b"MSH|B".to_vec()]);
    assert_eq!((got.junk.as_slice(), got.errors.len()), (&[(7, 1)][..], 0));
}

#[test]
fn class12_empty_frame() {
    let got = decode_stream(DecoderOptions::new(), b"\x0b\x1c\r", 64);
    assert_eq!(got, Decoded { frames: vec![vec![]], junk: vec![], errors: vec![] });
}

#[test]
fn class12_oversized_frame() {
    let mut stream = vec![0x0b];
    stream.extend(b"A".repeat(100));
    stream.extend(b"\x1c\r\x0bok\x1c\r");
    for read in [1, 7, 1000] {
        let got = decode_stream(DecoderOptions::new().max_frame(16), &stream, read);
        assert!(
            matches!(got.errors.as_slice(), [e] if e.offset() == 0 && matches!(e.kind(), MllpErrorKind::FrameTooLarge { limit: 16, seen } if seen > 16)),
            "read {read}: {:?}",
            got.errors
        );
        assert_eq!(got.frames, [b"ok".to_vec()], "read {read}");
        assert_eq!(got.junk.iter().map(|j| j.1).sum::<usize>(), 103);
    }
}

#[test]
fn class12_every_split_point_and_several_frames_per_read() {
    let payloads: [&[u8]; 3] = [b"MSH|^~\\&|A\rPID|1\r", b"\x06", b"MSH|^~\\&|B\r"];
    let stream: Vec<u8> = payloads.iter().flat_map(|p| mllp::encode(p).unwrap()).collect();
    let want: Vec<Vec<u8>> = payloads.iter().map(|p| p.to_vec()).collect();
    for split in 0..=stream.len() {
        let mut d = Decoder::new();
        let mut buf = stream[..split].to_vec();
        let mut frames = Vec::new();
        let mut rest = Some(&stream[split..]);
        loop {
            match d.decode(&buf).unwrap() {
                Status::Complete { frame, consumed } => {
                    frames.push(buf[frame].to_vec());
                    buf.drain(..consumed);
                }
                Status::Junk { .. } => panic!("junk at split {split}"),
                Status::Partial => match rest.take() {
                    Some(r) => buf.extend_from_slice(r),
                    None => break,
                },
            }
        }
        assert_eq!(frames, want, "split at {split}");
        assert!(buf.is_empty());
    }
    // Byte by byte and all at once give the same frames.
    assert_eq!(decode_stream(DecoderOptions::new(), &stream, 1).frames, want);
    assert_eq!(decode_stream(DecoderOptions::new(), &stream, stream.len()).frames, want);
}

// ---------------------------------------------------------------- fuzz regressions

#[test]
fn regression_parse_header_segment_inside_a_message_passes_field_limit() {
    let mut opts = ParseOptions::default();
    opts.limits.max_fields = 3;
    let input = b"MSH|^~\\&|A\rMSH#x|b|c\r";
    match Message::parse_with(input, &opts) {
        Err(e) => assert_eq!(kind_at(e), (limit(Limit::Fields, 3), 19)),
        Ok(msg) => {
            let counts: Vec<usize> = msg.segments().map(|s| s.field_count()).collect();
            assert!(counts.iter().all(|&n| n <= 3), "field counts {counts:?} exceed the limit of 3");
        }
    }
}

#[test]
fn regression_class08_bomless_utf16be_is_reported_as_big_endian() {
    let utf16be: Vec<u8> = "MSH|^~\\&|A\r".encode_utf16().flat_map(u16::to_be_bytes).collect();
    let e = Message::parse(&utf16be).unwrap_err();
    assert_eq!(kind_at(e), (ErrorKind::UnsupportedEncoding(hl7_core::Encoding::Utf16Be), 0));
}
