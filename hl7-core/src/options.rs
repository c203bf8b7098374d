//! Parse options and limits.

/// Size limits enforced while parsing. Every breach is an
/// [`ErrorKind::LimitExceeded`](crate::ErrorKind::LimitExceeded) with the offset where it happened.
///
/// The defaults are safe for network input; [`Limits::large`] suits big batch files, and
/// [`Limits::CEILING`] caps every setting, whatever is configured.
///
/// ```
/// use hl7_core::{Limits, Message, ParseOptions, ErrorKind, Limit};
/// let mut opts = ParseOptions::default();
/// opts.limits.max_repetitions = 2;
/// let err = Message::parse_with(b"MSH|^~\\&|A\rPID|1||a~b~c\r", &opts).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::LimitExceeded { limit: Limit::Repetitions, configured: 2 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes in one message (default 10 MiB).
    pub max_message_bytes: usize,
    /// Segments in one message (default 50 000).
    pub max_segments: usize,
    /// Fields in one segment (default 2 000).
    pub max_fields: usize,
    /// Repetitions in one field (default 10 000).
    pub max_repetitions: usize,
    /// Components in one repetition (default 1 000).
    pub max_components: usize,
    /// Subcomponents in one component (default 1 000).
    pub max_subcomponents: usize,
    /// Bytes in one field (default 10 MiB, so a large base64 OBX-5 fits).
    pub max_field_bytes: usize,
}

impl Limits {
    /// The hard ceiling: no configured value can go past these.
    pub const CEILING: Limits = Limits {
        max_message_bytes: 1 << 30,
        max_segments: 10_000_000,
        max_fields: 100_000,
        max_repetitions: 10_000_000,
        max_components: 100_000,
        max_subcomponents: 100_000,
        max_field_bytes: 1 << 30,
    };

    /// A larger preset for batch files and big documents (256 MiB, a million segments).
    ///
    /// ```
    /// let l = hl7_core::Limits::large();
    /// assert!(l.max_message_bytes > hl7_core::Limits::default().max_message_bytes);
    /// ```
    pub const fn large() -> Limits {
        Limits {
            max_message_bytes: 256 << 20,
            max_segments: 1_000_000,
            max_fields: 10_000,
            max_repetitions: 1_000_000,
            max_components: 10_000,
            max_subcomponents: 10_000,
            max_field_bytes: 256 << 20,
        }
    }

    /// The limits actually applied: each setting clamped to [`Limits::CEILING`].
    ///
    /// ```
    /// let mut l = hl7_core::Limits::default();
    /// l.max_segments = usize::MAX;
    /// assert_eq!(l.effective().max_segments, hl7_core::Limits::CEILING.max_segments);
    /// ```
    #[must_use]
    pub fn effective(&self) -> Limits {
        let c = Limits::CEILING;
        Limits {
            max_message_bytes: self.max_message_bytes.min(c.max_message_bytes),
            max_segments: self.max_segments.min(c.max_segments),
            max_fields: self.max_fields.min(c.max_fields),
            max_repetitions: self.max_repetitions.min(c.max_repetitions),
            max_components: self.max_components.min(c.max_components),
            max_subcomponents: self.max_subcomponents.min(c.max_subcomponents),
            max_field_bytes: self.max_field_bytes.min(c.max_field_bytes),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 10 << 20,
            max_segments: 50_000,
            max_fields: 2_000,
            max_repetitions: 10_000,
            max_components: 1_000,
            max_subcomponents: 1_000,
            max_field_bytes: 10 << 20,
        }
    }
}

/// How lenient the parser is. The default accepts what real systems send and reports what it
/// skipped or repaired in [`crate::ParseNotes`]; each flag names what it allows.
///
/// ```
/// use hl7_core::{Message, ParseOptions, ErrorKind};
/// let input = b"MSH|^~\\&|A\nPID|1\n";
/// assert_eq!(Message::parse(input).unwrap().segments().count(), 2);
/// let mut strict = ParseOptions::default();
/// strict.allow_lf_terminator = false;
/// assert_eq!(Message::parse_with(input, &strict).unwrap_err().kind(), ErrorKind::UnexpectedTerminator);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[allow(clippy::struct_excessive_bools)] // one flag per leniency, each named after what it allows
pub struct ParseOptions {
    /// Accept `\n` and `\r\n` as segment terminators besides `\r` (default on).
    pub allow_lf_terminator: bool,
    /// Accept a message that uses more than one terminator style (default on).
    pub allow_mixed_terminators: bool,
    /// A line that does not start with a segment id continues the previous segment: its line break
    /// becomes part of the last field's value (default on; off makes it a
    /// [`NotASegment`](crate::ErrorKind::NotASegment) error).
    pub allow_continuation_lines: bool,
    /// Skip bytes before the header (BOM, MLLP start block, log text) and report them (default on;
    /// a UTF-8 BOM is always accepted).
    pub allow_leading_junk: bool,
    /// Repair MSH-2 when a character repeats (e.g. `^~\\&`: the later copy is dropped) or when it is
    /// longer than five characters (the first four are used); the repair is noted (default on).
    pub repair_encoding_characters: bool,
    /// Size limits.
    pub limits: Limits,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            allow_lf_terminator: true,
            allow_mixed_terminators: true,
            allow_continuation_lines: true,
            allow_leading_junk: true,
            repair_encoding_characters: true,
            limits: Limits::default(),
        }
    }
}

impl ParseOptions {
    /// Strict options: `\r` terminators only, one style, no continuation lines, no leading junk
    /// (a BOM is still accepted), no MSH-2 repair.
    ///
    /// ```
    /// use hl7_core::{Message, ParseOptions};
    /// assert!(Message::parse_with(b"MSH|^~\\&|A\rPID|1\r", &ParseOptions::strict()).is_ok());
    /// assert!(Message::parse_with(b"MSH|^~\\&|A\nPID|1\n", &ParseOptions::strict()).is_err());
    /// ```
    pub fn strict() -> Self {
        ParseOptions {
            allow_lf_terminator: false,
            allow_mixed_terminators: false,
            allow_continuation_lines: false,
            allow_leading_junk: false,
            repair_encoding_characters: false,
            limits: Limits::default(),
        }
    }
}
