//! Typed parse errors with byte offsets.
//!
//! Errors are small `Copy` values: a [`ErrorKind`] and the byte offset (0-based, from the start of the
//! input given to the parser) where the problem was found. Neither `Display` nor `Debug` ever prints
//! field content, so errors are safe to log (PHI rule); [`ParseError::locate`] turns the offset into a
//! segment number and column on demand.

use core::fmt;

/// Which configured limit was exceeded (see [`crate::Limits`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// Total bytes of one message (or one input).
    MessageBytes,
    /// Segments in one message.
    Segments,
    /// Fields in one segment.
    Fields,
    /// Repetitions in one field.
    Repetitions,
    /// Components in one repetition.
    Components,
    /// Subcomponents in one component.
    Subcomponents,
    /// Bytes of one field.
    FieldBytes,
}

impl fmt::Display for Limit {
    /// What is counted, in words (`segments in a message`).
    ///
    /// ```
    /// assert_eq!(hl7_core::Limit::FieldBytes.to_string(), "bytes in a field");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::MessageBytes => "bytes in a message",
            Limit::Segments => "segments in a message",
            Limit::Fields => "fields in a segment",
            Limit::Repetitions => "repetitions in a field",
            Limit::Components => "components in a repetition",
            Limit::Subcomponents => "subcomponents in a component",
            Limit::FieldBytes => "bytes in a field",
        })
    }
}

/// A character encoding the parser refuses to scan, because its bytes do not line up with ASCII
/// delimiters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// UTF-16, little endian (BOM `FF FE` or `M\0S\0H\0`).
    Utf16Le,
    /// UTF-16, big endian (BOM `FE FF` or `\0M\0S\0H`).
    Utf16Be,
    /// UTF-32 in either byte order.
    Utf32,
}

/// What went wrong. Carries kinds and numbers only, never content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is empty (or only whitespace / framing bytes).
    Empty,
    /// No `MSH`, `FHS` or `BHS` header was found.
    NoHeader,
    /// The header ends before its encoding characters.
    HeaderTooShort,
    /// The field separator (MSH-1) is not ASCII punctuation.
    InvalidFieldSeparator,
    /// An encoding character (MSH-2) is not ASCII punctuation (control bytes, letters, digits,
    /// spaces, non-ASCII bytes and segment terminators are refused).
    InvalidEncodingCharacter,
    /// The same character is used for two delimiters.
    DuplicateDelimiter,
    /// MSH-2 has fewer than two characters (component and repetition separators are required).
    TooFewEncodingCharacters,
    /// MSH-2 has more than five characters (strict mode only; lenient mode reads the first four).
    TooManyEncodingCharacters,
    /// The input is in an encoding that cannot be scanned byte-wise.
    UnsupportedEncoding(Encoding),
    /// A configured limit was exceeded.
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// The configured maximum.
        configured: usize,
    },
    /// A `\n` or `\r\n` terminator while [`crate::ParseOptions::allow_lf_terminator`] is off.
    UnexpectedTerminator,
    /// A second terminator style while [`crate::ParseOptions::allow_mixed_terminators`] is off.
    MixedTerminators,
    /// A line that does not start with a segment id while
    /// [`crate::ParseOptions::allow_continuation_lines`] is off.
    NotASegment,
    /// Bytes before the header while [`crate::ParseOptions::allow_leading_junk`] is off.
    LeadingJunk,
    /// An escape sequence that is unterminated, empty, unknown or has bad hex digits.
    MalformedEscape,
    /// A value needs escaping but the delimiters define no escape character.
    CannotEscape,
    /// A batch trailer (BTS-1 / FTS-1) count disagrees with what the batch holds.
    BatchCountMismatch {
        /// The count written in the trailer.
        declared: usize,
        /// The count found.
        found: usize,
    },
    /// A batch header/trailer (FHS, BHS, BTS, FTS) out of order.
    BatchStructure,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ErrorKind::Empty => f.write_str("empty input"),
            ErrorKind::NoHeader => f.write_str("no MSH, FHS or BHS header"),
            ErrorKind::HeaderTooShort => f.write_str("header shorter than its encoding characters"),
            ErrorKind::InvalidFieldSeparator => f.write_str("invalid field separator"),
            ErrorKind::InvalidEncodingCharacter => f.write_str("invalid encoding character"),
            ErrorKind::DuplicateDelimiter => f.write_str("the same character is used for two delimiters"),
            ErrorKind::TooFewEncodingCharacters => f.write_str("fewer than two encoding characters"),
            ErrorKind::TooManyEncodingCharacters => f.write_str("more than five encoding characters"),
            ErrorKind::UnsupportedEncoding(e) => write!(f, "unsupported encoding {e:?}"),
            ErrorKind::LimitExceeded { limit, configured } => {
                write!(f, "limit exceeded: {limit} (configured {configured})")
            }
            ErrorKind::UnexpectedTerminator => f.write_str("LF segment terminator not allowed"),
            ErrorKind::MixedTerminators => f.write_str("mixed segment terminators"),
            ErrorKind::NotASegment => f.write_str("line does not start with a segment id"),
            ErrorKind::LeadingJunk => f.write_str("bytes before the header"),
            ErrorKind::MalformedEscape => f.write_str("malformed escape sequence"),
            ErrorKind::CannotEscape => f.write_str("value needs escaping but no escape character is defined"),
            ErrorKind::BatchCountMismatch { declared, found } => {
                write!(f, "batch count mismatch: trailer says {declared}, found {found}")
            }
            ErrorKind::BatchStructure => f.write_str("batch header or trailer out of order"),
        }
    }
}

/// A parse error: what and where (byte offset, 0-based from the start of the input).
///
/// ```
/// use hl7_core::{Message, ErrorKind};
/// let err = Message::parse(b"PID|1||123\r").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::NoHeader);
/// assert_eq!(err.offset(), 0);
/// assert_eq!(err.to_string(), "no MSH, FHS or BHS header at byte 0");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParseError {
    kind: ErrorKind,
    offset: usize,
}

impl ParseError {
    #[cold]
    pub(crate) fn new(kind: ErrorKind, offset: usize) -> Self {
        ParseError { kind, offset }
    }

    /// What went wrong.
    ///
    /// ```
    /// # use hl7_core::{Message, ErrorKind};
    /// assert_eq!(Message::parse(b"").unwrap_err().kind(), ErrorKind::Empty);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Byte offset (0-based) in the input where the problem was found.
    ///
    /// ```
    /// # use hl7_core::Message;
    /// assert_eq!(Message::parse(b"MSH|").unwrap_err().offset(), 4);
    /// ```
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Turns the offset into a segment number, line and column, counting `\r`, `\n` and `\r\n` as
    /// one terminator each. Pass the same input the error came from.
    ///
    /// ```
    /// # use hl7_core::{Message, ParseOptions};
    /// let input = b"MSH|^~\\&|A\rPID|1\rbad line\r";
    /// let mut opts = ParseOptions::default();
    /// opts.allow_continuation_lines = false;
    /// let err = Message::parse_with(input, &opts).unwrap_err();
    /// let at = err.locate(input);
    /// assert_eq!((at.segment, at.line, at.column), (Some(2), 3, 1));
    /// ```
    pub fn locate(&self, input: &[u8]) -> Location {
        Location::of(input, self.offset)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)
    }
}

impl core::error::Error for ParseError {}

/// A position as a person reads it: the segment (counted as the parser counts them, so blank lines
/// and continuation lines do not shift it), the 1-based line and the 1-based byte column.
///
/// ```
/// use hl7_core::Location;
/// let at = Location::of(b"MSH|^~\\&\r\n\r\nPID|1\r\n", 15);
/// assert_eq!((at.segment, at.line, at.column), (Some(2), 3, 4));
/// assert_eq!(Location::of(b"junk\nMSH|^~\\&\r", 2).segment, None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Location {
    /// Byte offset, 0-based.
    pub offset: usize,
    /// Segment number, 1-based, from the first header (`None` before it or without one).
    pub segment: Option<usize>,
    /// Line number, 1-based (a `\r\n` pair ends one line).
    pub line: usize,
    /// Byte column within the line, 1-based.
    pub column: usize,
}

impl Location {
    /// Computes the line and column of `offset` in `input` (offsets past the end are clamped).
    pub fn of(input: &[u8], offset: usize) -> Location {
        let end = offset.min(input.len());
        let head = input.get(..end).unwrap_or_default();
        let mut line = 1;
        let mut line_start = 0;
        let mut prev_cr = false;
        for pos in memchr::memchr2_iter(b'\r', b'\n', head) {
            let is_lf = head.get(pos) == Some(&b'\n');
            // "\r\n" is one terminator: the LF right after a CR only moves the line start.
            if !(is_lf && prev_cr && pos == line_start) {
                line += 1;
            }
            prev_cr = !is_lf;
            line_start = pos + 1;
        }
        Location { offset, segment: crate::message::segment_number(input, offset), line, column: end - line_start + 1 }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = self.segment {
            write!(f, "segment {s}, ")?;
        }
        write!(f, "line {}, column {} (byte {})", self.line, self.column, self.offset)
    }
}
