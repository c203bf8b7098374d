//! Batch files: FHS/BHS … BTS/FTS envelopes and plain multi-message files.
//!
//! [`Batch::entries`] walks a file line by line and cuts it into messages (each `MSH` starts one) and
//! envelope segments; blank lines between messages, MLLP framing bytes and a BOM are allowed. Each
//! message is parsed with the batch's options, with offsets relative to the whole file. BTS-1
//! (messages in the batch) and FTS-1 (batches in the file) are checked when present; a mismatch is
//! yielded as an error entry and iteration goes on. Real files leave out envelope segments, so a
//! `BTS` without `BHS` closes an implicit batch (the messages since the file header or the last
//! trailer) and an `FTS` without `FHS` closes an implicit file.

use crate::delimiters::Delimiters;
use crate::error::{ErrorKind, ParseError};
use crate::message::{Message, Skipped};
use crate::options::ParseOptions;
use crate::scan::Scan;
use crate::segment::Segment;
use crate::view::Ctx;

/// One piece of a batch file.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum BatchEntry<'a> {
    /// An `FHS` file header.
    FileHeader(Segment<'a>),
    /// A `BHS` batch header.
    BatchHeader(Segment<'a>),
    /// A message (from its `MSH` to the next message or envelope segment).
    Message(Message<'a>),
    /// A `BTS` batch trailer (BTS-1 is checked against the messages since the batch began).
    BatchTrailer(Segment<'a>),
    /// An `FTS` file trailer.
    FileTrailer(Segment<'a>),
    /// Bytes that belong to no message or envelope segment (e.g. text after a trailer).
    Skipped(Skipped),
}

impl BatchEntry<'_> {
    /// The input bytes this entry stands for: a message with its skipped leading and trailing
    /// bytes, an envelope segment with its terminator (and blank lines after it), a skipped span.
    /// An MLLP start byte before an envelope segment belongs to no entry (see [`Batch::write`]).
    ///
    /// ```
    /// use hl7_core::{Batch, BatchEntry};
    /// let file = b"BHS|^~\\&\r\nMSH|^~\\&|A\rBTS|1\r";
    /// let spans: Vec<_> = Batch::new(file).entries().map(|i| i.unwrap().span()).collect();
    /// assert_eq!(spans, [0..10, 10..21, 21..27]);
    /// ```
    pub fn span(&self) -> core::ops::Range<usize> {
        match self {
            BatchEntry::FileHeader(s)
            | BatchEntry::BatchHeader(s)
            | BatchEntry::BatchTrailer(s)
            | BatchEntry::FileTrailer(s) => s.offset()..s.offset() + s.as_bytes().len() + s.terminator().len(),
            BatchEntry::Message(m) => m.offset()..m.offset() + m.as_bytes().len(),
            BatchEntry::Skipped(k) => k.offset..k.offset + k.len,
        }
    }
}

/// A batch file (or any input holding zero or more messages).
///
/// ```
/// use hl7_core::{Batch, BatchEntry};
/// let file = b"FHS|^~\\&|A\rBHS|^~\\&|A\rMSH|^~\\&|A\rPID|1\r\rMSH|^~\\&|B\rPID|2\rBTS|2\rFTS|1\r";
/// let batch = Batch::new(file);
/// let messages: Vec<_> = batch.messages().collect::<Result<_, _>>().unwrap();
/// assert_eq!(messages.len(), 2);
/// assert_eq!(messages[1].offset(), 40);
/// assert!(batch.entries().all(|i| i.is_ok()));
/// ```
#[derive(Clone, Copy)]
pub struct Batch<'a> {
    input: &'a [u8],
    options: ParseOptions,
}

impl<'a> Batch<'a> {
    /// A batch over `input` with default options.
    pub fn new(input: &'a [u8]) -> Self {
        Self::with_options(input, &ParseOptions::default())
    }

    /// A batch over `input` with the given options (used for every message).
    pub fn with_options(input: &'a [u8], options: &ParseOptions) -> Self {
        Batch { input, options: *options }
    }

    /// Every piece of the file, in order; errors (a message that does not parse, a count
    /// mismatch) are yielded in place and iteration goes on.
    pub fn entries(&self) -> BatchEntries<'a> {
        BatchEntries {
            input: self.input,
            pos: 0,
            options: self.options,
            delimiters: Delimiters::default(),
            messages_in_batch: 0,
            batches_in_file: 0,
            in_batch: false,
            in_file: false,
            pending: [None, None],
            started: false,
        }
    }

    /// Writes the file back from its entries: each message as [`Message::write`] writes it, each
    /// envelope segment with its terminator, each skipped span; bytes between entries (an MLLP start
    /// byte before an envelope segment, or the bytes of an entry that failed to parse) are written as
    /// they are. For an unmodified file the output equals the input exactly.
    ///
    /// ```
    /// use hl7_core::Batch;
    /// let file = b"FHS|^~\\&|A\r\nBHS|^~\\&|A\r\nMSH|^~\\&|A\r\nPID|1\r\nBTS|1\r\nFTS|1\r\n";
    /// let mut out = Vec::new();
    /// Batch::new(file).write(|b| out.extend_from_slice(b));
    /// assert_eq!(out, file);
    /// ```
    pub fn write(&self, mut out: impl FnMut(&[u8])) {
        let mut at = 0;
        for item in self.entries().flatten() {
            let span = item.span();
            if span.start < at {
                // Entries never overlap; a count error is not an entry with bytes.
                continue;
            }
            if let Some(gap) = self.input.get(at..span.start).filter(|g| !g.is_empty()) {
                out(gap);
            }
            match item {
                BatchEntry::Message(m) => m.write(&mut out),
                BatchEntry::FileHeader(s)
                | BatchEntry::BatchHeader(s)
                | BatchEntry::BatchTrailer(s)
                | BatchEntry::FileTrailer(s) => {
                    out(s.as_bytes());
                    out(s.terminator());
                }
                BatchEntry::Skipped(k) => out(self.input.get(k.offset..k.offset + k.len).unwrap_or_default()),
            }
            at = span.end;
        }
        if let Some(rest) = self.input.get(at..).filter(|r| !r.is_empty()) {
            out(rest);
        }
    }

    /// Writes the file into an `std::io::Write` (see [`Batch::write`]).
    ///
    /// ```
    /// let mut out = Vec::new();
    /// hl7_core::Batch::new(b"MSH|^~\\&|A\rBTS|1\r").write_to(&mut out).unwrap();
    /// assert_eq!(out, b"MSH|^~\\&|A\rBTS|1\r");
    /// ```
    #[cfg(feature = "std")]
    pub fn write_to<W: std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        crate::message::write_all_to(w, |out| self.write(out))
    }

    /// Only the messages (and errors).
    ///
    /// ```
    /// use hl7_core::Batch;
    /// let two = b"MSH|^~\\&|A\nPID|1\n\nMSH|^~\\&|B\nPID|2\n";
    /// assert_eq!(Batch::new(two).messages().count(), 2);
    /// ```
    pub fn messages(&self) -> impl Iterator<Item = Result<Message<'a>, ParseError>> + 'a {
        self.entries().filter_map(|i| match i {
            Ok(BatchEntry::Message(m)) => Some(Ok(m)),
            Err(e) => Some(Err(e)),
            Ok(_) => None,
        })
    }
}

impl core::fmt::Debug for Batch<'_> {
    // Shape only (PHI): never the bytes.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Batch").field("len", &self.input.len()).finish_non_exhaustive()
    }
}

impl core::fmt::Debug for BatchEntries<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BatchEntries").field("pos", &self.pos).field("len", &self.input.len()).finish_non_exhaustive()
    }
}

/// What kind of line starts at a position.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Msh,
    Fhs,
    Bhs,
    Bts,
    Fts,
}

/// Classifies a line (an optional MLLP start byte, then a header or trailer id).
fn classify(line: &[u8]) -> Option<(Kind, usize)> {
    let (skip, rest) = match line.first() {
        Some(0x0B) => (1, line.get(1..).unwrap_or_default()),
        _ => (0, line),
    };
    let (id, next) = (rest.get(..3)?, rest.get(3).copied());
    let kind = match id {
        b"MSH" => Kind::Msh,
        b"FHS" => Kind::Fhs,
        b"BHS" => Kind::Bhs,
        b"BTS" => Kind::Bts,
        b"FTS" => Kind::Fts,
        _ => return None,
    };
    let ok = match kind {
        Kind::Msh | Kind::Fhs | Kind::Bhs => next.is_some_and(|b| b.is_ascii_punctuation()),
        Kind::Bts | Kind::Fts => next.is_none_or(|b| b.is_ascii_punctuation() || b == b'\r' || b == b'\n'),
    };
    ok.then_some((kind, skip))
}

/// Iterator over the [`BatchEntry`]s of a file.
#[derive(Clone)]
#[allow(clippy::struct_excessive_bools)]
pub struct BatchEntries<'a> {
    input: &'a [u8],
    pos: usize,
    options: ParseOptions,
    delimiters: Delimiters,
    messages_in_batch: usize,
    batches_in_file: usize,
    in_batch: bool,
    in_file: bool,
    /// Items decided but not yet yielded, in order (a trailer's count error comes first, then the
    /// trailer, then any bytes skipped after it).
    pending: [Option<Result<BatchEntry<'a>, ParseError>>; 2],
    started: bool,
}

impl<'a> BatchEntries<'a> {
    fn line_end(&self, from: usize) -> usize {
        self.input.get(from..).and_then(|r| memchr::memchr2(b'\r', b'\n', r)).map_or(self.input.len(), |i| from + i)
    }

    fn skip_breaks(&self, mut at: usize) -> usize {
        while matches!(self.input.get(at), Some(b'\r' | b'\n')) {
            at += 1;
        }
        at
    }

    /// The start of the next header/trailer line at or after `from`, or the end.
    fn next_boundary(&self, from: usize) -> usize {
        let mut at = from;
        while at < self.input.len() {
            if classify(self.input.get(at..).unwrap_or_default()).is_some() {
                return at;
            }
            at = self.skip_breaks(self.line_end(at));
        }
        self.input.len()
    }

    /// An envelope segment from `start` to `end`, its terminator (and any blank lines after it)
    /// running to `after`, as for the segments of a message.
    fn envelope(&self, start: usize, end: usize, after: usize) -> Segment<'a> {
        let ctx = Ctx { delimiters: self.delimiters, scan: Scan::Bytes, literal: false };
        let bytes = self.input.get(start..end).unwrap_or_default();
        let terminator = self.input.get(end..after).unwrap_or_default();
        Segment { bytes, terminator, offset: start, ctx }
    }

    /// Checks a trailer count (field 1) against what was found.
    fn check_count(seg: &Segment<'a>, found: usize) -> Option<ParseError> {
        let field = seg.field(1)?;
        let text = core::str::from_utf8(field.as_bytes()).ok()?.trim();
        if text.is_empty() {
            return None;
        }
        match text.parse::<usize>() {
            Ok(declared) if declared == found => None,
            Ok(declared) => Some(ParseError::new(ErrorKind::BatchCountMismatch { declared, found }, field.offset())),
            Err(_) => Some(ParseError::new(ErrorKind::BatchStructure, field.offset())),
        }
    }
}

impl<'a> Iterator for BatchEntries<'a> {
    type Item = Result<BatchEntry<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(p) = self.pending[0].take() {
            self.pending.swap(0, 1);
            return Some(p);
        }
        if !self.started {
            self.started = true;
            if self.input.iter().all(|&b| matches!(b, b'\r' | b'\n' | b' ' | b'\t' | 0x0B | 0x1C)) {
                self.pos = self.input.len();
                return Some(Err(ParseError::new(ErrorKind::Empty, 0)));
            }
        }
        if self.pos >= self.input.len() {
            return None;
        }
        let start = self.pos;
        let first = self.next_boundary(start);
        let Some((kind, skip)) = classify(self.input.get(first..).unwrap_or_default()) else {
            // No header or trailer at all from here on.
            self.pos = self.input.len();
            if start == 0 {
                return Some(
                    Message::parse_range(self.input, 0..self.input.len(), &self.options).map(BatchEntry::Message),
                );
            }
            return Some(Ok(BatchEntry::Skipped(Skipped { offset: start, len: self.input.len() - start })));
        };
        if kind == Kind::Msh {
            // A message runs to the next boundary line; bytes before it (BOM, log text) belong to it.
            let body_from = self.skip_breaks(self.line_end(first));
            let end = self.next_boundary(body_from);
            self.pos = end;
            self.messages_in_batch += 1;
            return Some(Message::parse_range(self.input, start..end, &self.options).map(BatchEntry::Message));
        }
        if first > start {
            // Junk before an envelope line.
            self.pos = first;
            return Some(Ok(BatchEntry::Skipped(Skipped { offset: start, len: first - start })));
        }
        let seg_start = first + skip;
        let seg_end = self.line_end(seg_start);
        let after = self.skip_breaks(seg_end);
        let next = self.next_boundary(after);
        if next > after {
            self.pending[0] = Some(Ok(BatchEntry::Skipped(Skipped { offset: after, len: next - after })));
        }
        self.pos = next;
        let item = match kind {
            Kind::Fhs | Kind::Bhs => {
                match Delimiters::read(
                    self.input.get(seg_start..seg_end).unwrap_or_default(),
                    self.options.repair_encoding_characters,
                ) {
                    Ok((d, _, _)) => self.delimiters = d,
                    Err(e) => return Some(Err(ParseError::new(e.kind(), seg_start + e.offset()))),
                }
                let seg = self.envelope(seg_start, seg_end, after);
                if kind == Kind::Fhs {
                    self.in_file = true;
                    self.batches_in_file = 0;
                    BatchEntry::FileHeader(seg)
                } else {
                    self.in_batch = true;
                    self.batches_in_file += 1;
                    self.messages_in_batch = 0;
                    BatchEntry::BatchHeader(seg)
                }
            }
            Kind::Bts => {
                let seg = self.envelope(seg_start, seg_end, after);
                if !self.in_batch {
                    // A trailer without header closes an implicit batch.
                    self.batches_in_file += 1;
                }
                self.in_batch = false;
                let found = core::mem::take(&mut self.messages_in_batch);
                if let Some(e) = Self::check_count(&seg, found) {
                    self.pending.swap(0, 1);
                    self.pending[0] = Some(Ok(BatchEntry::BatchTrailer(seg)));
                    return Some(Err(e));
                }
                BatchEntry::BatchTrailer(seg)
            }
            Kind::Fts | Kind::Msh => {
                let seg = self.envelope(seg_start, seg_end, after);
                if !self.in_batch && self.messages_in_batch > 0 {
                    // Messages with no batch envelope at all form one implicit batch.
                    self.batches_in_file += 1;
                }
                self.in_file = false;
                self.in_batch = false;
                self.messages_in_batch = 0;
                let found = core::mem::take(&mut self.batches_in_file);
                if let Some(e) = Self::check_count(&seg, found) {
                    self.pending.swap(0, 1);
                    self.pending[0] = Some(Ok(BatchEntry::FileTrailer(seg)));
                    return Some(Err(e));
                }
                BatchEntry::FileTrailer(seg)
            }
        };
        Some(Ok(item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_bts_count_is_reported_and_iteration_goes_on() {
        let file = b"BHS|^~\\&|A\rMSH|^~\\&|A\rPID|1\rBTS|3\r";
        let items: std::vec::Vec<_> = Batch::new(file).entries().collect();
        assert_eq!(items.len(), 4);
        let err = items[2].as_ref().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BatchCountMismatch { declared: 3, found: 1 });
        assert_eq!(err.offset(), 32);
        assert!(matches!(items[3], Ok(BatchEntry::BatchTrailer(_))));
    }

    #[test]
    fn trailer_without_header_closes_an_implicit_batch() {
        let items: std::vec::Vec<_> = Batch::new(b"MSH|^~\\&|A\rBTS|1\rFTS|1\r").entries().collect();
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(Result::is_ok));
        let items: std::vec::Vec<_> = Batch::new(b"FHS|^~\\&\rMSH|^~\\&|A\rMSH|^~\\&|B\rFTS|1\r").entries().collect();
        assert!(items.iter().all(Result::is_ok), "{items:?}");
        let items: std::vec::Vec<_> = Batch::new(b"MSH|^~\\&|A\rBTS|2\r").entries().collect();
        assert_eq!(items[1].as_ref().unwrap_err().kind(), ErrorKind::BatchCountMismatch { declared: 2, found: 1 });
        let items: std::vec::Vec<_> = Batch::new(b"BHS|^~\\&\rBTS|x\r").entries().collect();
        assert_eq!(items[1].as_ref().unwrap_err().kind(), ErrorKind::BatchStructure);
    }

    #[test]
    fn mllp_framed_messages_split() {
        let file = b"\x0bMSH|^~\\&|A\rPID|1\r\x1c\r\x0bMSH|^~\\&|B\rPID|2\r\x1c\r";
        let msgs: std::vec::Vec<_> = Batch::new(file).messages().map(|m| m.unwrap()).collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[1].segment_count(), 2);
        assert!(msgs[0].notes().trailing.is_some());
    }

    #[test]
    fn junk_only_is_an_error_not_a_panic() {
        let items: std::vec::Vec<_> = Batch::new(b"hello\r\nworld").entries().collect();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].as_ref().unwrap_err().kind(), ErrorKind::NoHeader);
        assert_eq!(Batch::new(b"").entries().next().unwrap().unwrap_err().kind(), ErrorKind::Empty);
    }
}
