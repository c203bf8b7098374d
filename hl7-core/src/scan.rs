//! Charset-aware delimiter search.
//!
//! Delimiters are ASCII bytes, but some legal HL7 character sets reuse those byte values inside
//! multi-byte characters: ISO-2022-JP (JIS X 0208 after `ESC $ B`) uses 0x21–0x7E for both bytes of
//! a kanji, and Big5 / GB 18030 use 0x40–0x7E as trail bytes. Scanning those with a plain `memchr`
//! would cut characters in half, so each message picks a [`Scan`] mode once and every split uses it.

/// How delimiters are searched for in a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Scan {
    /// ASCII-compatible single-byte or UTF-8 text: every delimiter byte is a delimiter.
    #[default]
    Bytes,
    /// ISO-2022-JP style: bytes between `ESC $ …` and `ESC ( …` are two-byte characters.
    Iso2022,
    /// Big5 / GB 18030 style: a byte 0x81–0xFE starts a two-byte unit whose second byte is skipped.
    LeadByte,
}

const ESC: u8 = 0x1B;

impl Scan {
    /// Finds the first `needle` that is a real delimiter in `hay`, starting in single-byte mode.
    ///
    /// ```
    /// use hl7_core::Scan;
    /// assert_eq!(Scan::Bytes.find(b"ab|c", b'|'), Some(2));
    /// // Big5: 0xA5 0x7C is one character whose trail byte looks like `|`.
    /// assert_eq!(Scan::LeadByte.find(b"\xa5|x|", b'|'), Some(3));
    /// ```
    #[inline]
    pub fn find(self, hay: &[u8], needle: u8) -> Option<usize> {
        match self {
            Scan::Bytes => find_byte(hay, needle),
            Scan::Iso2022 => find_iso2022(hay, needle),
            Scan::LeadByte => find_lead_byte(hay, needle),
        }
    }

    /// The pieces of `bytes` split on `sep` with this scan mode (see [`Pieces`](crate::Pieces)).
    ///
    /// ```
    /// use hl7_core::Scan;
    /// assert_eq!(Scan::Bytes.pieces(b"x~y", b'~').map(|(p, _)| p).collect::<Vec<_>>(), [b"x", b"y"]);
    /// ```
    pub fn pieces(self, bytes: &[u8], sep: u8) -> crate::view::Pieces<'_> {
        crate::view::Pieces::new(bytes, 0, Some(sep), self)
    }
}

/// Short fields are the common case: the first 16 bytes are searched a word (8 bytes) at a time
/// with the classic "has zero byte" bit trick, which beats the set-up cost of a vectorised search;
/// longer values go to memchr.
#[inline]
fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const WORDS_FIRST: usize = 16;
    let pattern = LO * u64::from(needle);
    let mut i = 0;
    while i < WORDS_FIRST {
        let Some(Ok(word)) = hay.get(i..i + 8).map(<[u8; 8]>::try_from) else { break };
        let x = u64::from_le_bytes(word) ^ pattern;
        // The lowest set bit marks the first byte equal to the needle (bits above it may be
        // spurious, so only the lowest is used).
        let found = x.wrapping_sub(LO) & !x & HI;
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let rest = hay.get(i..)?;
    let at = if rest.len() < 8 { rest.iter().position(|&b| b == needle) } else { memchr::memchr(needle, rest) };
    at.map(|j| i + j)
}

fn find_iso2022(hay: &[u8], needle: u8) -> Option<usize> {
    let mut single = true;
    let mut i = 0;
    while let Some(&b) = hay.get(i) {
        if b == ESC {
            // ESC $ @ / ESC $ B / ESC $ ( D ... enter two-byte mode; ESC ( B / ESC ( J / ESC ( I leave it.
            match hay.get(i + 1) {
                Some(b'$') => single = false,
                Some(b'(') => single = true,
                _ => {}
            }
            i += 1;
            continue;
        }
        if single || !(0x21..=0x7E).contains(&b) {
            if b == needle {
                return Some(i);
            }
            i += 1;
        } else {
            i += 2;
        }
    }
    None
}

fn find_lead_byte(hay: &[u8], needle: u8) -> Option<usize> {
    let mut i = 0;
    while let Some(&b) = hay.get(i) {
        if b == needle {
            return Some(i);
        }
        i += if (0x81..=0xFE).contains(&b) { 2 } else { 1 };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso2022_skips_two_byte_characters() {
        // ESC $ B, then the JIS pair 0x7C 0x5E ("|^" as bytes), ESC ( B, then a real '|'.
        let hay = b"a\x1b$B\x7c\x5e\x1b(Bb|c";
        assert_eq!(Scan::Iso2022.find(hay, b'|'), Some(10));
        assert_eq!(Scan::Bytes.find(hay, b'|'), Some(4));
        assert_eq!(Scan::Iso2022.find(hay, b'^'), None);
    }

    #[test]
    fn find_byte_agrees_with_a_plain_search() {
        let hay: std::vec::Vec<u8> = (0u8..=255).chain(0u8..=255).collect();
        for start in 0..40 {
            for len in 0..40 {
                let part = &hay[start..start + len];
                for needle in [0u8, 1, 7, 8, 15, 16, 17, 30, 0x80, 0xFF] {
                    assert_eq!(
                        find_byte(part, needle),
                        part.iter().position(|&b| b == needle),
                        "{start} {len} {needle}"
                    );
                }
            }
        }
        let fields = b"aaaaaaaaaaaaaaaaaaaaaaaaa|b";
        for n in 0..fields.len() {
            assert_eq!(find_byte(&fields[n..], b'|'), 25usize.checked_sub(n));
        }
    }

    #[test]
    fn lead_byte_skips_trail_bytes() {
        // Big5 0xA5 0x7C is one character; the following '|' is a delimiter.
        let hay = b"\xa5\x7c|";
        assert_eq!(Scan::LeadByte.find(hay, b'|'), Some(2));
    }
}
