//! [`Message`]: a parsed message over borrowed bytes, and its segment iterator.

use core::fmt;
use core::ops::Range;

use crate::delimiters::Delimiters;
use crate::error::{Encoding, ErrorKind, Limit, ParseError};
use crate::options::{Limits, ParseOptions};
use crate::scan::Scan;
use crate::segment::{is_header_id, Segment};
use crate::view::{nth1, Ctx, Pieces};

const MLLP_START: u8 = 0x0B;
const MLLP_END: u8 = 0x1C;

/// A span of skipped input bytes (offset and length only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Skipped {
    /// Byte offset (0-based) in the input.
    pub offset: usize,
    /// Number of bytes.
    pub len: usize,
}

/// Segment terminator styles seen in a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[allow(clippy::struct_excessive_bools)]
pub struct Terminators {
    /// `\r` seen.
    pub cr: bool,
    /// `\n` seen.
    pub lf: bool,
    /// `\r\n` seen.
    pub crlf: bool,
    /// The last segment has no terminator.
    pub missing_final: bool,
}

/// What the lenient parser skipped or repaired, so that nothing is lost silently.
///
/// ```
/// use hl7_core::Message;
/// let input = b"\x0bMSH|^~\\&|A\rPID|1\r\x1c\r";
/// let msg = Message::parse(input).unwrap();
/// let notes = msg.notes();
/// assert_eq!(notes.leading.map(|s| (s.offset, s.len)), Some((0, 1)));
/// assert_eq!(notes.trailing.map(|s| (s.offset, s.len)), Some((18, 2)));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ParseNotes {
    /// Bytes before the header (BOM, MLLP start block, log text).
    pub leading: Option<Skipped>,
    /// Bytes after the last segment (an MLLP end block and what follows it).
    pub trailing: Option<Skipped>,
    /// The input starts with a UTF-8 byte order mark.
    pub bom: bool,
    /// Offset of the first MSH-2 character dropped by the repair (duplicates, over-long MSH-2).
    pub encoding_repair: Option<usize>,
    /// Lines that did not start with a segment id and were joined to the previous segment.
    pub continuation_lines: usize,
    /// Offset of the first such line.
    pub first_continuation: Option<usize>,
    /// Terminator styles seen.
    pub terminators: Terminators,
}

impl ParseNotes {
    /// Each skip and repair as a [`Note`], in input order of kind: leading bytes, BOM, encoding
    /// repair, continuation lines, trailing bytes. Empty when the message was read as it is.
    ///
    /// ```
    /// use hl7_core::{Message, Note};
    /// let msg = Message::parse(b"log: \x0b MSH|^~\\&&|A\rPID|1\r")?;
    /// let notes: Vec<Note> = msg.notes().iter().collect();
    /// assert_eq!(notes.len(), 2);
    /// assert_eq!(notes[0].kind(), "leading_bytes");
    /// assert_eq!(notes[1].kind(), "encoding_repair");
    /// assert_eq!(notes[1].to_string(), "MSH-2 repaired: encoding characters dropped from byte 15");
    /// # Ok::<(), hl7_core::ParseError>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = Note> {
        let continuation =
            self.first_continuation.map(|first| Note::ContinuationLines { count: self.continuation_lines, first });
        [
            self.leading.map(Note::LeadingBytes),
            self.bom.then_some(Note::Bom),
            self.encoding_repair.map(|offset| Note::EncodingRepair { offset }),
            continuation,
            self.trailing.map(Note::TrailingBytes),
        ]
        .into_iter()
        .flatten()
    }

    /// Whether the parser skipped or repaired anything.
    ///
    /// ```
    /// let msg = hl7_core::Message::parse(b"MSH|^~\\&|A\r")?;
    /// assert!(msg.notes().is_empty());
    /// # Ok::<(), hl7_core::ParseError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// One skip or repair of the lenient parser (see [`ParseNotes::iter`] and [`Message::all_notes`]). `Display` gives a
/// sentence with offsets and lengths, never content.
///
/// ```
/// use hl7_core::{Note, Skipped};
/// let note = Note::TrailingBytes(Skipped { offset: 40, len: 2 });
/// assert_eq!(note.kind(), "trailing_bytes");
/// assert_eq!(note.offset(), 40);
/// assert_eq!(note.to_string(), "skipped 2 bytes after the message at byte 40");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Note {
    /// Bytes before the header (BOM, MLLP start block, log text) were skipped.
    LeadingBytes(Skipped),
    /// The input starts with a UTF-8 byte order mark (skipped).
    Bom,
    /// MSH-2 held duplicate or surplus encoding characters; they were dropped from `offset` on.
    EncodingRepair {
        /// Offset of the first dropped character.
        offset: usize,
    },
    /// Lines that did not start with a segment id were joined to the segment before them.
    ContinuationLines {
        /// How many lines.
        count: usize,
        /// Offset of the first one.
        first: usize,
    },
    /// Bytes after the last segment (an MLLP end block and what follows) were skipped.
    TrailingBytes(Skipped),
    /// An MSH-18 charset name was known only leniently (`ISOIR87` for `ISO IR87`; see
    /// [`crate::Charset::from_msh18_lenient`]); `offset` is that repetition's.
    CharsetNameRepaired {
        /// Offset of the MSH-18 repetition.
        offset: usize,
    },
}

impl Note {
    /// A stable snake-case name for the kind of note (for JSON and logs).
    pub fn kind(&self) -> &'static str {
        match self {
            Note::LeadingBytes(_) => "leading_bytes",
            Note::Bom => "bom",
            Note::EncodingRepair { .. } => "encoding_repair",
            Note::ContinuationLines { .. } => "continuation_lines",
            Note::TrailingBytes(_) => "trailing_bytes",
            Note::CharsetNameRepaired { .. } => "charset_name_repaired",
        }
    }

    /// The byte offset the note is about (0 for a BOM).
    pub fn offset(&self) -> usize {
        match *self {
            Note::LeadingBytes(s) | Note::TrailingBytes(s) => s.offset,
            Note::Bom => 0,
            Note::EncodingRepair { offset } | Note::CharsetNameRepaired { offset } => offset,
            Note::ContinuationLines { first, .. } => first,
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Note::LeadingBytes(s) => write!(f, "skipped {} bytes before the header at byte {}", s.len, s.offset),
            Note::Bom => f.write_str("skipped a UTF-8 byte order mark at byte 0"),
            Note::EncodingRepair { offset } => {
                write!(f, "MSH-2 repaired: encoding characters dropped from byte {offset}")
            }
            Note::ContinuationLines { count, first } => {
                write!(f, "joined {count} continuation lines to the segment before them (first at byte {first})")
            }
            Note::TrailingBytes(s) => write!(f, "skipped {} bytes after the message at byte {}", s.len, s.offset),
            Note::CharsetNameRepaired { offset } => {
                write!(f, "MSH-18 charset name at byte {offset} read leniently (not the table 0211 spelling)")
            }
        }
    }
}

/// A parsed HL7 v2 message: zero-copy views over the input bytes.
///
/// Parsing reads the delimiters, checks the limits and the segment structure in one pass, and
/// allocates nothing; segments, fields and components are found lazily when asked for.
///
/// ```
/// use hl7_core::Message;
/// let input = b"MSH|^~\\&|SEND|FAC|RECV|FAC|20240101120000||ADT^A01|MSG1|P|2.5.1\r\
/// PID|1||12345^^^HOSP^MR~67890^^^SSA^SS||DOE^JANE\r";
/// let msg = Message::parse(input).unwrap();
/// assert_eq!(msg.segment_count(), 2);
/// let pid3_1 = msg.query("PID-3[1].1").unwrap().unwrap();
/// assert_eq!(pid3_1.as_bytes(), b"12345");
/// assert_eq!(msg.query("MSH-9.2").unwrap().unwrap().as_bytes(), b"A01");
/// ```
#[derive(Clone, Copy)]
pub struct Message<'a> {
    input: &'a [u8],
    start: usize,
    stop: usize,
    header: usize,
    end: usize,
    ctx: Ctx,
    segment_count: usize,
    notes: ParseNotes,
}

impl fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("offset", &self.start)
            .field("len", &(self.stop - self.start))
            .field("segments", &self.segment_count)
            .field("delimiters", &self.ctx.delimiters)
            .finish_non_exhaustive()
    }
}

/// Whether `bytes` starts a segment line: an id `[A-Z][A-Z0-9]{2}` followed by the field
/// separator, a line end or the end; a header id followed by any punctuation also counts.
#[inline]
pub(crate) fn starts_segment(bytes: &[u8], sep: u8) -> bool {
    match bytes {
        [a, b, c, rest @ ..] if a.is_ascii_uppercase() && is_id_char(*b) && is_id_char(*c) => match rest.first() {
            None | Some(b'\r' | b'\n') => true,
            Some(&d) => d == sep || (is_header_id(&[*a, *b, *c]) && d.is_ascii_punctuation()),
        },
        _ => false,
    }
}

#[inline]
fn is_id_char(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

/// Where a segment ends: `content_end` (exclusive), `next` (start of the next segment or the end),
/// and the start of the first continuation line joined into it.
struct SegmentEnd {
    content_end: usize,
    next: usize,
    continuation: Option<usize>,
    continuations: usize,
}

#[inline]
fn segment_end(body: &[u8], start: usize, sep: u8) -> SegmentEnd {
    let line_end = |from: usize| -> usize {
        body.get(from..).and_then(|rest| memchr::memchr2(b'\r', b'\n', rest)).map_or(body.len(), |i| from + i)
    };
    let mut content_end = line_end(start);
    let mut continuation = None;
    let mut continuations = 0;
    loop {
        let mut next = content_end;
        while matches!(body.get(next), Some(b'\r' | b'\n')) {
            next += 1;
        }
        let rest = body.get(next..).unwrap_or_default();
        if rest.is_empty() || starts_segment(rest, sep) {
            return SegmentEnd { content_end, next, continuation, continuations };
        }
        continuation.get_or_insert(next);
        continuations += 1;
        content_end = line_end(next);
    }
}

fn find_header(input: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = input.get(from..).and_then(|r| memchr::memchr3(b'M', b'F', b'B', r)) {
        let at = from + i;
        if let Some(&[a, b, c, d]) = input.get(at..at + 4) {
            if is_header_id(&[a, b, c]) && d.is_ascii_punctuation() {
                return Some(at);
            }
        }
        from = at + 1;
    }
    None
}

/// The 1-based number of the segment holding `offset`, counted as the parser counts segments;
/// `None` before the first header or without one.
pub(crate) fn segment_number(input: &[u8], offset: usize) -> Option<usize> {
    let header = find_header(input)?;
    let sep = *input.get(header + 3)?;
    if offset < header {
        return None;
    }
    let mut pos = header;
    let mut n = 0;
    while pos < input.len() {
        n += 1;
        let e = segment_end(input, pos, sep);
        if offset < e.next {
            break;
        }
        pos = e.next;
    }
    Some(n.max(1))
}

fn wide_encoding(input: &[u8]) -> Option<Encoding> {
    match input {
        [0xFF, 0xFE, 0, 0, ..] | [0, 0, 0xFE, 0xFF, ..] => Some(Encoding::Utf32),
        [0xFF, 0xFE, ..] => Some(Encoding::Utf16Le),
        [0xFE, 0xFF, ..] => Some(Encoding::Utf16Be),
        _ => None,
    }
}

fn wide_header(input: &[u8]) -> Option<Encoding> {
    let at = |pat: &[u8]| memchr::memmem::find(input, pat);
    if at(b"M\0\0\0S\0\0\0H\0\0\0").is_some() || at(b"\0\0\0M\0\0\0S\0\0\0H").is_some() {
        return Some(Encoding::Utf32);
    }
    // In big-endian text the little-endian pattern also matches one byte later: the earlier wins.
    match (at(b"M\0S\0H\0"), at(b"\0M\0S\0H")) {
        (Some(le), Some(be)) if be < le => Some(Encoding::Utf16Be),
        (Some(_), _) => Some(Encoding::Utf16Le),
        (None, Some(_)) => Some(Encoding::Utf16Be),
        (None, None) => None,
    }
}

/// Finds the end of the message body: an MLLP end block (0x1C) followed only by CR/LF ends it.
fn body_end(input: &[u8], header: usize) -> usize {
    let trimmed = input.iter().rposition(|&b| !matches!(b, b'\r' | b'\n')).map_or(0, |i| i + 1);
    match input.get(..trimmed).and_then(|t| t.last()) {
        Some(&MLLP_END) if trimmed > header => trimmed - 1,
        _ => input.len(),
    }
}

impl<'a> Message<'a> {
    /// Parses a message with the default (lenient) [`ParseOptions`].
    ///
    /// ```
    /// use hl7_core::Message;
    /// let msg = Message::parse(b"MSH|^~\\&|A\nPID|1\n").unwrap();
    /// assert_eq!(msg.segments().map(|s| s.id_str()).collect::<Vec<_>>(), ["MSH", "PID"]);
    /// ```
    pub fn parse(input: &'a [u8]) -> Result<Message<'a>, ParseError> {
        Self::parse_with(input, &ParseOptions::default())
    }

    /// Parses a message with the given options.
    pub fn parse_with(input: &'a [u8], options: &ParseOptions) -> Result<Message<'a>, ParseError> {
        Self::parse_range(input, 0..input.len(), options)
    }

    /// Parses the message in `input[range]`; offsets stay relative to the whole `input` (used for
    /// messages inside batch files).
    pub(crate) fn parse_range(
        input: &'a [u8],
        range: Range<usize>,
        options: &ParseOptions,
    ) -> Result<Message<'a>, ParseError> {
        let base = range.start;
        let part = input.get(range.clone()).unwrap_or_default();
        let limits = options.limits.effective();
        if part.len() > limits.max_message_bytes {
            return Err(limit(Limit::MessageBytes, limits.max_message_bytes, base + limits.max_message_bytes));
        }
        if part.iter().all(|&b| matches!(b, b'\r' | b'\n' | b' ' | b'\t' | MLLP_START | MLLP_END)) {
            return Err(ParseError::new(ErrorKind::Empty, base));
        }
        if let Some(e) = wide_encoding(part) {
            return Err(ParseError::new(ErrorKind::UnsupportedEncoding(e), base));
        }
        let mut notes = ParseNotes { bom: part.starts_with(b"\xEF\xBB\xBF"), ..ParseNotes::default() };
        let Some(header_rel) = find_header(part) else {
            if let Some(e) = wide_header(part) {
                return Err(ParseError::new(ErrorKind::UnsupportedEncoding(e), base));
            }
            // A header id with bad delimiters: report what is wrong with them, where.
            if let Some(at) = memchr::memmem::find(part, b"MSH") {
                if let Err(e) = Delimiters::read(part.get(at..).unwrap_or_default(), false) {
                    return Err(ParseError::new(e.kind(), base + at + e.offset()));
                }
            }
            return Err(ParseError::new(ErrorKind::NoHeader, base));
        };
        let header = base + header_rel;
        if header_rel > 0 {
            let only_bom = notes.bom && header_rel == 3;
            if !options.allow_leading_junk && !only_bom {
                return Err(ParseError::new(ErrorKind::LeadingJunk, base));
            }
            notes.leading = Some(Skipped { offset: base, len: header_rel });
        }
        let head = part.get(header_rel..).unwrap_or_default();
        let (delimiters, _, repair) = Delimiters::read(head, options.repair_encoding_characters)
            .map_err(|e| ParseError::new(e.kind(), header + e.offset()))?;
        notes.encoding_repair = repair.at.map(|r| header + r);
        let end = base + body_end(part, header_rel);
        if end < range.end {
            notes.trailing = Some(Skipped { offset: end, len: range.end - end });
        }
        let scan = if memchr::memchr(0x1B, part).is_some() { Scan::Iso2022 } else { Scan::Bytes };
        let mut msg = Message {
            input,
            start: range.start,
            stop: range.end,
            header,
            end,
            ctx: Ctx { delimiters, scan, literal: false },
            segment_count: 0,
            notes,
        };
        // Lead-byte charsets only matter when there are bytes >= 0x80 (a vectorised check).
        if scan == Scan::Bytes && !part.is_ascii() && crate::charset::declares_lead_byte_charset(&msg) {
            msg.ctx.scan = Scan::LeadByte;
        }
        msg.check(options, &limits)?;
        Ok(msg)
    }

    /// The structural pass: counts segments, applies the terminator and continuation policies and
    /// the limits.
    fn check(&mut self, options: &ParseOptions, limits: &Limits) -> Result<(), ParseError> {
        let body = self.input.get(..self.end).unwrap_or_default();
        let sep = self.ctx.delimiters.field();
        let mut pos = self.header;
        let mut count = 0;
        let mut first_style: Option<&[u8]> = None;
        while pos < body.len() {
            let e = segment_end(body, pos, sep);
            count += 1;
            if count > limits.max_segments {
                return Err(limit(Limit::Segments, limits.max_segments, pos));
            }
            if let Some(c) = e.continuation {
                if !options.allow_continuation_lines {
                    return Err(ParseError::new(ErrorKind::NotASegment, c));
                }
                self.notes.first_continuation.get_or_insert(c);
                self.notes.continuation_lines += e.continuations;
            }
            let term = body.get(e.content_end..e.next).unwrap_or_default();
            let style = note_terminator(&mut self.notes.terminators, term, e.next >= body.len());
            if let Some(style) = style {
                if style != b"\r" && !options.allow_lf_terminator {
                    return Err(ParseError::new(ErrorKind::UnexpectedTerminator, e.content_end));
                }
                match first_style {
                    Some(f) if f != style && !options.allow_mixed_terminators => {
                        return Err(ParseError::new(ErrorKind::MixedTerminators, e.content_end));
                    }
                    None => first_style = Some(style),
                    _ => {}
                }
            }
            let seg = Segment {
                bytes: body.get(pos..e.content_end).unwrap_or_default(),
                terminator: term,
                offset: pos,
                ctx: self.ctx,
            };
            check_segment_limits(&seg, limits)?;
            pos = e.next;
        }
        self.segment_count = count;
        Ok(())
    }

    /// The options-independent parts: every segment, lazily.
    ///
    /// ```
    /// # use hl7_core::Message;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1\rOBX|2\r").unwrap();
    /// assert_eq!(msg.segments().filter(|s| s.id() == b"OBX").count(), 2);
    /// ```
    pub fn segments(&self) -> Segments<'a> {
        Segments { body: self.input.get(..self.end).unwrap_or_default(), pos: self.header, ctx: self.ctx }
    }

    /// The first segment with this id.
    ///
    /// ```
    /// # use hl7_core::Message;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1\r").unwrap();
    /// assert_eq!(msg.segment(b"PID").unwrap().offset(), 11);
    /// assert!(msg.segment(b"PV1").is_none());
    /// ```
    pub fn segment(&self, id: &[u8]) -> Option<Segment<'a>> {
        self.segments().find(|s| s.id() == id)
    }

    /// The `n`-th (1-based) segment with this id.
    ///
    /// ```
    /// # use hl7_core::Message;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1\rOBX|2\r").unwrap();
    /// assert_eq!(msg.segment_nth(b"OBX", 2).unwrap().field(1).unwrap().as_bytes(), b"2");
    /// assert!(msg.segment_nth(b"OBX", 0).is_none());
    /// ```
    pub fn segment_nth(&self, id: &[u8], n: usize) -> Option<Segment<'a>> {
        nth1(self.segments().filter(|s| s.id() == id), n)
    }

    /// Number of segments (counted during parsing).
    pub fn segment_count(&self) -> usize {
        self.segment_count
    }

    /// The delimiters read from the header.
    pub fn delimiters(&self) -> Delimiters {
        self.ctx.delimiters
    }

    /// How delimiters are scanned in this message (charset dependent).
    pub fn scan(&self) -> Scan {
        self.ctx.scan
    }

    /// What was skipped or repaired while parsing.
    pub fn notes(&self) -> &ParseNotes {
        &self.notes
    }

    /// The bytes this message was parsed from (including skipped leading/trailing bytes).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.input.get(self.start..self.stop).unwrap_or_default()
    }

    /// Byte offset of the first byte of [`Message::as_bytes`] in the input.
    pub fn offset(&self) -> usize {
        self.start
    }

    /// Byte offset of the header segment.
    pub fn header_offset(&self) -> usize {
        self.header
    }

    /// The whole input given to the parser (for a message from a batch, the whole file).
    pub fn input(&self) -> &'a [u8] {
        self.input
    }

    /// Writes the message back, piece by piece from its parsed parts: skipped leading bytes, then
    /// each segment and its terminator, then skipped trailing bytes. For an unmodified message the
    /// output equals [`Message::as_bytes`] exactly.
    ///
    /// ```
    /// # use hl7_core::Message;
    /// let input = b"\xEF\xBB\xBFMSH|^~\\&|A\r\nPID|1\n\nZPD|x";
    /// let mut out = Vec::new();
    /// Message::parse(input).unwrap().write(|b| out.extend_from_slice(b));
    /// assert_eq!(out, input);
    /// ```
    pub fn write(&self, mut out: impl FnMut(&[u8])) {
        let piece = |r: Option<Skipped>| r.and_then(|s| self.input.get(s.offset..s.offset + s.len));
        if let Some(b) = piece(self.notes.leading) {
            out(b);
        }
        for seg in self.segments() {
            out(seg.as_bytes());
            out(seg.terminator());
        }
        if let Some(b) = piece(self.notes.trailing) {
            out(b);
        }
    }

    /// Writes the message into an `std::io::Write` (see [`Message::write`]).
    ///
    /// ```
    /// # use hl7_core::Message;
    /// let mut out = Vec::new();
    /// Message::parse(b"MSH|^~\\&|A\r").unwrap().write_to(&mut out).unwrap();
    /// assert_eq!(out, b"MSH|^~\\&|A\r");
    /// ```
    #[cfg(feature = "std")]
    pub fn write_to<W: std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        write_all_to(w, |out| self.write(out))
    }
}

/// Runs a piece-by-piece writer into an `std::io::Write`, stopping at the first I/O error.
#[cfg(feature = "std")]
pub(crate) fn write_all_to<W: std::io::Write>(
    w: &mut W,
    write: impl FnOnce(&mut dyn FnMut(&[u8])),
) -> std::io::Result<()> {
    let mut result = Ok(());
    write(&mut |b: &[u8]| {
        if result.is_ok() {
            result = w.write_all(b);
        }
    });
    result
}

/// Records the terminator style of one segment; returns the style of its first line break.
fn note_terminator(t: &mut Terminators, term: &[u8], last: bool) -> Option<&'static [u8]> {
    let style: &'static [u8] = match term {
        [] => {
            if last {
                t.missing_final = true;
            }
            return None;
        }
        [b'\r', b'\n', ..] => b"\r\n",
        [b'\r', ..] => b"\r",
        _ => b"\n",
    };
    match style {
        b"\r\n" => t.crlf = true,
        b"\r" => t.cr = true,
        _ => t.lf = true,
    }
    Some(style)
}

#[cold]
fn limit(limit: Limit, configured: usize, offset: usize) -> ParseError {
    ParseError::new(ErrorKind::LimitExceeded { limit, configured }, offset)
}

/// Checks the per-segment limits: first a cheap count over the whole segment; only when that
/// bound is exceeded does it walk the fields to find the exact place.
fn check_segment_limits(seg: &Segment<'_>, limits: &Limits) -> Result<(), ParseError> {
    let d = seg.ctx.delimiters;
    let bytes = seg.bytes;
    // Every count is at most the segment length: short segments cannot break a limit.
    let smallest =
        limits.max_fields.min(limits.max_repetitions).min(limits.max_components).min(limits.max_subcomponents);
    if bytes.len() < smallest && bytes.len() <= limits.max_field_bytes {
        return Ok(());
    }
    // Coarse bound per delimiter, vectorised: fewer occurrences in the whole segment than the limit
    // means no field, repetition or component can exceed it.
    let below = |b: u8, max: usize| max > 0 && memchr::memchr_iter(b, bytes).nth(max - 1).is_none();
    // A header segment counts MSH-1 and MSH-2 besides the separators: one field more.
    let field_budget = if seg.is_header() { limits.max_fields.saturating_sub(1) } else { limits.max_fields };
    if below(d.field(), field_budget)
        && below(d.repetition(), limits.max_repetitions)
        && below(d.component(), limits.max_components)
        && d.subcomponent().is_none_or(|s| below(s, limits.max_subcomponents))
        && bytes.len() <= limits.max_field_bytes
    {
        return Ok(());
    }
    for (i, field) in seg.fields().enumerate() {
        if i >= limits.max_fields {
            return Err(limit(Limit::Fields, limits.max_fields, field.offset));
        }
        if field.len() > limits.max_field_bytes {
            return Err(limit(Limit::FieldBytes, limits.max_field_bytes, field.offset + limits.max_field_bytes));
        }
        for (j, rep) in field.repetitions().enumerate() {
            if j >= limits.max_repetitions {
                return Err(limit(Limit::Repetitions, limits.max_repetitions, rep.offset));
            }
            for (k, comp) in rep.components().enumerate() {
                if k >= limits.max_components {
                    return Err(limit(Limit::Components, limits.max_components, comp.offset));
                }
                if let Some((_, off)) =
                    Pieces::new(comp.bytes, comp.offset, d.subcomponent(), seg.ctx.scan).nth(limits.max_subcomponents)
                {
                    return Err(limit(Limit::Subcomponents, limits.max_subcomponents, off));
                }
            }
        }
    }
    Ok(())
}

/// Iterator over the segments of a message.
#[derive(Clone)]
pub struct Segments<'a> {
    body: &'a [u8],
    pos: usize,
    ctx: Ctx,
}

impl fmt::Debug for Segments<'_> {
    // Shape only (PHI).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Segments").field("pos", &self.pos).field("end", &self.body.len()).finish()
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    #[inline]
    fn next(&mut self) -> Option<Segment<'a>> {
        if self.pos >= self.body.len() {
            return None;
        }
        let e = segment_end(self.body, self.pos, self.ctx.delimiters.field());
        let seg = Segment {
            bytes: self.body.get(self.pos..e.content_end).unwrap_or_default(),
            terminator: self.body.get(e.content_end..e.next).unwrap_or_default(),
            offset: self.pos,
            ctx: self.ctx,
        };
        self.pos = e.next;
        Some(seg)
    }
}
