//! Paths like `PID-3[2].1.2`, `OBX[3]-5`, `MSH-9.2`, parsed with nom.
//!
//! Grammar (all numbers 1-based, as in the standard):
//! `SEG ["[" n "]"] ["-" field ["[" n "]"] ["." component ["." subcomponent]]]`.
//! `SEG` is a segment id (`[A-Z][A-Z0-9]{2}`). Without a field repetition, a path with a component
//! reads the first repetition; a path with a field only reads the whole field (all repetitions).
//! An index of 0 parses but resolves to nothing.

use core::fmt;

use nom::bytes::complete::{tag, take_while_m_n};
use nom::character::complete::digit1;
use nom::combinator::{all_consuming, map_res, opt};
use nom::sequence::{delimited, preceded};
use nom::IResult;

use crate::escape::Unescape;
use crate::message::Message;
use crate::view::{nth1, Component, Ctx, Field, Repetition, Subcomponent};

/// A parsed path. `Display` writes it back in the same form.
///
/// ```
/// use hl7_core::Path;
/// let p: Path = "PID-3[2].1.2".parse().unwrap();
/// assert_eq!(p.segment(), b"PID");
/// assert_eq!((p.field(), p.repetition(), p.component(), p.subcomponent()), (Some(3), Some(2), Some(1), Some(2)));
/// assert_eq!(p.to_string(), "PID-3[2].1.2");
/// assert!("PID-".parse::<Path>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Path {
    segment: [u8; 3],
    segment_index: Option<usize>,
    field: Option<usize>,
    repetition: Option<usize>,
    component: Option<usize>,
    subcomponent: Option<usize>,
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

#[cfg(feature = "std")]
impl std::error::Error for PathError {}

fn number(input: &str) -> IResult<&str, usize> {
    map_res(digit1, str::parse::<usize>)(input)
}

fn index(input: &str) -> IResult<&str, usize> {
    delimited(tag("["), number, tag("]"))(input)
}

fn segment_id(input: &str) -> IResult<&str, &str> {
    let (rest, id) = take_while_m_n(3, 3, |c: char| c.is_ascii_uppercase() || c.is_ascii_digit())(input)?;
    if id.as_bytes().first().is_some_and(u8::is_ascii_uppercase) {
        Ok((rest, id))
    } else {
        Err(nom::Err::Error(nom::error::Error::new(input, nom::error::ErrorKind::Alpha)))
    }
}

type FieldPart = (usize, Option<usize>, Option<(usize, Option<usize>)>);

fn field_part(input: &str) -> IResult<&str, FieldPart> {
    let (input, field) = preceded(tag("-"), number)(input)?;
    let (input, rep) = opt(index)(input)?;
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

    /// The segment id.
    pub fn segment(&self) -> &[u8] {
        &self.segment
    }
    /// Which occurrence of the segment (1-based), if given.
    pub fn segment_index(&self) -> Option<usize> {
        self.segment_index
    }
    /// The field number, if given.
    pub fn field(&self) -> Option<usize> {
        self.field
    }
    /// The field repetition (1-based), if given.
    pub fn repetition(&self) -> Option<usize> {
        self.repetition
    }
    /// The component number, if given.
    pub fn component(&self) -> Option<usize> {
        self.component
    }
    /// The subcomponent number, if given.
    pub fn subcomponent(&self) -> Option<usize> {
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
        let repetition = self.repetition.unwrap_or(1);
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
            if let Some(r) = self.repetition {
                write!(f, "[{r}]")?;
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
        let seg = self.segment_nth(&path.segment, path.segment_index.unwrap_or(1))?;
        let Some(n) = path.field else {
            return Some(Value { bytes: seg.as_bytes(), offset: seg.offset(), ctx: self.ctx() });
        };
        let field = seg.field(n)?;
        if path.repetition.is_none() && path.component.is_none() {
            return Some(field.into());
        }
        let rep = field.repetition(path.repetition.unwrap_or(1))?;
        let Some(c) = path.component else {
            return Some(rep.into());
        };
        let comp = rep.component(c)?;
        match path.subcomponent {
            None => Some(comp.into()),
            Some(s) => nth1(comp.subcomponents(), s).map(Value::from),
        }
    }

    /// Parses `path` and resolves it.
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    #[test]
    fn display_round_trips() {
        for p in
            ["PID", "OBX[3]", "PID-3", "PID-3[2]", "PID-3[2].1", "PID-3[2].1.2", "OBX[3]-5", "MSH-9.2", "ZZ1-10.4.2"]
        {
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
    }
}
