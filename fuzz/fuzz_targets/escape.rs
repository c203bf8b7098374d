//! `escape` / `unescape` with a delimiter set derived from the input: `unescape(escape(v)) == v`,
//! `escape(v)` holds no raw delimiter, CR or LF, and an escaped value read back from a message
//! field decodes to `v`. Raw values are decoded without loss (malformed escapes kept as written).
#![no_main]

use hl7_core::{check_escapes, escape, unescape, unescape_to_vec, Chunk, Delimiters, ErrorKind, Message};
use hl7_core_fuzz::{decode, same_bytes};
use libfuzzer_sys::fuzz_target;

/// The 32 ASCII punctuation characters: the legal delimiters.
const PUNCT: &[u8; 32] = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

fn delimiters(data: &[u8]) -> Option<(Delimiters, &[u8])> {
    let (&mode, rest) = data.split_first()?;
    let n = usize::from(mode % 6);
    let set = rest.get(..=n)?;
    let value = rest.get(n + 1..)?;
    // Mostly legal punctuation (mapped), sometimes raw bytes to exercise the refusals.
    let map = |b: u8| if mode & 0x80 == 0 { PUNCT[usize::from(b % 32)] } else { b };
    let field = map(set[0]);
    let enc: Vec<u8> = set[1..].iter().map(|&b| map(b)).collect();
    Delimiters::new(field, &enc).ok().map(|d| (d, value))
}

fuzz_target!(|data: &[u8]| {
    let Some((d, value)) = delimiters(data) else { return };
    // The one escape policy: delimiters, CR, LF and the framing bytes 0x0B, 0x1B, 0x1C.
    let special = |b: u8| d.is_delimiter(b) || matches!(b, b'\r' | b'\n' | 0x0B | 0x1B | 0x1C);

    // The value taken as raw field text: decoding loses nothing.
    let decoded = decode(value, value, unescape(value, &d));
    same_bytes(&decoded, &unescape_to_vec(value, &d), "unescape iterator and unescape_to_vec differ");
    if let Err(e) = check_escapes(value, &d) {
        assert_eq!(e.kind(), ErrorKind::MalformedEscape);
        assert!(value.get(e.offset()).copied() == d.escape(), "malformed escape offset is not an escape character");
    }

    // The value taken as data: escaping round-trips.
    match escape(value, &d) {
        Ok(escaped) => {
            same_bytes(&unescape_to_vec(&escaped, &d), value, "unescape(escape(v)) != v");
            let esc = d.escape();
            assert!(
                escaped.iter().all(|&b| !special(b) || Some(b) == esc),
                "escape() left a raw delimiter or line break"
            );
            for c in unescape(&escaped, &d) {
                assert!(!matches!(c, Chunk::Malformed { .. } | Chunk::Verbatim(_)), "escape() wrote a non-data escape");
            }
            // In a message field (ESC switches the scanner to ISO 2022, where bytes mean something else).
            if !value.contains(&0x1B) && !escaped.contains(&0x1C) {
                let (hdr, n) = d.header_bytes();
                let mut msg = b"MSH".to_vec();
                msg.extend_from_slice(&hdr[..n]);
                msg.extend_from_slice(&[d.field(), b'A', b'\r', b'Z', b'Z', b'1', d.field()]);
                msg.extend_from_slice(&escaped);
                msg.push(b'\r');
                let parsed = Message::parse(&msg).expect("a message with an escaped value parses");
                let field = parsed.query("ZZ1-1").expect("path").expect("ZZ1-1 present");
                same_bytes(&field.to_cow(), value, "escaped value did not read back from a field");
                assert_eq!(parsed.segment_count(), 2);
            }
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::CannotEscape);
            assert!(d.escape().is_none(), "escape() refused although an escape character is defined");
            assert_eq!(Some(e.offset()), value.iter().position(|&b| special(b)));
        }
    }
});
