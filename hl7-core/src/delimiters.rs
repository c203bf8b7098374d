//! The delimiter set, read from MSH-1/MSH-2 (or FHS/BHS).

use crate::error::{ErrorKind, ParseError};

/// The delimiters of one message: field separator (MSH-1) and the encoding characters (MSH-2) in
/// their standard order: component, repetition, escape, subcomponent, truncation (v2.7+).
///
/// Any ASCII punctuation is legal; MSH-2 may have 2 to 5 characters. Missing escape, subcomponent
/// or truncation characters are `None`.
///
/// ```
/// use hl7_core::Delimiters;
/// let (d, len) = Delimiters::from_header(b"MSH|^~\\&#|APP").unwrap();
/// assert_eq!((d.field(), d.component(), d.repetition()), (b'|', b'^', b'~'));
/// assert_eq!((d.escape(), d.subcomponent(), d.truncation()), (Some(b'\\'), Some(b'&'), Some(b'#')));
/// assert_eq!(len, 5);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Delimiters {
    field: u8,
    component: u8,
    repetition: u8,
    escape: Option<u8>,
    subcomponent: Option<u8>,
    truncation: Option<u8>,
}

impl Default for Delimiters {
    /// The standard set `|^~\&`.
    fn default() -> Self {
        Delimiters {
            field: b'|',
            component: b'^',
            repetition: b'~',
            escape: Some(b'\\'),
            subcomponent: Some(b'&'),
            truncation: None,
        }
    }
}

/// What [`Delimiters::read`] had to repair in lenient mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Repair {
    /// Offset (relative to the header) of the first repaired MSH-2 character.
    pub(crate) at: Option<usize>,
}

const fn legal(b: u8) -> bool {
    b.is_ascii_punctuation()
}

impl Delimiters {
    /// Field separator (MSH-1).
    pub fn field(&self) -> u8 {
        self.field
    }
    /// Component separator (MSH-2, first character).
    pub fn component(&self) -> u8 {
        self.component
    }
    /// Repetition separator (MSH-2, second character).
    pub fn repetition(&self) -> u8 {
        self.repetition
    }
    /// Escape character (MSH-2, third character), if defined.
    pub fn escape(&self) -> Option<u8> {
        self.escape
    }
    /// Subcomponent separator (MSH-2, fourth character), if defined.
    pub fn subcomponent(&self) -> Option<u8> {
        self.subcomponent
    }
    /// Truncation character (MSH-2, fifth character, v2.7+), if defined.
    pub fn truncation(&self) -> Option<u8> {
        self.truncation
    }

    /// Whether `b` is one of this set's delimiter bytes.
    ///
    /// ```
    /// let d = hl7_core::Delimiters::default();
    /// assert!(d.is_delimiter(b'&') && !d.is_delimiter(b'#'));
    /// ```
    pub fn is_delimiter(&self, b: u8) -> bool {
        b == self.field
            || b == self.component
            || b == self.repetition
            || Some(b) == self.escape
            || Some(b) == self.subcomponent
            || Some(b) == self.truncation
    }

    /// Builds a set from a field separator and MSH-2 text, strictly: 2 to 5 characters, all ASCII
    /// punctuation, all distinct.
    ///
    /// ```
    /// use hl7_core::{Delimiters, ErrorKind};
    /// let d = Delimiters::new(b'#', b"!@%*").unwrap();
    /// assert_eq!(d.subcomponent(), Some(b'*'));
    /// assert_eq!(Delimiters::new(b'|', b"^^").unwrap_err().kind(), ErrorKind::DuplicateDelimiter);
    /// assert_eq!(Delimiters::new(b'|', b"^\r").unwrap_err().kind(), ErrorKind::InvalidEncodingCharacter);
    /// ```
    pub fn new(field: u8, encoding: &[u8]) -> Result<Delimiters, ParseError> {
        if !legal(field) {
            return Err(ParseError::new(ErrorKind::InvalidFieldSeparator, 0));
        }
        if encoding.len() > 5 {
            return Err(ParseError::new(ErrorKind::TooManyEncodingCharacters, 6));
        }
        let mut seen = [field; 6];
        for (i, &b) in encoding.iter().enumerate() {
            if !legal(b) {
                return Err(ParseError::new(ErrorKind::InvalidEncodingCharacter, i + 1));
            }
            if seen.get(..=i).is_some_and(|s| s.contains(&b)) {
                return Err(ParseError::new(ErrorKind::DuplicateDelimiter, i + 1));
            }
            if let Some(slot) = seen.get_mut(i + 1) {
                *slot = b;
            }
        }
        let at = |i: usize| encoding.get(i).copied();
        match (at(0), at(1)) {
            (Some(component), Some(repetition)) => {
                Ok(Delimiters { field, component, repetition, escape: at(2), subcomponent: at(3), truncation: at(4) })
            }
            _ => Err(ParseError::new(ErrorKind::TooFewEncodingCharacters, encoding.len() + 1)),
        }
    }

    /// Reads the delimiters from a header segment (`MSH`, `FHS` or `BHS` followed by MSH-1 and
    /// MSH-2), strictly. Returns the set and the length of MSH-2. Error offsets are relative to
    /// `header`.
    ///
    /// ```
    /// use hl7_core::{Delimiters, ErrorKind};
    /// assert!(Delimiters::from_header(b"FHS|^~\\&|").is_ok());
    /// assert_eq!(Delimiters::from_header(b"MSH|^~\\\\&|").unwrap_err().kind(), ErrorKind::DuplicateDelimiter);
    /// assert_eq!(Delimiters::from_header(b"MSHH0\r").unwrap_err().kind(), ErrorKind::InvalidFieldSeparator);
    /// ```
    pub fn from_header(header: &[u8]) -> Result<(Delimiters, usize), ParseError> {
        Self::read(header, false).map(|(d, len, _)| (d, len))
    }

    /// Reads the delimiters; in `repair` mode, duplicates are dropped and an over-long MSH-2 is cut
    /// to its first four characters (noted in the returned [`Repair`]).
    pub(crate) fn read(header: &[u8], repair: bool) -> Result<(Delimiters, usize, Repair), ParseError> {
        let Some(&field) = header.get(3) else {
            return Err(ParseError::new(ErrorKind::HeaderTooShort, header.len()));
        };
        if !legal(field) {
            return Err(ParseError::new(ErrorKind::InvalidFieldSeparator, 3));
        }
        let rest = header.get(4..).unwrap_or_default();
        // MSH-2 ends at the next field separator or at the end of the line.
        let len = rest.iter().position(|&b| b == field || b == b'\r' || b == b'\n').unwrap_or(rest.len());
        let msh2 = rest.get(..len).unwrap_or_default();
        if msh2.is_empty() {
            let kind = if rest.is_empty() { ErrorKind::HeaderTooShort } else { ErrorKind::TooFewEncodingCharacters };
            return Err(ParseError::new(kind, 4));
        }
        if !repair {
            return Delimiters::new(field, msh2)
                .map(|d| (d, len, Repair::default()))
                .map_err(|e| ParseError::new(e.kind(), e.offset() + 3));
        }
        // Lenient: a space stands for an undefined delimiter at its position (`^~ &`: no escape
        // character); a repeated character is dropped and the rest move up (`^~\\&` reads as `^~\&`);
        // past five characters (or four, when MSH-2 runs on) the rest is ignored.
        let mut slots = [None; 5];
        let mut n = 0;
        let mut repair_at = None;
        let limit = if msh2.len() > 5 { 4 } else { 5 };
        for (i, &b) in msh2.iter().enumerate() {
            if n == limit {
                repair_at.get_or_insert(4 + i);
                break;
            }
            if b == b' ' {
                repair_at.get_or_insert(4 + i);
                n += 1;
                continue;
            }
            if !legal(b) {
                return Err(ParseError::new(ErrorKind::InvalidEncodingCharacter, 4 + i));
            }
            if b == field || slots.contains(&Some(b)) {
                repair_at.get_or_insert(4 + i);
                continue;
            }
            if let Some(slot) = slots.get_mut(n) {
                *slot = Some(b);
            }
            n += 1;
        }
        let [Some(component), Some(repetition), escape, subcomponent, truncation] = slots else {
            return Err(ParseError::new(ErrorKind::TooFewEncodingCharacters, 4 + n));
        };
        let d = Delimiters { field, component, repetition, escape, subcomponent, truncation };
        Ok((d, len, Repair { at: repair_at }))
    }

    /// The same set without an escape character (for literal values such as MSH-2).
    pub(crate) fn without_escape(mut self) -> Delimiters {
        self.escape = None;
        self
    }

    /// Writes MSH-1 and MSH-2 as they appear after `MSH` (e.g. `|^~\&`). Returns the bytes and how
    /// many of them are used.
    ///
    /// ```
    /// let (buf, n) = hl7_core::Delimiters::default().header_bytes();
    /// assert_eq!(&buf[..n], b"|^~\\&");
    /// ```
    pub fn header_bytes(&self) -> ([u8; 6], usize) {
        let mut out = [self.field, self.component, self.repetition, 0, 0, 0];
        let mut n = 3;
        for b in [self.escape, self.subcomponent, self.truncation].into_iter().flatten() {
            if let Some(slot) = out.get_mut(n) {
                *slot = b;
            }
            n += 1;
        }
        (out, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_character_msh2() {
        let (d, len) = Delimiters::from_header(b"MSH|^~\\|A").unwrap();
        assert_eq!(len, 3);
        assert_eq!(d.escape(), Some(b'\\'));
        assert_eq!(d.subcomponent(), None);
    }

    #[test]
    fn repair_drops_duplicates_and_notes_it() {
        let (d, len, rep) = Delimiters::read(b"MSH|^~\\\\&|A", true).unwrap();
        assert_eq!(len, 5);
        assert_eq!(d, Delimiters::default());
        assert_eq!(rep.at, Some(7));
    }

    #[test]
    fn repair_cuts_overlong_msh2() {
        let (d, len, rep) = Delimiters::read(b"MSH|#^~\\@#App#Fac", true).unwrap();
        assert_eq!(len, 13);
        assert_eq!(
            (d.component(), d.repetition(), d.escape(), d.subcomponent()),
            (b'#', b'^', Some(b'~'), Some(b'\\'))
        );
        assert_eq!(d.truncation(), None);
        assert_eq!(rep.at, Some(8));
        assert_eq!(
            Delimiters::from_header(b"MSH|#^~\\@#App").unwrap_err().kind(),
            ErrorKind::TooManyEncodingCharacters
        );
    }

    #[test]
    fn repair_reads_a_space_as_an_undefined_delimiter() {
        let (d, _, rep) = Delimiters::read(b"MSH|^~ &|A", true).unwrap();
        assert_eq!((d.escape(), d.subcomponent()), (None, Some(b'&')));
        assert_eq!(rep.at, Some(6));
        assert_eq!(Delimiters::from_header(b"MSH|^~ &|A").unwrap_err().kind(), ErrorKind::InvalidEncodingCharacter);
    }

    #[test]
    fn degenerate_sets_are_errors() {
        for (h, kind) in [
            (&b"MSH"[..], ErrorKind::HeaderTooShort),
            (b"MSH|", ErrorKind::HeaderTooShort),
            (b"MSH||", ErrorKind::TooFewEncodingCharacters),
            (b"MSH|^|||", ErrorKind::TooFewEncodingCharacters),
            (b"MSH|^\x01|", ErrorKind::InvalidEncodingCharacter),
            (b"MSH\r^~", ErrorKind::InvalidFieldSeparator),
            (b"MSH|^~a&|", ErrorKind::InvalidEncodingCharacter),
            (b"MSH|^\xfd&|", ErrorKind::InvalidEncodingCharacter),
        ] {
            assert_eq!(Delimiters::from_header(h).unwrap_err().kind(), kind, "{h:?}");
            assert_eq!(Delimiters::read(h, true).unwrap_err().kind(), kind, "{h:?}");
        }
    }
}
