//! Building and editing messages: [`MessageBuf`].
//!
//! A [`MessageBuf`] holds one owned byte string per segment. An edit re-splits only the segment it
//! touches, so every other segment keeps its exact input bytes. Values given to [`MessageBuf::set`]
//! are escaped with the message's delimiters; [`MessageBuf::set_raw`] takes values that are already
//! escaped. MSH-1 and MSH-2 (the delimiters themselves) are never set by path.
//!
//! ```
//! use hl7_messaging::build::MessageBuf;
//! use hl7_core::{Delimiters, Message};
//!
//! let mut msg = MessageBuf::with_header(Delimiters::default(), &["ADT", "A01", "ADT_A01"], "MSG1", "2.5.1")?;
//! msg.set("PID-3[2].1", "12345")?;
//! msg.set("PID-5.1", "O'NEIL|SMITH")?; // the `|` is escaped as \F\
//! let bytes = msg.to_bytes();
//! assert_eq!(bytes, b"MSH|^~\\&|||||||ADT^A01^ADT_A01|MSG1||2.5.1\rPID|||~12345||O'NEIL\\F\\SMITH\r");
//!
//! let parsed = Message::parse(&bytes)?;
//! assert_eq!(&*parsed.query("PID-5.1")?.unwrap().to_cow(), b"O'NEIL|SMITH");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::vec::Vec;
use core::fmt;

use hl7_core::is_header_id;
use hl7_core::Delimiters;
use hl7_core::Limit;
use hl7_core::Limits;
use hl7_core::Message;
use hl7_core::Scan;
use hl7_core::{Path, PathError};

mod pieces;
use pieces::{check_raw, check_segment_id, edit_levels, escape_value, header_segment, piece_range, remove_piece};

/// The segment terminator written by [`MessageBuf::to_bytes_with`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Terminator {
    /// `\r`, the standard terminator.
    #[default]
    Cr,
    /// `\n`, common in files.
    Lf,
    /// `\r\n`, common in files written on Windows.
    CrLf,
}

impl Terminator {
    /// The terminator bytes.
    ///
    /// ```
    /// assert_eq!(hl7_messaging::build::Terminator::CrLf.as_bytes(), b"\r\n");
    /// ```
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            Terminator::Cr => b"\r",
            Terminator::Lf => b"\n",
            Terminator::CrLf => b"\r\n",
        }
    }
}

/// Why an edit was refused. The message is unchanged after an error. Carries no content.
///
/// ```
/// use hl7_messaging::build::{BuildError, MessageBuf};
/// let mut msg = MessageBuf::new(hl7_core::Delimiters::default());
/// assert_eq!(msg.set("MSH-2", "^~").unwrap_err(), BuildError::HeaderDelimiters);
/// assert_eq!(msg.set("PID-0", "x").unwrap_err(), BuildError::ZeroIndex);
/// assert_eq!(msg.set("PID", "x").unwrap_err(), BuildError::MissingField);
/// assert!(matches!(msg.set("PID-", "x").unwrap_err(), BuildError::Path(_)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuildError {
    /// The path text does not follow the path grammar.
    Path(PathError),
    /// An index in the path is 0 (HL7 numbers are 1-based).
    ZeroIndex,
    /// The path names a segment only where a field is needed.
    MissingField,
    /// The path must name a whole field (no repetition or component), e.g. for [`MessageBuf::push_repetition`].
    ExpectedField,
    /// The path must name one repetition of a field (no component), e.g. for [`MessageBuf::remove_repetition`].
    ExpectedRepetition,
    /// The path names every repetition (`PID-3[*]`); an edit writes one place.
    AllRepetitions,
    /// MSH-1 and MSH-2 (FHS/BHS too) are the delimiters themselves; they are set by the constructor only.
    HeaderDelimiters,
    /// Header segments (MSH, FHS, BHS) are not created, inserted or removed by an edit.
    HeaderSegment,
    /// The value needs escaping but the delimiters define no escape character.
    CannotEscape,
    /// A subcomponent past the first was asked for, but MSH-2 defines no subcomponent separator.
    NoSubcomponentSeparator,
    /// A segment id that is not `[A-Z][A-Z0-9]{2}`.
    InvalidSegmentId,
    /// A raw value holds a segment terminator (`\r` or `\n`).
    RawTerminator,
    /// A raw value holds a delimiter of its own level or above (a `|` in a field, a `^` in a component…).
    RawDelimiter,
    /// The segment or repetition to remove does not exist.
    NotFound,
    /// A segment position past the end plus one.
    PositionOutOfRange,
    /// A path number past the default [`hl7_core::Limits`] (what the parser accepts by default), so
    /// that a hostile path cannot make the message grow without bound.
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// Its value.
        configured: usize,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Path(e) => write!(f, "{e}"),
            BuildError::ZeroIndex => f.write_str("index 0 in a path (HL7 numbers are 1-based)"),
            BuildError::MissingField => f.write_str("the path names no field"),
            BuildError::ExpectedField => f.write_str("the path must name a whole field"),
            BuildError::ExpectedRepetition => f.write_str("the path must name one repetition of a field"),
            BuildError::AllRepetitions => f.write_str("the path names every repetition ([*]); an edit needs one"),
            BuildError::HeaderDelimiters => f.write_str("MSH-1 and MSH-2 cannot be set by path"),
            BuildError::HeaderSegment => f.write_str("header segments cannot be created, inserted or removed"),
            BuildError::CannotEscape => f.write_str("value needs escaping but no escape character is defined"),
            BuildError::NoSubcomponentSeparator => f.write_str("no subcomponent separator is defined"),
            BuildError::InvalidSegmentId => f.write_str("invalid segment id"),
            BuildError::RawTerminator => f.write_str("raw value holds a segment terminator"),
            BuildError::RawDelimiter => f.write_str("raw value holds a delimiter of its level or above"),
            BuildError::NotFound => f.write_str("no such segment or repetition"),
            BuildError::PositionOutOfRange => f.write_str("segment position out of range"),
            BuildError::LimitExceeded { limit, configured } => {
                write!(f, "path exceeds a limit: {limit:?} (configured {configured})")
            }
        }
    }
}

impl core::error::Error for BuildError {}

impl From<PathError> for BuildError {
    fn from(e: PathError) -> Self {
        BuildError::Path(e)
    }
}

/// Something that names a [`Path`]: its text (`"PID-5[2].1"`) or a parsed `Path`.
pub trait IntoPath {
    /// The parsed path.
    fn into_path(self) -> Result<Path, BuildError>;
}

impl IntoPath for &str {
    fn into_path(self) -> Result<Path, BuildError> {
        Ok(Path::parse(self)?)
    }
}

impl IntoPath for Path {
    fn into_path(self) -> Result<Path, BuildError> {
        Ok(self)
    }
}

impl IntoPath for &Path {
    fn into_path(self) -> Result<Path, BuildError> {
        Ok(*self)
    }
}

/// An owned, editable message: one byte string per segment (terminators are added on output).
///
/// ```
/// use hl7_messaging::build::MessageBuf;
/// use hl7_core::Message;
///
/// let input = b"MSH|^~\\&|APP|FAC|||20240101||ADT^A08|1|P|2.5\rPID|1||OLD\rPV1|1|I\r";
/// let mut buf = MessageBuf::from_message(&Message::parse(input)?);
/// buf.set("PID-3", "NEW")?;
/// buf.remove_segment("PV1", 1)?;
/// assert_eq!(buf.to_bytes(), b"MSH|^~\\&|APP|FAC|||20240101||ADT^A08|1|P|2.5\rPID|1||NEW\r");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct MessageBuf {
    delimiters: Delimiters,
    scan: Scan,
    segments: Vec<Vec<u8>>,
}

impl fmt::Debug for MessageBuf {
    // Shape only: delimiters and segment ids are codes; no field content is printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Ids<'a>(&'a [Vec<u8>]);
        impl fmt::Debug for Ids<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.iter().map(|s| core::str::from_utf8(s.get(..3).unwrap_or_default()).unwrap_or("?")))
                    .finish()
            }
        }
        f.debug_struct("MessageBuf")
            .field("delimiters", &self.delimiters)
            .field("scan", &self.scan)
            .field("segments", &Ids(&self.segments))
            .finish()
    }
}

/// One level of the segment tree to descend: the separator that splits it and the 0-based piece.
#[derive(Clone, Copy)]
struct Level {
    sep: u8,
    piece: usize,
}

/// Where an edit lands: the levels to descend and the separators a raw value may not contain.
struct Target {
    levels: [Option<Level>; 4],
    forbidden: [Option<u8>; 4],
}

impl Target {
    fn levels(&self) -> impl Iterator<Item = Level> + '_ {
        self.levels.iter().flatten().copied()
    }
}

impl MessageBuf {
    /// A message holding only the header `MSH` with MSH-1 and MSH-2 from `delimiters`.
    ///
    /// ```
    /// use hl7_core::Delimiters;
    /// use hl7_messaging::build::MessageBuf;
    /// let (d, _) = Delimiters::from_header(b"MSH#!@%*#").unwrap();
    /// assert_eq!(MessageBuf::new(d).to_bytes(), b"MSH#!@%*\r");
    /// ```
    pub fn new(delimiters: Delimiters) -> MessageBuf {
        MessageBuf::new_with_scan(delimiters, Scan::Bytes)
    }

    /// A header-only message whose values are split with `scan` (an acknowledgment of an ISO 2022
    /// or lead-byte message echoes values in that charset).
    pub(crate) fn new_with_scan(delimiters: Delimiters, scan: Scan) -> MessageBuf {
        MessageBuf { delimiters, scan, segments: alloc::vec![header_segment(b"MSH", &delimiters)] }
    }

    /// A message with an MSH holding the message type (MSH-9, one value per component, e.g.
    /// `["ADT", "A01", "ADT_A01"]`), the control id (MSH-10) and the version (MSH-12); values are escaped.
    ///
    /// ```
    /// use hl7_core::Delimiters;
    /// use hl7_messaging::build::MessageBuf;
    /// let msg = MessageBuf::with_header(Delimiters::default(), &["ORU", "R01"], "42", "2.3").unwrap();
    /// assert_eq!(msg.to_bytes(), b"MSH|^~\\&|||||||ORU^R01|42||2.3\r");
    /// ```
    pub fn with_header(
        delimiters: Delimiters,
        message_type: &[&str],
        control_id: &str,
        version: &str,
    ) -> Result<MessageBuf, BuildError> {
        let mut msg = MessageBuf::new(delimiters);
        for (i, part) in message_type.iter().enumerate() {
            msg.set(alloc::format!("MSH-9.{}", i + 1).as_str(), part)?;
        }
        msg.set("MSH-10", control_id)?;
        msg.set("MSH-12", version)?;
        Ok(msg)
    }

    /// An editable copy of a parsed message. Each segment keeps its exact bytes (without its
    /// terminator); bytes the parser skipped before the header or after the last segment are not
    /// copied. The delimiters and the charset-aware scan mode are the message's.
    ///
    /// ```
    /// use hl7_core::{Message};
    /// use hl7_messaging::build::MessageBuf;
    /// let input = b"MSH|^~\\&|A\nZZ1|x\\S\\y\n";
    /// let buf = MessageBuf::from_message(&Message::parse(input).unwrap());
    /// assert_eq!(buf.to_bytes(), b"MSH|^~\\&|A\rZZ1|x\\S\\y\r");
    /// ```
    pub fn from_message(message: &Message<'_>) -> MessageBuf {
        MessageBuf {
            delimiters: message.delimiters(),
            scan: message.scan(),
            segments: message.segments().map(|s| s.as_bytes().to_vec()).collect(),
        }
    }

    /// The delimiters values are escaped with.
    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

    /// Number of segments.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// The raw bytes of each segment, in order, without terminators.
    ///
    /// ```
    /// use hl7_core::Delimiters;
    /// use hl7_messaging::build::MessageBuf;
    /// let mut msg = MessageBuf::new(Delimiters::default());
    /// msg.push_segment("PID", &["1"]).unwrap();
    /// assert_eq!(msg.segments().collect::<Vec<_>>(), [&b"MSH|^~\\&"[..], b"PID|1"]);
    /// ```
    pub fn segments(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.segments.iter().map(Vec::as_slice)
    }

    /// Sets the value at `path`, escaping delimiters, CR, LF and the MLLP/ISO 2022 control bytes
    /// (0x0B, 0x1C, 0x1B as `\X..\`). Missing segments, fields, repetitions and components are
    /// created (segments at the end). A path with a field only replaces the whole field (all
    /// repetitions); with a component but no repetition it writes the first repetition.
    ///
    /// Escaping works byte by byte, which suits ASCII, the ISO 8859 sets and UTF-8; for ISO-2022-JP
    /// or Big5 text, escape it yourself and use [`MessageBuf::set_raw`].
    ///
    /// ```
    /// use hl7_core::{Delimiters, Message};
    /// use hl7_messaging::build::MessageBuf;
    /// let mut msg = MessageBuf::new(Delimiters::default());
    /// msg.set("OBX[2]-5[3].2.1", "a&b")?;
    /// assert_eq!(msg.to_bytes(), b"MSH|^~\\&\rOBX\rOBX|||||~~^a\\T\\b\r");
    /// let bytes = msg.to_bytes();
    /// let parsed = Message::parse(&bytes)?;
    /// assert_eq!(&*parsed.query("OBX[2]-5[3].2.1")?.unwrap().to_cow(), b"a&b");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set(&mut self, path: impl IntoPath, value: impl AsRef<[u8]>) -> Result<(), BuildError> {
        self.put(path.into_path()?, value.as_ref(), true)
    }

    /// Sets an already escaped value at `path` (see [`MessageBuf::set`]). The value may hold the
    /// separators below its level (a field may hold `~` and `^`), never its own level's or above, and
    /// never a CR or LF.
    ///
    /// ```
    /// use hl7_messaging::build::{BuildError, MessageBuf};
    /// let mut msg = MessageBuf::new(hl7_core::Delimiters::default());
    /// msg.set_raw("PID-3", "1^^^A~2^^^B").unwrap();
    /// assert_eq!(msg.set_raw("PID-3.1", "a^b"), Err(BuildError::RawDelimiter));
    /// assert_eq!(msg.set_raw("PID-3", "a\rb"), Err(BuildError::RawTerminator));
    /// assert_eq!(msg.to_bytes(), b"MSH|^~\\&\rPID|||1^^^A~2^^^B\r");
    /// ```
    pub fn set_raw(&mut self, path: impl IntoPath, raw: impl AsRef<[u8]>) -> Result<(), BuildError> {
        self.put(path.into_path()?, raw.as_ref(), false)
    }

    /// Appends a repetition (escaped) to the field named by `path` (`PID-3`, `OBX[2]-5`). An empty
    /// or absent field counts as having no repetition, so the value becomes its first.
    ///
    /// ```
    /// use hl7_core::Delimiters;
    /// use hl7_messaging::build::MessageBuf;
    /// let mut msg = MessageBuf::new(Delimiters::default());
    /// msg.push_repetition("PID-3", "A")?;
    /// msg.push_repetition("PID-3", "B~C")?;
    /// assert_eq!(msg.to_bytes(), b"MSH|^~\\&\rPID|||A~B\\R\\C\r");
    /// # Ok::<(), hl7_messaging::build::BuildError>(())
    /// ```
    pub fn push_repetition(&mut self, path: impl IntoPath, value: impl AsRef<[u8]>) -> Result<(), BuildError> {
        let path = path.into_path()?;
        if path.is_below_field() {
            return Err(BuildError::ExpectedField);
        }
        let target = self.target(&path)?;
        let value = escape_value(value.as_ref(), &self.delimiters)?;
        let rep = self.delimiters.repetition();
        let index = self.ensure_segment(&path)?;
        self.edit(index, &target, |old| {
            let mut out = old.to_vec();
            if !out.is_empty() {
                out.push(rep);
            }
            out.extend_from_slice(&value);
            Ok(out)
        })
    }

    /// Removes one repetition (`PID-3[2]`); the repetitions after it move up. Removing the only
    /// repetition leaves the field empty.
    ///
    /// ```
    /// use hl7_core::Delimiters;
    /// use hl7_messaging::build::{BuildError, MessageBuf};
    /// let mut msg = MessageBuf::new(Delimiters::default());
    /// msg.set_raw("PID-3", "A~B~C")?;
    /// msg.remove_repetition("PID-3[2]")?;
    /// assert_eq!(msg.to_bytes(), b"MSH|^~\\&\rPID|||A~C\r");
    /// assert_eq!(msg.remove_repetition("PID-3[3]"), Err(BuildError::NotFound));
    /// # Ok::<(), BuildError>(())
    /// ```
    pub fn remove_repetition(&mut self, path: impl IntoPath) -> Result<(), BuildError> {
        let path = path.into_path()?;
        let (Some(rep), None) = (path.repetition_number(), path.component_number()) else {
            return Err(BuildError::ExpectedRepetition);
        };
        let target = self.target(&path)?;
        let index = self.find_segment(&path).ok_or(BuildError::NotFound)?;
        let field = Target { levels: [target.levels[0], None, None, None], forbidden: [None; 4] };
        let (sep, scan) = (self.delimiters.repetition(), self.scan);
        self.edit(index, &field, |old| {
            // An empty field has no repetition to remove.
            if old.is_empty() || piece_range(old, sep, scan, rep - 1).is_none() {
                return Err(BuildError::NotFound);
            }
            Ok(remove_piece(old, sep, scan, rep - 1))
        })
    }

    /// Appends a segment whose fields (from field 1) are the given values, escaped.
    ///
    /// ```
    /// use hl7_core::Delimiters;
    /// use hl7_messaging::build::MessageBuf;
    /// let mut msg = MessageBuf::new(Delimiters::default());
    /// msg.push_segment("NTE", &["1", "", "a|b"]).unwrap();
    /// assert_eq!(msg.to_bytes(), b"MSH|^~\\&\rNTE|1||a\\F\\b\r");
    /// ```
    pub fn push_segment<V: AsRef<[u8]>>(&mut self, id: &str, fields: &[V]) -> Result<(), BuildError> {
        let segment = self.new_segment(id, fields)?;
        self.segments.push(segment);
        Ok(())
    }

    /// Appends a segment given as raw, escaped bytes (`ZZ1|a^b|c`), without terminator.
    ///
    /// ```
    /// use hl7_core::Delimiters;
    /// use hl7_messaging::build::{BuildError, MessageBuf};
    /// let mut msg = MessageBuf::new(Delimiters::default());
    /// msg.push_segment_raw(b"ZZ1|a^b|c").unwrap();
    /// assert_eq!(msg.push_segment_raw(b"ZZ1|a\rPID|b"), Err(BuildError::RawTerminator));
    /// assert_eq!(msg.push_segment_raw(b"zz1|a"), Err(BuildError::InvalidSegmentId));
    /// ```
    pub fn push_segment_raw(&mut self, raw: &[u8]) -> Result<(), BuildError> {
        check_segment_id(raw.get(..3).unwrap_or(raw))?;
        if raw.iter().any(|&b| b == b'\r' || b == b'\n') {
            return Err(BuildError::RawTerminator);
        }
        if raw.get(3).is_some_and(|&b| b != self.delimiters.field()) {
            return Err(BuildError::RawDelimiter);
        }
        self.segments.push(raw.to_vec());
        Ok(())
    }

    /// Inserts a segment so that it becomes the `position`-th segment (1-based; the header stays
    /// first, so `position` is at least 2).
    ///
    /// ```
    /// use hl7_core::Delimiters;
    /// use hl7_messaging::build::{BuildError, MessageBuf};
    /// let mut msg = MessageBuf::new(Delimiters::default());
    /// msg.push_segment("PV1", &["1"])?;
    /// msg.insert_segment(2, "PID", &["1"])?;
    /// assert_eq!(msg.to_bytes(), b"MSH|^~\\&\rPID|1\rPV1|1\r");
    /// assert_eq!(msg.insert_segment(1, "EVN", &["A01"]), Err(BuildError::HeaderSegment));
    /// assert_eq!(msg.insert_segment(5, "EVN", &["A01"]), Err(BuildError::PositionOutOfRange));
    /// # Ok::<(), BuildError>(())
    /// ```
    pub fn insert_segment<V: AsRef<[u8]>>(
        &mut self,
        position: usize,
        id: &str,
        fields: &[V],
    ) -> Result<(), BuildError> {
        let at = position.checked_sub(1).ok_or(BuildError::ZeroIndex)?;
        if at == 0 && self.segments.first().is_some_and(|s| is_header_id(s.get(..3).unwrap_or_default())) {
            return Err(BuildError::HeaderSegment);
        }
        if at > self.segments.len() {
            return Err(BuildError::PositionOutOfRange);
        }
        let segment = self.new_segment(id, fields)?;
        self.segments.insert(at, segment);
        Ok(())
    }

    /// Removes the `n`-th (1-based) segment with this id. The first segment, the header, is never
    /// removed.
    ///
    /// ```
    /// use hl7_core::Delimiters;
    /// use hl7_messaging::build::{BuildError, MessageBuf};
    /// let mut msg = MessageBuf::new(Delimiters::default());
    /// msg.set("OBX[2]-1", "2")?;
    /// msg.remove_segment("OBX", 1)?;
    /// assert_eq!(msg.to_bytes(), b"MSH|^~\\&\rOBX|2\r");
    /// assert_eq!(msg.remove_segment("OBX", 2), Err(BuildError::NotFound));
    /// assert_eq!(msg.remove_segment("MSH", 1), Err(BuildError::HeaderSegment));
    /// # Ok::<(), BuildError>(())
    /// ```
    pub fn remove_segment(&mut self, id: &str, n: usize) -> Result<(), BuildError> {
        let nth = n.checked_sub(1).ok_or(BuildError::ZeroIndex)?;
        let index = self.position_of(id.as_bytes(), nth).ok_or(BuildError::NotFound)?;
        if index == 0 && is_header_id(id.as_bytes()) {
            return Err(BuildError::HeaderSegment);
        }
        self.segments.remove(index);
        Ok(())
    }

    /// The message with a `\r` after every segment.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_bytes_with(Terminator::Cr)
    }

    /// The message with the given terminator after every segment.
    ///
    /// ```
    /// use hl7_core::Delimiters;
    /// use hl7_messaging::build::{MessageBuf, Terminator};
    /// let mut msg = MessageBuf::new(Delimiters::default());
    /// msg.push_segment("PID", &["1"]).unwrap();
    /// assert_eq!(msg.to_bytes_with(Terminator::Lf), b"MSH|^~\\&\nPID|1\n");
    /// ```
    pub fn to_bytes_with(&self, terminator: Terminator) -> Vec<u8> {
        let t = terminator.as_bytes();
        let len = self.segments.iter().map(|s| s.len() + t.len()).sum();
        let mut out = Vec::with_capacity(len);
        for s in &self.segments {
            out.extend_from_slice(s);
            out.extend_from_slice(t);
        }
        out
    }

    /// Writes the message with a `\r` after every segment.
    ///
    /// ```
    /// use hl7_core::Delimiters;
    /// use hl7_messaging::build::MessageBuf;
    /// let mut out = Vec::new();
    /// MessageBuf::new(Delimiters::default()).write_to(&mut out).unwrap();
    /// assert_eq!(out, b"MSH|^~\\&\r");
    /// ```
    pub fn write_to<W: std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        self.write_to_with(w, Terminator::Cr)
    }

    /// Writes the message with the given terminator after every segment.
    pub fn write_to_with<W: std::io::Write>(&self, w: &mut W, terminator: Terminator) -> std::io::Result<()> {
        for s in &self.segments {
            w.write_all(s)?;
            w.write_all(terminator.as_bytes())?;
        }
        Ok(())
    }

    /// Applies one value to the segment named by `path`, all checks first so that an error leaves
    /// the message unchanged.
    fn put(&mut self, path: Path, value: &[u8], escape: bool) -> Result<(), BuildError> {
        let target = self.target(&path)?;
        let value = if escape {
            escape_value(value, &self.delimiters)?
        } else {
            check_raw(value, &target, self.scan)?;
            value.to_vec()
        };
        let index = self.ensure_segment(&path)?;
        self.edit(index, &target, |_| Ok(value))
    }

    /// Replaces the piece `target` names in segment `index` by what `leaf` makes of the old piece.
    fn edit(
        &mut self,
        index: usize,
        target: &Target,
        leaf: impl FnOnce(&[u8]) -> Result<Vec<u8>, BuildError>,
    ) -> Result<(), BuildError> {
        let (scan, field_sep) = (self.scan, self.delimiters.field());
        let segment = self.segments.get_mut(index).ok_or(BuildError::NotFound)?;
        let mut levels: Vec<Level> = target.levels().collect();
        // A header segment met inside a message whose byte after the id is not the field
        // separator (`BHS#^~|x`): the parser takes that byte as BHS-1 and runs BHS-2 to the first
        // separator, so the piece that holds BHS-n is one earlier than in a well-formed header.
        if let (Some(first), Some(&b)) = (levels.first_mut(), segment.get(3)) {
            if b != field_sep && is_header_id(segment.get(..3).unwrap_or_default()) {
                first.piece = first.piece.saturating_sub(1);
            }
        }
        *segment = edit_levels(segment, &levels, scan, leaf)?;
        Ok(())
    }

    /// Checks a path and turns it into the levels to descend.
    fn target(&self, path: &Path) -> Result<Target, BuildError> {
        let indexes = [
            path.segment_index(),
            path.field_number(),
            path.repetition_number(),
            path.component_number(),
            path.subcomponent_number(),
        ];
        if indexes.contains(&Some(0)) {
            return Err(BuildError::ZeroIndex);
        }
        if path.is_all_repetitions() {
            return Err(BuildError::AllRepetitions);
        }
        let field = path.field_number().ok_or(BuildError::MissingField)?;
        let limits = Limits::default();
        let bounds = [
            (path.segment_index(), Limit::Segments, limits.max_segments),
            (Some(field), Limit::Fields, limits.max_fields),
            (path.repetition_number(), Limit::Repetitions, limits.max_repetitions),
            (path.component_number(), Limit::Components, limits.max_components),
            (path.subcomponent_number(), Limit::Subcomponents, limits.max_subcomponents),
        ];
        for (n, limit, configured) in bounds {
            if n.is_some_and(|n| n > configured) {
                return Err(BuildError::LimitExceeded { limit, configured });
            }
        }
        let d = self.delimiters;
        // Piece 0 of a segment split on the field separator is its id; in a header, piece 1 is
        // MSH-2 (MSH-1 is the separator itself), so MSH-n is piece n - 1.
        let piece = if is_header_id(path.segment()) {
            if field <= 2 {
                return Err(BuildError::HeaderDelimiters);
            }
            field - 1
        } else {
            field
        };
        let mut levels = [Some(Level { sep: d.field(), piece }), None, None, None];
        let mut forbidden = [Some(d.field()), None, None, None];
        if path.repetition_number().is_some() || path.component_number().is_some() {
            levels[1] = Some(Level { sep: d.repetition(), piece: path.repetition_number().unwrap_or(1) - 1 });
            forbidden[1] = Some(d.repetition());
        }
        if let Some(c) = path.component_number() {
            levels[2] = Some(Level { sep: d.component(), piece: c - 1 });
            forbidden[2] = Some(d.component());
            match (path.subcomponent_number(), d.subcomponent()) {
                (Some(s), Some(sep)) => {
                    levels[3] = Some(Level { sep, piece: s - 1 });
                    forbidden[3] = Some(sep);
                }
                (Some(s), None) if s > 1 => return Err(BuildError::NoSubcomponentSeparator),
                _ => {}
            }
        }
        Ok(Target { levels, forbidden })
    }

    /// Index (0-based) of the `nth` (0-based) segment with this id.
    fn position_of(&self, id: &[u8], nth: usize) -> Option<usize> {
        self.segments.iter().enumerate().filter(|(_, s)| s.get(..3) == Some(id)).nth(nth).map(|(i, _)| i)
    }

    fn find_segment(&self, path: &Path) -> Option<usize> {
        self.position_of(path.segment(), path.segment_index().unwrap_or(1).checked_sub(1)?)
    }

    /// Index of the segment `path` names, appending empty segments with its id until it exists.
    fn ensure_segment(&mut self, path: &Path) -> Result<usize, BuildError> {
        if let Some(i) = self.find_segment(path) {
            return Ok(i);
        }
        let id = path.segment();
        if is_header_id(id) {
            return Err(BuildError::HeaderSegment);
        }
        let wanted = path.segment_index().unwrap_or(1);
        let have = self.segments.iter().filter(|s| s.get(..3) == Some(id)).count();
        for _ in have..wanted {
            self.segments.push(id.to_vec());
        }
        Ok(self.segments.len() - 1)
    }

    fn new_segment<V: AsRef<[u8]>>(&self, id: &str, fields: &[V]) -> Result<Vec<u8>, BuildError> {
        check_segment_id(id.as_bytes())?;
        if is_header_id(id.as_bytes()) {
            return Err(BuildError::HeaderSegment);
        }
        let mut out = id.as_bytes().to_vec();
        for f in fields {
            out.push(self.delimiters.field());
            out.extend_from_slice(&escape_value(f.as_ref(), &self.delimiters)?);
        }
        Ok(out)
    }
}
