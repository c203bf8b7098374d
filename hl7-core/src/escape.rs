//! HL7 escape sequences: decoding (no allocation) and encoding (`alloc`).
//!
//! Delimiter escapes (`\F\ \S\ \T\ \R\ \E\`, the v2.7 truncation escape `\P\`) and hex escapes
//! (`\Xhhhh…\`) are decoded. Formatting and character-set escapes (`\.br\`, `\H\`, `\N\`,
//! `\Cxxyy\`, `\Mxxyyzz\`, `\Z…\`) carry meaning for a display or a charset switch, so they are
//! handed back verbatim. A malformed escape (lone or unterminated escape character, empty or
//! unknown sequence, odd or non-hex `\X…\`) is kept exactly as written and reported as
//! [`Chunk::Malformed`], never dropped.

use core::fmt;

use crate::delimiters::Delimiters;
use crate::error::{ErrorKind, ParseError};
use crate::scan::Scan;

/// One piece of a decoded value. `Debug` shows the kind and length, never the bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// Literal bytes, as in the input.
    Text(&'a [u8]),
    /// One decoded byte (a delimiter escape or one byte of a hex escape).
    Byte(u8),
    /// A formatting or charset escape, kept as written including its escape characters.
    Verbatim(&'a [u8]),
    /// A malformed escape, kept as written including its escape characters.
    Malformed {
        /// The bytes as written.
        bytes: &'a [u8],
        /// Offset of the escape character in the input.
        offset: usize,
    },
}

impl Chunk<'_> {
    /// Passes the decoded bytes of this chunk to `f` (a `Byte` as a one-byte slice; verbatim and
    /// malformed escapes as written).
    ///
    /// ```
    /// use hl7_core::{unescape, Delimiters};
    /// let mut out = Vec::new();
    /// for c in unescape(b"a\\F\\b", &Delimiters::default()) {
    ///     c.with_bytes(|b| out.extend_from_slice(b));
    /// }
    /// assert_eq!(out, b"a|b");
    /// ```
    pub fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        match *self {
            Chunk::Text(b) | Chunk::Verbatim(b) | Chunk::Malformed { bytes: b, .. } => f(b),
            Chunk::Byte(b) => f(&[b]),
        }
    }
}

/// Iterator over the [`Chunk`]s of an escaped value; allocates nothing.
///
/// ```
/// use hl7_core::{unescape, Chunk, Delimiters};
/// let d = Delimiters::default();
/// let chunks: Vec<_> = unescape(b"A\\S\\B\\.br\\C", &d).collect();
/// assert_eq!(chunks, [Chunk::Text(b"A"), Chunk::Byte(b'^'), Chunk::Text(b"B"),
///                     Chunk::Verbatim(b"\\.br\\"), Chunk::Text(b"C")]);
/// ```
#[derive(Clone)]
pub struct Unescape<'a> {
    rest: &'a [u8],
    offset: usize,
    delimiters: Delimiters,
    scan: Scan,
    /// Remaining hex digits of a `\X…\` escape being decoded.
    hex: &'a [u8],
}

impl fmt::Debug for Chunk<'_> {
    // Shape only (PHI): a decoded byte is content too.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Chunk::Text(b) => f.debug_struct("Text").field("len", &b.len()).finish(),
            Chunk::Byte(_) => f.write_str("Byte"),
            Chunk::Verbatim(b) => f.debug_struct("Verbatim").field("len", &b.len()).finish(),
            Chunk::Malformed { bytes, offset } => {
                f.debug_struct("Malformed").field("offset", &offset).field("len", &bytes.len()).finish()
            }
        }
    }
}

impl fmt::Debug for Unescape<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unescape").field("offset", &self.offset).field("remaining", &self.rest.len()).finish()
    }
}

/// Decodes the escapes of a raw value with the given delimiters.
///
/// ```
/// use hl7_core::{unescape, Delimiters};
/// let decoded: Vec<u8> = unescape(b"\\E\\R\\", &Delimiters::default())
///     .flat_map(|c| c.with_bytes(|b| b.to_vec()))
///     .collect();
/// assert_eq!(decoded, b"\\R\\");
/// ```
pub fn unescape<'a>(raw: &'a [u8], delimiters: &Delimiters) -> Unescape<'a> {
    Unescape::new(raw, 0, *delimiters, Scan::Bytes)
}

impl<'a> Unescape<'a> {
    pub(crate) fn new(raw: &'a [u8], offset: usize, delimiters: Delimiters, scan: Scan) -> Self {
        Unescape { rest: raw, offset, delimiters, scan, hex: &[] }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.rest.split_at(n.min(self.rest.len()));
        self.rest = tail;
        self.offset += head.len();
        head
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `\Cxxyy\` (single-byte set) and `\Mxxyy\` / `\Mxxyyzz\` (multi-byte set) designations.
fn charset_escape(kind: u8, hex: &[u8]) -> bool {
    let len_ok = if kind == b'C' { hex.len() == 4 } else { hex.len() == 4 || hex.len() == 6 };
    len_ok && all_hex(hex)
}

fn all_hex(s: &[u8]) -> bool {
    s.iter().all(|&b| hex_val(b).is_some())
}

impl<'a> Iterator for Unescape<'a> {
    type Item = Chunk<'a>;

    fn next(&mut self) -> Option<Chunk<'a>> {
        if let [hi, lo, tail @ ..] = self.hex {
            self.hex = tail;
            return Some(Chunk::Byte((hex_val(*hi).unwrap_or(0) << 4) | hex_val(*lo).unwrap_or(0)));
        }
        if self.rest.is_empty() {
            return None;
        }
        let Some(esc) = self.delimiters.escape() else {
            return Some(Chunk::Text(self.take(self.rest.len())));
        };
        match self.scan.find(self.rest, esc) {
            None => return Some(Chunk::Text(self.take(self.rest.len()))),
            Some(0) => {}
            Some(i) => return Some(Chunk::Text(self.take(i))),
        }
        let start = self.offset;
        let body = self.rest.get(1..).unwrap_or_default();
        let Some(close) = self.scan.find(body, esc) else {
            // Unterminated: keep the rest as written.
            let bytes = self.take(self.rest.len());
            return Some(Chunk::Malformed { bytes, offset: start });
        };
        let seq = body.get(..close).unwrap_or_default();
        let whole = self.take(close + 2);
        let d = &self.delimiters;
        let byte = match seq {
            b"F" => Some(d.field()),
            b"S" => Some(d.component()),
            b"R" => Some(d.repetition()),
            b"E" => Some(esc),
            b"T" => d.subcomponent(),
            b"P" => d.truncation(),
            _ => None,
        };
        if let Some(b) = byte {
            return Some(Chunk::Byte(b));
        }
        match seq.split_first() {
            Some((b'X', hex)) if !hex.is_empty() && hex.len() % 2 == 0 && all_hex(hex) => {
                self.hex = hex;
                self.next()
            }
            Some((b'.', rest)) if !rest.is_empty() => Some(Chunk::Verbatim(whole)),
            Some((b'H' | b'N', []) | (b'Z', _)) => Some(Chunk::Verbatim(whole)),
            Some((&kind @ (b'C' | b'M'), hex)) if charset_escape(kind, hex) => Some(Chunk::Verbatim(whole)),
            _ => Some(Chunk::Malformed { bytes: whole, offset: start }),
        }
    }
}

/// Finds the first malformed escape in a raw value, as an error with its offset.
///
/// ```
/// use hl7_core::{check_escapes, Delimiters, ErrorKind};
/// let d = Delimiters::default();
/// assert!(check_escapes(b"a\\T\\b", &d).is_ok());
/// let err = check_escapes(b"ab\\X0\\", &d).unwrap_err();
/// assert_eq!((err.kind(), err.offset()), (ErrorKind::MalformedEscape, 2));
/// ```
pub fn check_escapes(raw: &[u8], delimiters: &Delimiters) -> Result<(), ParseError> {
    check(Unescape::new(raw, 0, *delimiters, Scan::Bytes))
}

pub(crate) fn check(chunks: Unescape<'_>) -> Result<(), ParseError> {
    for c in chunks {
        if let Chunk::Malformed { offset, .. } = c {
            return Err(ParseError::new(ErrorKind::MalformedEscape, offset));
        }
    }
    Ok(())
}

#[cfg(feature = "alloc")]
mod owned {
    use super::{Chunk, Unescape};
    use crate::delimiters::Delimiters;
    use crate::error::{ErrorKind, ParseError};
    use alloc::borrow::Cow;
    use alloc::vec::Vec;

    /// Collects decoded chunks; borrows when the value has no escape sequence at all.
    pub(crate) fn to_cow<'a>(raw: &'a [u8], mut chunks: Unescape<'a>) -> Cow<'a, [u8]> {
        let first = chunks.next();
        let second = chunks.clone().next();
        match (first, second) {
            (None, _) => Cow::Borrowed(&[]),
            (Some(Chunk::Text(t)), None) if t.len() == raw.len() => Cow::Borrowed(t),
            (Some(c), _) => {
                let mut out = Vec::with_capacity(raw.len());
                c.with_bytes(|b| out.extend_from_slice(b));
                for c in chunks {
                    c.with_bytes(|b| out.extend_from_slice(b));
                }
                Cow::Owned(out)
            }
        }
    }

    /// Escapes a value for writing into a message with these delimiters — the one escape policy,
    /// which the messaging crate's `MessageBuf` writes with too: every delimiter byte becomes its
    /// escape (`\F\ \S\ \T\ \R\ \E\ \P\`), CR / LF become `\X0D\` / `\X0A\`, and the bytes that would
    /// change how the written message is framed or scanned become hex escapes: 0x0B and 0x1C (MLLP
    /// block characters; a trailing 0x1C reads as an end block) and 0x1B (ESC switches the parser
    /// to ISO 2022 scanning). The result contains no raw delimiter, terminator or framing byte.
    /// Borrows when nothing needs escaping.
    ///
    /// ```
    /// use hl7_core::{escape, unescape_to_vec, Delimiters};
    /// let d = Delimiters::default();
    /// let e = escape(b"A|B^C\r", &d).unwrap();
    /// assert_eq!(&*e, b"A\\F\\B\\S\\C\\X0D\\");
    /// assert_eq!(unescape_to_vec(&e, &d), b"A|B^C\r");
    /// assert_eq!(&*escape(b"\x0bx\x1c", &d).unwrap(), b"\\X0B\\x\\X1C\\");
    /// ```
    pub fn escape<'a>(value: &'a [u8], d: &Delimiters) -> Result<Cow<'a, [u8]>, ParseError> {
        let special = |b: u8| d.is_delimiter(b) || matches!(b, b'\r' | b'\n' | 0x0B | 0x1B | 0x1C);
        let Some(first) = value.iter().position(|&b| special(b)) else {
            return Ok(Cow::Borrowed(value));
        };
        let Some(esc) = d.escape() else {
            return Err(ParseError::new(ErrorKind::CannotEscape, first));
        };
        let mut out = Vec::with_capacity(value.len() + 8);
        out.extend_from_slice(value.get(..first).unwrap_or_default());
        for &b in value.get(first..).unwrap_or_default() {
            let code: &[u8] = if b == d.field() {
                b"F"
            } else if b == d.component() {
                b"S"
            } else if b == d.repetition() {
                b"R"
            } else if b == esc {
                b"E"
            } else if Some(b) == d.subcomponent() {
                b"T"
            } else if Some(b) == d.truncation() {
                b"P"
            } else if b == b'\r' {
                b"X0D"
            } else if b == b'\n' {
                b"X0A"
            } else if b == 0x0B {
                b"X0B"
            } else if b == 0x1B {
                b"X1B"
            } else if b == 0x1C {
                b"X1C"
            } else {
                out.push(b);
                continue;
            };
            out.push(esc);
            out.extend_from_slice(code);
            out.push(esc);
        }
        Ok(Cow::Owned(out))
    }

    /// Decodes a raw value into a new vector (convenience over [`super::unescape`]).
    ///
    /// ```
    /// use hl7_core::{unescape_to_vec, Delimiters};
    /// assert_eq!(unescape_to_vec(b"\\X0D\\\\X0A\\", &Delimiters::default()), b"\r\n");
    /// ```
    pub fn unescape_to_vec(raw: &[u8], d: &Delimiters) -> Vec<u8> {
        to_cow(raw, super::unescape(raw, d)).into_owned()
    }
}

#[cfg(feature = "alloc")]
pub(crate) use owned::to_cow;
#[cfg(feature = "alloc")]
pub use owned::{escape, unescape_to_vec};

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(raw: &[u8]) -> (std::vec::Vec<u8>, usize) {
        let mut out = std::vec::Vec::new();
        let mut bad = 0;
        for c in unescape(raw, &Delimiters::default()) {
            if matches!(c, Chunk::Malformed { .. }) {
                bad += 1;
            }
            c.with_bytes(|b| out.extend_from_slice(b));
        }
        (out, bad)
    }

    #[test]
    fn delimiter_escapes() {
        assert_eq!(decode(b"\\F\\\\S\\\\T\\\\R\\\\E\\"), (b"|^&~\\".to_vec(), 0));
    }

    #[test]
    fn escaped_escape_then_r_is_not_a_repetition() {
        // python-hl7 #84: \E\R\ must give back \R\, not \R. The final escape character stands
        // alone, so it is kept as written and reported once.
        assert_eq!(decode(b"\\E\\R\\"), (b"\\R\\".to_vec(), 1));
        assert_eq!(decode(b"\\E\\R\\E\\"), (b"\\R\\".to_vec(), 0));
    }

    #[test]
    fn adjacent_hex_escapes_keep_every_byte() {
        // ruby-hl7 #80.
        assert_eq!(decode(b"\\X0D\\\\X0A\\"), (b"\r\n".to_vec(), 0));
        assert_eq!(decode(b"\\X00\\"), (b"\0".to_vec(), 0));
        assert_eq!(decode(b"\\X414243\\"), (b"ABC".to_vec(), 0));
    }

    #[test]
    fn escape_at_field_end() {
        // HL7-dotnetcore #113.
        assert_eq!(decode(b"abc\\E\\"), (b"abc\\".to_vec(), 0));
    }

    #[test]
    fn malformed_escapes_are_kept_and_reported() {
        for raw in
            [&b"\\"[..], b"a\\", b"\\E", b"\\X0\\", b"\\XZZ\\", b"\\\\", b"\\Q\\", b"\\C12\\", b"\\M12345\\", b"\\.\\"]
        {
            let (out, bad) = decode(raw);
            assert_eq!(out, raw, "kept as written: {raw:?}");
            assert_eq!(bad, 1, "reported: {raw:?}");
        }
    }

    #[test]
    fn formatting_escapes_are_verbatim() {
        for raw in [
            &b"\\.br\\"[..],
            b"\\H\\",
            b"\\N\\",
            b"\\C2842\\",
            b"\\M2442\\",
            b"\\M244200\\",
            b"\\Zlocal\\",
            b"\\.in+4\\",
        ] {
            let chunks: std::vec::Vec<_> = unescape(raw, &Delimiters::default()).collect();
            assert_eq!(chunks, [Chunk::Verbatim(raw)]);
        }
    }

    #[test]
    fn truncation_escape_needs_a_truncation_character() {
        let (d, _) = Delimiters::from_header(b"MSH|^~\\&#|").unwrap();
        let out: std::vec::Vec<_> = unescape(b"\\P\\", &d).collect();
        assert_eq!(out, [Chunk::Byte(b'#')]);
        assert_eq!(decode(b"\\P\\").1, 1);
    }

    #[test]
    fn malformed_offsets() {
        let err = check_escapes(b"ok\\F\\ then \\bad", &Delimiters::default()).unwrap_err();
        assert_eq!(err.offset(), 11);
    }
}
