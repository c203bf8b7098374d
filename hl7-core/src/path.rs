//! Paths like `PID-3[2].1.2`, `OBX[3]-5`, `MSH-9.2`, `PID-3[*].1`: parsed from text with nom, or
//! built as values with [`Path::new`] (`Path::new(b"ERR").field(2).component(1)`), never formatted
//! and re-parsed.
//!
//! Grammar (all numbers 1-based, as in the standard):
//! `SEG ["[" n "]"] ["-" field ["[" (n | "*") "]"] ["." component ["." subcomponent]]]`.
//! `SEG` is a segment id (`[A-Z][A-Z0-9]{2}`). Without a field repetition, a path with a component
//! reads the first repetition; a path with a field only reads the whole field (all repetitions).
//! `[*]` names every repetition ([`Message::get_all`]). An index of 0 parses but resolves to nothing.

use core::fmt;

use nom::bytes::complete::{tag, take_while_m_n};
use nom::character::complete::digit1;
use nom::combinator::{all_consuming, map_res, opt};
use nom::sequence::{delimited, preceded};
use nom::IResult;

use crate::escape::Unescape;
use crate::message::Message;
use crate::segment::Segment;
use crate::view::{nth1, Component, Ctx, Field, Repetition, Subcomponent};

/// A path to a part of a message. `Display` writes it in the text form, which parses back to the
/// same path.
///
/// ```
/// use hl7_core::Path;
/// let p: Path = "PID-3[2].1.2".parse().unwrap();
/// assert_eq!(p.segment(), b"PID");
/// assert_eq!(
///     (p.field_number(), p.repetition_number(), p.component_number(), p.subcomponent_number()),
///     (Some(3), Some(2), Some(1), Some(2))
/// );
/// assert_eq!(p.to_string(), "PID-3[2].1.2");
/// assert!("PID-".parse::<Path>().is_err());
///
/// // The same path as a value:
/// assert_eq!(Path::new(b"PID").field(3).repetition(2).component(1).subcomponent(2), p);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Path {
    segment: [u8; 3],
    segment_index: Option<usize>,
    field: Option<usize>,
    repetition: Option<Repetitions>,
    component: Option<usize>,
    subcomponent: Option<usize>,
}

/// Which repetitions of a field a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Repetitions {
    /// One, 1-based.
    Nth(usize),
    /// `[*]`: every repetition.
    All,
}

/// A path that does not follow the grammar; `offset` is where in the path text it went wrong.
///
/// ```
/// let err = "PID-x".parse::<hl7_core::Path>().unwrap_err();
/// assert_eq!(err.offset, 3);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PathError {
    /// Byte offset in the path text.
    pub offset: usize,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid path at character {}", self.offset)
    }
}

impl core::error::Error for PathError {}

fn number(input: &str) -> IResult<&str, usize> {
    map_res(digit1, str::parse::<usize>)(input)
}

fn index(input: &str) -> IResult<&str, usize> {
    delimited(tag("["), number, tag("]"))(input)
}

fn repetition_index(input: &str) -> IResult<&str, Repetitions> {
    if let Some(rest) = input.strip_prefix("[*]") {
        return Ok((rest, Repetitions::All));
    }
    index(input).map(|(rest, n)| (rest, Repetitions::Nth(n)))
}

fn segment_id(input: &str) -> IResult<&str, &str> {
    let (rest, id) = take_while_m_n(3, 3, |c: char| c.is_ascii_uppercase() || c.is_ascii_digit())(input)?;
    if id.as_bytes().first().is_some_and(u8::is_ascii_uppercase) {
        Ok((rest, id))
    } else {
        Err(nom::Err::Error(nom::error::Error::new(input, nom::error::ErrorKind::Alpha)))
    }
}

type FieldPart = (usize, Option<Repetitions>, Option<(usize, Option<usize>)>);

fn field_part(input: &str) -> IResult<&str, FieldPart> {
    let (input, field) = preceded(tag("-"), number)(input)?;
    let (input, rep) = opt(repetition_index)(input)?;
    let (input, comp) = opt(preceded(tag("."), number))(input)?;
    let (input, sub) = match comp {
        Some(_) => opt(preceded(tag("."), number))(input)?,
        None => (input, None),
    };
    Ok((input, (field, rep, comp.map(|c| (c, sub)))))
}

impl core::str::FromStr for Path {
    type Err = PathError;

    fn from_str(text: &str) -> Result<Path, PathError> {
        let parsed = all_consuming(|i| {
            let (i, id) = segment_id(i)?;
            let (i, seg_index) = opt(index)(i)?;
            let (i, field) = opt(field_part)(i)?;
            Ok((i, (id, seg_index, field)))
        })(text);
        match parsed {
            Ok((_, (id, segment_index, field))) => {
                let mut segment = [0u8; 3];
                segment.copy_from_slice(id.as_bytes().get(..3).unwrap_or(b"???"));
                let (field, repetition, comp) = match field {
                    Some((f, r, c)) => (Some(f), r, c),
                    None => (None, None, None),
                };
                Ok(Path {
                    segment,
                    segment_index,
                    field,
                    repetition,
                    component: comp.map(|c| c.0),
                    subcomponent: comp.and_then(|c| c.1),
                })
            }
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(PathError { offset: text.len() - e.input.len() }),
            Err(nom::Err::Incomplete(_)) => Err(PathError { offset: text.len() }),
        }
    }
}

impl Path {
    /// Parses a path (same as `str::parse`).
    ///
    /// ```
    /// assert!(hl7_core::Path::parse("OBX[3]-5").is_ok());
    /// ```
    pub fn parse(text: &str) -> Result<Path, PathError> {
        text.parse()
    }

    /// A path naming a whole segment (its first occurrence): the start of a path built as a value.
    /// The id is not checked here (a `MessageBuf` edit refuses an id that is not
    /// `[A-Z][A-Z0-9]{2}`).
    ///
    /// ```
    /// use hl7_core::Path;
    /// let err_2_1 = Path::new(b"ERR").field(2).component(1);
    /// assert_eq!(err_2_1.to_string(), "ERR-2.1");
    /// assert_eq!(Path::new(b"OBX").occurrence(3).field(5).to_string(), "OBX[3]-5");
    /// ```
    pub const fn new(segment: &[u8; 3]) -> Path {
        Path {
            segment: *segment,
            segment_index: None,
            field: None,
            repetition: None,
            component: None,
            subcomponent: None,
        }
    }

    /// The same path at the `n`-th occurrence of its segment (1-based; 0 resolves to nothing).
    ///
    /// ```
    /// assert_eq!(hl7_core::Path::new(b"NK1").occurrence(2).to_string(), "NK1[2]");
    /// ```
    #[must_use]
    pub const fn occurrence(mut self, n: usize) -> Path {
        self.segment_index = Some(n);
        self
    }

    /// The same path at field `n` of its segment (1-based), dropping any lower levels.
    ///
    /// ```
    /// assert_eq!(hl7_core::Path::new(b"PID").field(3).to_string(), "PID-3");
    /// ```
    #[must_use]
    pub const fn field(mut self, n: usize) -> Path {
        self.field = Some(n);
        self.repetition = None;
        self.component = None;
        self.subcomponent = None;
        self
    }

    /// The same path at repetition `n` of its field (1-based). Without a field it resolves to
    /// nothing more than the segment.
    ///
    /// ```
    /// assert_eq!(hl7_core::Path::new(b"PID").field(3).repetition(2).to_string(), "PID-3[2]");
    /// ```
    #[must_use]
    pub const fn repetition(mut self, n: usize) -> Path {
        self.repetition = Some(Repetitions::Nth(n));
        self
    }

    /// The same path at every repetition of its field: `PID-3[*]` (see [`Message::get_all`]).
    ///
    /// ```
    /// use hl7_core::Path;
    /// let p = Path::new(b"PID").field(3).all_repetitions().component(1);
    /// assert_eq!(p.to_string(), "PID-3[*].1");
    /// assert_eq!("PID-3[*].1".parse::<Path>().unwrap(), p);
    /// ```
    #[must_use]
    pub const fn all_repetitions(mut self) -> Path {
        self.repetition = Some(Repetitions::All);
        self
    }

    /// The same path at component `n` (1-based), dropping any subcomponent.
    ///
    /// ```
    /// assert_eq!(hl7_core::Path::new(b"MSH").field(9).component(2).to_string(), "MSH-9.2");
    /// ```
    #[must_use]
    pub const fn component(mut self, n: usize) -> Path {
        self.component = Some(n);
        self.subcomponent = None;
        self
    }

    /// The same path at subcomponent `n` (1-based). Without a component it names nothing below the
    /// field.
    ///
    /// ```
    /// assert_eq!(hl7_core::Path::new(b"PID").field(3).component(4).subcomponent(2).to_string(), "PID-3.4.2");
    /// ```
    #[must_use]
    pub const fn subcomponent(mut self, n: usize) -> Path {
        self.subcomponent = Some(n);
        self
    }

    /// The segment id.
    ///
    /// ```
    /// assert_eq!(hl7_core::Path::new(b"PV1").segment(), b"PV1");
    /// ```
    pub fn segment(&self) -> &[u8] {
        &self.segment
    }
    /// Which occurrence of the segment (1-based), if given.
    ///
    /// ```
    /// assert_eq!(hl7_core::Path::parse("OBX[2]-5").unwrap().segment_index(), Some(2));
    /// ```
    pub fn segment_index(&self) -> Option<usize> {
        self.segment_index
    }
    /// The field number, if given.
    ///
    /// ```
    /// assert_eq!(hl7_core::Path::parse("PID-3").unwrap().field_number(), Some(3));
    /// ```
    pub fn field_number(&self) -> Option<usize> {
        self.field
    }
    /// The field repetition (1-based), if one is given; `None` for no repetition and for `[*]`.
    ///
    /// ```
    /// use hl7_core::Path;
    /// assert_eq!(Path::parse("PID-3[2]").unwrap().repetition_number(), Some(2));
    /// assert_eq!(Path::parse("PID-3[*]").unwrap().repetition_number(), None);
    /// ```
    pub fn repetition_number(&self) -> Option<usize> {
        match self.repetition {
            Some(Repetitions::Nth(n)) => Some(n),
            Some(Repetitions::All) | None => None,
        }
    }
    /// Whether the path names every repetition of its field (`[*]`).
    ///
    /// ```
    /// assert!(hl7_core::Path::parse("PID-3[*].1").unwrap().is_all_repetitions());
    /// ```
    pub fn is_all_repetitions(&self) -> bool {
        self.repetition == Some(Repetitions::All)
    }
    /// Whether the path names a repetition or a level below one (so not a whole field or segment).
    ///
    /// ```
    /// use hl7_core::Path;
    /// assert!(Path::parse("PID-3.1").unwrap().is_below_field());
    /// assert!(!Path::parse("PID-3").unwrap().is_below_field());
    /// ```
    pub fn is_below_field(&self) -> bool {
        self.field.is_some() && (self.repetition.is_some() || self.component.is_some())
    }
    /// The component number, if given.
    ///
    /// ```
    /// assert_eq!(hl7_core::Path::parse("PID-3.4").unwrap().component_number(), Some(4));
    /// ```
    pub fn component_number(&self) -> Option<usize> {
        self.component
    }
    /// The subcomponent number, if given.
    ///
    /// ```
    /// assert_eq!(hl7_core::Path::parse("PID-3.4.2").unwrap().subcomponent_number(), Some(2));
    /// ```
    pub fn subcomponent_number(&self) -> Option<usize> {
        self.subcomponent
    }

    /// Whether the parts of a message the two paths name can share bytes, so that writing at one
    /// may change what the other reads: the same segment occurrence (no index means the first),
    /// and one path's position is a prefix of the other's. A segment covers its fields, a field
    /// all its repetitions, a repetition its components; a component path without a repetition
    /// names repetition 1 (as [`Message::get`] and `MessageBuf::set` read it).
    ///
    /// ```
    /// use hl7_core::Path;
    /// let p = |t: &str| t.parse::<Path>().unwrap();
    /// assert!(p("PID-3").overlaps(&p("PID-3[2].1")));
    /// assert!(p("PID-3.1").overlaps(&p("PID[1]-3[1].1.2")));
    /// assert!(p("PID").overlaps(&p("PID-5")));
    /// assert!(!p("PID-3.1").overlaps(&p("PID-3[2].1")));
    /// assert!(!p("PID-3").overlaps(&p("PID[2]-3")));
    /// assert!(!p("PID-3").overlaps(&p("PD1-3")));
    /// ```
    pub fn overlaps(&self, other: &Path) -> bool {
        if self.segment != other.segment {
            return false;
        }
        let (a, la) = self.position();
        let (b, lb) = other.position();
        let n = la.min(lb);
        a.get(..n) == b.get(..n)
    }

    /// The position named, outermost first, and how many levels it has.
    fn position(&self) -> ([usize; 5], usize) {
        let segment = self.segment_index.unwrap_or(1);
        let Some(field) = self.field else { return ([segment, 0, 0, 0, 0], 1) };
        if self.repetition.is_none() && self.component.is_none() {
            return ([segment, field, 0, 0, 0], 2);
        }
        let repetition = match self.repetition {
            Some(Repetitions::Nth(n)) => n,
            None => 1,
            // Every repetition: as wide as the field.
            Some(Repetitions::All) => return ([segment, field, 0, 0, 0], 2),
        };
        match (self.component, self.subcomponent) {
            (None, _) => ([segment, field, repetition, 0, 0], 3),
            (Some(c), None) => ([segment, field, repetition, c, 0], 4),
            (Some(c), Some(s)) => ([segment, field, repetition, c, s], 5),
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(core::str::from_utf8(&self.segment).unwrap_or("???"))?;
        if let Some(i) = self.segment_index {
            write!(f, "[{i}]")?;
        }
        if let Some(field) = self.field {
            write!(f, "-{field}")?;
            match self.repetition {
                Some(Repetitions::Nth(r)) => write!(f, "[{r}]")?,
                Some(Repetitions::All) => f.write_str("[*]")?,
                None => {}
            }
            if let Some(c) = self.component {
                write!(f, ".{c}")?;
                if let Some(s) = self.subcomponent {
                    write!(f, ".{s}")?;
                }
            }
        }
        Ok(())
    }
}

/// What a path resolves to: a segment, field, repetition, component or subcomponent, as raw bytes
/// with its offset.
///
/// ```
/// # use hl7_core::Message;
/// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||a\\S\\b\r").unwrap();
/// let v = msg.query("PID-3").unwrap().unwrap();
/// assert_eq!(v.as_bytes(), b"a\\S\\b");
/// assert_eq!(v.offset(), 18);
/// assert_eq!(&*v.to_cow(), b"a^b");
/// ```
#[derive(Clone, Copy)]
pub struct Value<'a> {
    bytes: &'a [u8],
    offset: usize,
    ctx: Ctx,
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Value").field("offset", &self.offset).field("len", &self.bytes.len()).finish()
    }
}

impl<'a> Value<'a> {
    /// Raw bytes (escapes not decoded).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// Byte offset in the parsed input.
    pub fn offset(&self) -> usize {
        self.offset
    }
    /// Length in raw bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }
    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
    /// Whether the value is the HL7 null `""`.
    pub fn is_null(&self) -> bool {
        self.bytes == b"\"\""
    }
    /// Decoded chunks, without allocating.
    pub fn unescape(&self) -> Unescape<'a> {
        let d = if self.ctx.literal { self.ctx.delimiters.without_escape() } else { self.ctx.delimiters };
        Unescape::new(self.bytes, self.offset, d, self.ctx.scan)
    }
    /// The decoded value; borrows when nothing needs decoding.
    #[cfg(feature = "alloc")]
    pub fn to_cow(&self) -> alloc::borrow::Cow<'a, [u8]> {
        crate::escape::to_cow(self.bytes, self.unescape())
    }
}

macro_rules! value_from {
    ($($t:ident),*) => {$(
        impl<'a> From<$t<'a>> for Value<'a> {
            fn from(v: $t<'a>) -> Value<'a> {
                Value { bytes: v.bytes, offset: v.offset, ctx: v.ctx }
            }
        }
    )*};
}
value_from!(Field, Repetition, Component, Subcomponent);

impl<'a> Message<'a> {
    /// Resolves a path. `None` when any part is absent or an index is 0.
    ///
    /// ```
    /// use hl7_core::{Message, Path};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1|ST|x||first\rOBX|2|ST|y||second\r").unwrap();
    /// let p: Path = "OBX[2]-5".parse().unwrap();
    /// assert_eq!(msg.get(&p).unwrap().as_bytes(), b"second");
    /// assert!(msg.get(&"OBX[3]-5".parse().unwrap()).is_none());
    /// assert!(msg.get(&"OBX[0]-5".parse().unwrap()).is_none());
    /// ```
    pub fn get(&self, path: &Path) -> Option<Value<'a>> {
        self.segment_nth(&path.segment, path.segment_index.unwrap_or(1))?.get(path)
    }

    /// Resolves a path to every value it names: for `[*]`, the part named below each repetition
    /// of the field, in order (repetitions where it is absent are left out); otherwise the one value
    /// [`Message::get`] gives, if any.
    ///
    /// ```
    /// use hl7_core::{Message, Path};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rPID|1||123^^^H^MR~456^^^SSA^SS\r")?;
    /// let ids: Vec<&[u8]> = msg.get_all(&"PID-3[*].1".parse()?).map(|v| v.as_bytes()).collect();
    /// assert_eq!(ids, [b"123", b"456"]);
    /// let types = msg.get_all(&Path::new(b"PID").field(3).all_repetitions().component(5));
    /// assert_eq!(types.count(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_all(&self, path: &Path) -> impl Iterator<Item = Value<'a>> + 'a {
        let all = path.repetition == Some(Repetitions::All);
        let field = if all {
            self.segment_nth(&path.segment, path.segment_index.unwrap_or(1))
                .and_then(|seg| seg.field(path.field.unwrap_or(0)))
        } else {
            None
        };
        let one = if all { None } else { self.get(path) };
        let path = *path;
        let each = field.into_iter().flat_map(|f| f.repetitions()).filter_map(move |rep| below_repetition(rep, &path));
        one.into_iter().chain(each)
    }

    /// Parses `path` and resolves it (see [`Message::get`]; a `[*]` path gives the first value
    /// found, [`Message::get_all`] every one).
    ///
    /// ```
    /// # use hl7_core::Message;
    /// let msg = Message::parse(b"MSH|^~\\&|A||||||ADT^A01\r").unwrap();
    /// assert_eq!(msg.query("MSH-9.1").unwrap().unwrap().as_bytes(), b"ADT");
    /// assert!(msg.query("MSH-").is_err());
    /// ```
    pub fn query(&self, path: &str) -> Result<Option<Value<'a>>, PathError> {
        Ok(self.get(&path.parse()?))
    }
}

impl<'a> Segment<'a> {
    /// Resolves the field levels of a path in this segment (its segment id and occurrence are not
    /// looked at): the whole segment for a path without a field, else the field, repetition,
    /// component or subcomponent it names. A `[*]` path gives the first value found.
    ///
    /// ```
    /// use hl7_core::{Message, Path};
    /// let msg = Message::parse(b"MSH|^~\\&|A\rOBX|1|CE|y||a^b&c~d\r")?;
    /// let obx = msg.segments().nth(1).unwrap();
    /// assert_eq!(obx.get(&"OBX-5.2.2".parse()?).unwrap().as_bytes(), b"c");
    /// assert_eq!(obx.get(&Path::new(b"OBX").field(5).repetition(2)).unwrap().as_bytes(), b"d");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, path: &Path) -> Option<Value<'a>> {
        let Some(n) = path.field else {
            return Some(Value { bytes: self.as_bytes(), offset: self.offset(), ctx: self.ctx });
        };
        let field = self.field(n)?;
        match path.repetition {
            None if path.component.is_none() => Some(field.into()),
            Some(Repetitions::All) => field.repetitions().find_map(|rep| below_repetition(rep, path)),
            Some(Repetitions::Nth(r)) => below_repetition(field.repetition(r)?, path),
            None => below_repetition(field.repetition(1)?, path),
        }
    }
}

/// The part of one repetition a path names (the repetition itself, a component, a subcomponent).
fn below_repetition<'a>(rep: Repetition<'a>, path: &Path) -> Option<Value<'a>> {
    let Some(c) = path.component else {
        return Some(rep.into());
    };
    let comp = rep.component(c)?;
    match path.subcomponent {
        None => Some(comp.into()),
        Some(s) => nth1(comp.subcomponents(), s).map(Value::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    #[test]
    fn display_round_trips() {
        for p in [
            "PID",
            "OBX[3]",
            "PID-3",
            "PID-3[2]",
            "PID-3[2].1",
            "PID-3[2].1.2",
            "OBX[3]-5",
            "MSH-9.2",
            "ZZ1-10.4.2",
            "PID-3[*]",
            "PID-3[*].1.2",
        ] {
            assert_eq!(Path::parse(p).unwrap().to_string(), p);
        }
    }

    #[test]
    fn rejects_bad_paths() {
        for (p, at) in [
            ("", 0),
            ("pid-3", 0),
            ("1ID-3", 0),
            ("PID-", 3),
            ("PID-3.", 5),
            ("PID-3[", 5),
            ("PID-3[1", 5),
            ("PID-3x", 5),
            ("PID-3[*", 5),
            ("PID[*]-3", 3),
            ("PID-99999999999999999999999", 3),
        ] {
            assert_eq!(Path::parse(p).unwrap_err().offset, at, "{p}");
        }
    }

    #[test]
    fn overlaps_is_symmetric_and_follows_the_levels() {
        let paths = [
            "PID",
            "PID[2]",
            "PID-3",
            "PID-3[1]",
            "PID-3[2]",
            "PID-3.1",
            "PID-3.2",
            "PID-3[2].1",
            "PID-3.1.1",
            "PID-3.1.2",
            "PID[1]-3[1].1.1",
            "PID-4",
            "PID[2]-3",
            "PD1-3",
        ];
        let parsed: Vec<Path> = paths.iter().map(|p| p.parse().unwrap()).collect();
        for a in &parsed {
            assert!(a.overlaps(a));
            for b in &parsed {
                assert_eq!(a.overlaps(b), b.overlaps(a), "{a} {b}");
            }
        }
        let o = |a: &str, b: &str| a.parse::<Path>().unwrap().overlaps(&b.parse().unwrap());
        assert!(o("PID", "PID[1]-3.1"));
        assert!(!o("PID", "PID[2]-3"));
        assert!(o("PID-3.1", "PID-3[1]"));
        assert!(!o("PID-3.1", "PID-3.2"));
        assert!(o("PID-3.1", "PID-3.1.2"));
        assert!(!o("PID-3.1.1", "PID-3.1.2"));
        assert!(!o("PID-3", "PID-4"));
        assert!(o("PID-3[*].1", "PID-3[2].4"));
        assert!(!o("PID-3[*]", "PID-4"));
    }

    #[test]
    fn built_paths_equal_parsed_paths() {
        let cases = [
            (Path::new(b"ERR").field(2).component(1), "ERR-2.1"),
            (Path::new(b"OBX").occurrence(3).field(5).repetition(2), "OBX[3]-5[2]"),
            (Path::new(b"PID").field(3).all_repetitions(), "PID-3[*]"),
            (Path::new(b"PID").field(3).component(4).subcomponent(2), "PID-3.4.2"),
            // A later call at a higher level drops the levels below it.
            (Path::new(b"PID").field(3).component(4).field(5), "PID-5"),
        ];
        for (built, text) in cases {
            assert_eq!(built, text.parse::<Path>().unwrap(), "{text}");
            assert_eq!(built.to_string(), text);
        }
    }
}
