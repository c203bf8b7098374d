//! Property tests: escaping round-trips over random legal delimiter sets, and writing a parsed
//! message gives back its bytes exactly (so parse ∘ write ∘ parse = parse).

use hl7_core::{escape, unescape_to_vec, Delimiters, Message};
use proptest::prelude::*;

/// ASCII punctuation: the legal delimiter characters.
fn punctuation() -> Vec<u8> {
    (0x21u8..0x7F).filter(u8::is_ascii_punctuation).collect()
}

/// A random legal delimiter set: field separator and 2–5 distinct encoding characters.
fn delimiter_set() -> impl Strategy<Value = (u8, Vec<u8>)> {
    (Just(punctuation()).prop_shuffle(), 2usize..=5).prop_map(|(chars, n)| (chars[0], chars[1..=n].to_vec()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn unescape_inverts_escape(
        (field, enc) in delimiter_set(),
        value in proptest::collection::vec(prop_oneof![
            any::<u8>(),
            Just(b'\r'), Just(b'\n'), Just(b'\\'), Just(b'|'), Just(b'^'), Just(b'&'), Just(b'~'), Just(b'#'),
        ], 0..64),
    ) {
        let d = Delimiters::new(field, &enc).unwrap();
        match escape(&value, &d) {
            Ok(escaped) => {
                prop_assert!(!escaped.iter().any(|&b| b == d.field() || b == d.component() || b == d.repetition()
                    || Some(b) == d.subcomponent() || Some(b) == d.truncation() || b == b'\r' || b == b'\n'));
                // Every escape character in the output opens or closes a sequence: count is even.
                if let Some(e) = d.escape() {
                    prop_assert_eq!(memchr::memchr_iter(e, &escaped).count() % 2, 0);
                }
                prop_assert_eq!(unescape_to_vec(&escaped, &d), value);
            }
            Err(_) => {
                // Only possible when there is no escape character and something needs escaping.
                prop_assert!(d.escape().is_none());
            }
        }
    }
}

/// One generated segment: an id and raw field texts (no terminators inside).
fn segment_text(d: (u8, Vec<u8>)) -> impl Strategy<Value = Vec<u8>> {
    let (field, enc) = d;
    let mut alphabet: Vec<u8> = b"ABCXYZ0129 .-_\"".to_vec();
    alphabet.push(field);
    alphabet.extend_from_slice(&enc);
    let id = prop_oneof![
        Just(b"PID".to_vec()),
        Just(b"OBX".to_vec()),
        Just(b"NTE".to_vec()),
        Just(b"ZPD".to_vec()),
        Just(b"PV1".to_vec())
    ];
    let body = proptest::collection::vec(proptest::sample::select(alphabet), 0..40);
    (id, body).prop_map(move |(mut id, body)| {
        if !body.is_empty() {
            id.push(field);
            id.extend_from_slice(&body);
        }
        id
    })
}

fn message_bytes() -> impl Strategy<Value = (Vec<u8>, usize)> {
    delimiter_set()
        .prop_flat_map(|d| {
            let segs = proptest::collection::vec(segment_text(d.clone()), 0..8);
            let terms = proptest::collection::vec(
                prop_oneof![
                    Just(&b"\r"[..]),
                    Just(&b"\n"[..]),
                    Just(&b"\r\n"[..]),
                    Just(&b"\r\n\r\n"[..]),
                    Just(&b"\n\r"[..])
                ],
                9,
            );
            let lead =
                prop_oneof![Just(&b""[..]), Just(&b"\xEF\xBB\xBF"[..]), Just(&b"\x0b"[..]), Just(&b"log line\n"[..])];
            let final_term = any::<bool>();
            (Just(d), segs, terms, lead, final_term)
        })
        .prop_map(|((field, enc), segs, terms, lead, final_term)| {
            let mut out = lead.to_vec();
            out.extend_from_slice(b"MSH");
            out.push(field);
            out.extend_from_slice(&enc);
            out.push(field);
            out.extend_from_slice(b"APP");
            let n = segs.len() + 1;
            for (i, seg) in segs.iter().enumerate() {
                out.extend_from_slice(terms[i]);
                out.extend_from_slice(seg);
            }
            if final_term {
                out.extend_from_slice(terms[8]);
            }
            (out, n)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn write_of_parse_is_byte_exact((input, segments) in message_bytes()) {
        let msg = Message::parse(&input).unwrap();
        prop_assert_eq!(msg.segment_count(), segments);
        prop_assert_eq!(msg.segments().count(), segments);
        let mut out = Vec::new();
        msg.write(|b| out.extend_from_slice(b));
        prop_assert_eq!(&out, &input);
        // Idempotence: parsing the written bytes gives the same tree.
        let again = Message::parse(&out).unwrap();
        let ids = |m: &Message<'_>| m.segments().map(|s| (s.offset(), s.as_bytes().to_vec())).collect::<Vec<_>>();
        prop_assert_eq!(ids(&again), ids(&msg));
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(msg) = Message::parse(&input) {
            let mut out = Vec::new();
            msg.write(|b| out.extend_from_slice(b));
            prop_assert_eq!(out, input);
        }
    }
}
