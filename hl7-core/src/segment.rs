//! [`Segment`] and its field iterator.

use core::fmt;

use crate::view::{nth1, Ctx, Field, Pieces};

/// One segment: a segment id and its fields, borrowed from the input.
///
/// Fields are numbered as in the standard. In `MSH`, `FHS` and `BHS`, field 1 is the field
/// separator itself and field 2 the encoding characters (both literal: never split or unescaped),
/// so `MSH-9` is `field(9)`. `field(0)` is `None`; use [`Segment::id`] for the id.
///
/// ```
/// use hl7_core::Message;
/// let msg = Message::parse(b"MSH|^~\\&|APP|FAC|||20240101||ADT^A01|42|P|2.5\rPID|1\r").unwrap();
/// let msh = msg.segments().next().unwrap();
/// assert_eq!(msh.id(), b"MSH");
/// assert_eq!(msh.field(1).unwrap().as_bytes(), b"|");
/// assert_eq!(msh.field(2).unwrap().as_bytes(), b"^~\\&");
/// assert_eq!(msh.field(9).unwrap().component(2).unwrap().as_bytes(), b"A01");
/// assert_eq!(msh.field(0).map(|f| f.offset()), None);
/// ```
#[derive(Clone, Copy)]
pub struct Segment<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) terminator: &'a [u8],
    pub(crate) offset: usize,
    pub(crate) ctx: Ctx,
}

/// Whether a segment id is a header that defines its own delimiters (`MSH`, `FHS`, `BHS`): its
/// first two fields are the delimiters themselves.
///
/// ```
/// assert!(hl7_core::is_header_id(b"BHS"));
/// assert!(!hl7_core::is_header_id(b"PID"));
/// ```
pub fn is_header_id(id: &[u8]) -> bool {
    matches!(id, b"MSH" | b"FHS" | b"BHS")
}

impl<'a> Segment<'a> {
    /// The segment id (`MSH`, `PID`, `ZPD`…): the first three bytes.
    pub fn id(&self) -> &'a [u8] {
        self.bytes.get(..3).unwrap_or(self.bytes)
    }

    /// The segment id as text (segment ids are ASCII).
    ///
    /// ```
    /// # use hl7_core::Message;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rZPD|1\r").unwrap();
    /// assert_eq!(msg.segments().nth(1).unwrap().id_str(), "ZPD");
    /// ```
    pub fn id_str(&self) -> &'a str {
        core::str::from_utf8(self.id()).unwrap_or("")
    }

    /// Whether this is an `MSH`, `FHS` or `BHS` header.
    pub fn is_header(&self) -> bool {
        is_header_id(self.id())
    }

    /// The segment's bytes, without its terminator.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The bytes after the segment up to the next one: its terminator (`\r`, `\n`, `\r\n`) and any
    /// blank lines; empty for a last segment without terminator.
    ///
    /// ```
    /// # use hl7_core::Message;
    /// let msg = Message::parse(b"MSH|^~\\&|A\r\n\r\nPID|1").unwrap();
    /// let t: Vec<_> = msg.segments().map(|s| s.terminator()).collect();
    /// assert_eq!(t, [&b"\r\n\r\n"[..], b""]);
    /// ```
    pub fn terminator(&self) -> &'a [u8] {
        self.terminator
    }

    /// Byte offset (0-based) of the segment in the parsed input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The fields, from field 1.
    ///
    /// ```
    /// # use hl7_core::Message;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||x\r").unwrap();
    /// let pid = msg.segments().nth(1).unwrap();
    /// assert_eq!(pid.fields().map(|f| f.as_bytes()).collect::<Vec<_>>(), [&b"1"[..], b"", b"x"]);
    /// ```
    pub fn fields(&self) -> Fields<'a> {
        let sep = self.ctx.delimiters.field();
        let after_id = self.bytes.get(3..).unwrap_or_default();
        if self.is_header() {
            // MSH-1 is the separator at byte 3; MSH-2 runs to the next separator.
            let msh2 = after_id.get(1..).unwrap_or_default();
            let len2 = msh2.iter().position(|&b| b == sep).unwrap_or(msh2.len());
            let rest = msh2.get(len2 + 1..);
            return Fields {
                header: [after_id.get(..1), msh2.get(..len2)],
                header_next: 0,
                split: rest
                    .map_or_else(Pieces::empty, |r| Pieces::new(r, self.offset + 5 + len2, Some(sep), self.ctx.scan)),
                offset: self.offset + 3,
                ctx: self.ctx,
            };
        }
        let split = match after_id.split_first() {
            None => Pieces::empty(),
            Some((&b, rest)) if b == sep => Pieces::new(rest, self.offset + 4, Some(sep), self.ctx.scan),
            // A segment id followed directly by continuation text: keep it as field 1.
            Some(_) => Pieces::new(after_id, self.offset + 3, Some(sep), self.ctx.scan),
        };
        Fields { header: [None, None], header_next: 2, split, offset: self.offset, ctx: self.ctx }
    }

    /// Field `n`, 1-based; `None` for 0 or past the last field.
    pub fn field(&self, n: usize) -> Option<Field<'a>> {
        nth1(self.fields(), n)
    }

    /// How many fields the segment has (MSH counts MSH-1 and MSH-2).
    ///
    /// ```
    /// # use hl7_core::Message;
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID\r").unwrap();
    /// let counts: Vec<_> = msg.segments().map(|s| s.field_count()).collect();
    /// assert_eq!(counts, [3, 0]);
    /// ```
    pub fn field_count(&self) -> usize {
        self.fields().count()
    }
}

impl fmt::Debug for Segment<'_> {
    // Shape only: the id is a code, never patient data; field content is not printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Segment")
            .field("id", &self.id_str())
            .field("offset", &self.offset)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Iterator over the fields of a segment.
#[derive(Clone)]
pub struct Fields<'a> {
    header: [Option<&'a [u8]>; 2],
    header_next: usize,
    split: Pieces<'a>,
    offset: usize,
    ctx: Ctx,
}

impl fmt::Debug for Fields<'_> {
    // Shape only (PHI).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fields").field("segment_offset", &self.offset).finish_non_exhaustive()
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    #[inline]
    fn next(&mut self) -> Option<Field<'a>> {
        if let Some(slot) = self.header.get(self.header_next) {
            let i = self.header_next;
            self.header_next += 1;
            if let Some(bytes) = *slot {
                let mut ctx = self.ctx;
                ctx.literal = true;
                return Some(Field { bytes, offset: self.offset + i, ctx });
            }
        }
        let (bytes, offset) = self.split.next()?;
        Some(Field { bytes, offset, ctx: self.ctx })
    }
}
