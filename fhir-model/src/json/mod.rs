//! FHIR JSON: reading and writing by the rules of the FHIR JSON format.
//!
//! * Nothing empty is written: no `{}`, `[]` or `""`, and no element whose content is empty.
//! * Primitive extensions live in the `_name` sibling; repeating primitives keep the two arrays
//!   aligned with `null`.
//! * [`ReadMode::Strict`] rejects elements FHIR R4 does not define; [`ReadMode::Lenient`] keeps
//!   them in each object's `unknown` field and writes them back.
//!
//! The serde impls are generated as plain code (no derive), and all entry points read through
//! `serde_json`'s slice deserializer, so each impl is compiled for one deserializer only.
//!
//! The read mode travels with the read, never in global or thread-local state: the entry points
//! read through a seed carrying the mode and the collector of where a read failed (the private
//! `read` module); a caller with its own deserializer uses [`ReadSeed`], and the plain
//! `Deserialize` impls read strictly.

use std::fmt::{self, Write as _};

use serde::ser::Serialize;
use serde_json::Value;

use crate::primitives::Primitive;
use crate::Resource;

mod read;
mod write;

pub(crate) use read::{
    de_choice, de_choice_prim, de_choice_prim_ext, de_opt, de_plain, de_prim, de_prim_ext, de_prims, de_prims_ext,
    de_vec, impl_deserialize, read_rest, FhirObject, FhirRead, ObjectVisitor, ReadState,
};
use read::{Failure, Segment};
pub use read::{FromFhirJson, ReadSeed};
pub(crate) use write::{ser_one, ser_opt, ser_plain, ser_prim, ser_prim_one, ser_prims, ser_unknown, ser_vec};

/// How unknown elements are treated when reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ReadMode {
    /// Reject any element FHIR R4 does not define (the default).
    #[default]
    Strict,
    /// Keep unknown elements in the `unknown` field of the object they appear in.
    Lenient,
}

/// What went wrong while reading FHIR JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// The input is not well-formed JSON.
    Syntax,
    /// The input ended early.
    Eof,
    /// Reading from the source failed.
    Io,
    /// A value does not fit its element's type (e.g. a string where an object belongs).
    InvalidValue,
    /// A `decimal` that is not a JSON number.
    NotANumber,
    /// An element FHIR R4 does not define here (strict mode).
    UnknownElement,
    /// `resourceType` differs from the type being read.
    WrongResourceType,
    /// A `resourceType` this crate does not model.
    UnsupportedResourceType,
    /// A resource without `resourceType`.
    MissingResourceType,
}

impl JsonErrorKind {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Self::Syntax => "malformed JSON",
            Self::Eof => "unexpected end of input",
            Self::Io => "I/O error",
            Self::InvalidValue => "value does not fit the element's type",
            Self::NotANumber => "decimal must be a JSON number",
            Self::UnknownElement => "unknown element",
            Self::WrongResourceType => "resourceType does not match",
            Self::UnsupportedResourceType => "unsupported resourceType",
            Self::MissingResourceType => "resource without resourceType",
        }
    }
}

/// An error reading or writing FHIR JSON. Its text names the element path, never a value.
///
/// `Display` and `Debug` print the kind, the element path, the line and column, and a name
/// taken from the input (an unknown element, an unsupported `resourceType`) only when it is
/// shaped like a FHIR name: ASCII, a letter or `_` first, then letters, digits or `_`, at most
/// 64 bytes. Any other name is printed as its length (`<23 bytes>`), since it may be content.
///
/// ```
/// use fhir_model::{from_json_str, JsonErrorKind, ReadMode, Resource};
/// let err = from_json_str::<Resource>(r#"{"resourceType":"Jane Doe 1970"}"#, ReadMode::Strict).unwrap_err();
/// assert_eq!(err.kind(), JsonErrorKind::UnsupportedResourceType);
/// assert_eq!(err.to_string(), "unsupported resourceType `<13 bytes>` (line 1, column 32)");
/// assert!(!format!("{err:?}").contains("Jane"));
/// // The accessor gives the input's own text, for a caller that chooses to use it.
/// assert_eq!(err.element(), Some("Jane Doe 1970"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct JsonError {
    kind: JsonErrorKind,
    element: Option<String>,
    path: String,
    line: usize,
    column: usize,
}

impl JsonError {
    /// What went wrong.
    pub fn kind(&self) -> JsonErrorKind {
        self.kind
    }

    /// The name the error is about, as the input wrote it: the unknown element's JSON name
    /// ([`JsonErrorKind::UnknownElement`]) or the unsupported `resourceType`
    /// ([`JsonErrorKind::UnsupportedResourceType`]); `None` for other kinds.
    ///
    /// This is input text and may be content: `Display` and `Debug` show it only when it is
    /// shaped like a FHIR name (see [`JsonError`]); whoever logs this accessor's result owns that choice.
    pub fn element(&self) -> Option<&str> {
        self.element.as_deref()
    }

    /// Path of the element where it went wrong (`Patient.name.given`), empty at the root.
    ///
    /// Its steps are element names of the FHIR definitions; a step that is not shaped like a
    /// FHIR name (see [`JsonError`]) would appear as its length (`<23 bytes>`), never as its text.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// 1-based line of the input where it went wrong (0 when unknown).
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column of the input where it went wrong (0 when unknown).
    pub fn column(&self) -> usize {
        self.column
    }

    fn from_json(e: &serde_json::Error, failure: Failure) -> Self {
        let kind = failure.kind.unwrap_or(match e.classify() {
            serde_json::error::Category::Syntax => JsonErrorKind::Syntax,
            serde_json::error::Category::Eof => JsonErrorKind::Eof,
            serde_json::error::Category::Io => JsonErrorKind::Io,
            serde_json::error::Category::Data => JsonErrorKind::InvalidValue,
        });
        let mut path = String::new();
        for (i, seg) in failure.path.iter().rev().enumerate() {
            match seg {
                Segment::Resource(name) if i == 0 => path.push_str(name),
                Segment::Resource(_) => {}
                Segment::Key(k) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    // Keys reach here only after the schema matched them; the shape check
                    // keeps that true if a caller ever notes an input key.
                    let _ = write!(path, "{}", Shown(k));
                }
            }
        }
        JsonError { kind, element: failure.element, path, line: e.line(), column: e.column() }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.message())?;
        if let Some(el) = &self.element {
            write!(f, " `{}`", Shown(el))?;
        }
        if !self.path.is_empty() {
            write!(f, " at {}", self.path)?;
        }
        write!(f, " (line {}, column {})", self.line, self.column)
    }
}

// By hand: a derived `Debug` would print the element name verbatim.
impl fmt::Debug for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonError")
            .field("kind", &self.kind)
            .field("element", &self.element.as_deref().map(Shown))
            .field("path", &self.path)
            .field("line", &self.line)
            .field("column", &self.column)
            .finish()
    }
}

/// Longest input-derived name printed as written; FHIR names are far shorter.
const MAX_SHOWN_NAME: usize = 64;

/// Whether an input-derived name may be printed: shaped like a FHIR name (ASCII, a letter or
/// `_` first, then letters, digits or `_`, at most [`MAX_SHOWN_NAME`] bytes). Anything else
/// (spaces, punctuation, non-ASCII, long text) may be content and is printed as its length.
fn is_name_shaped(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= MAX_SHOWN_NAME
        && bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// An input-derived name as errors print it: as written when name-shaped, else `<N bytes>`.
#[derive(Clone, Copy)]
struct Shown<'a>(&'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_name_shaped(self.0) {
            f.write_str(self.0)
        } else {
            write!(f, "<{} bytes>", self.0.len())
        }
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_name_shaped(self.0) {
            // Name-shaped text needs no escaping.
            write!(f, "\"{}\"", self.0)
        } else {
            write!(f, "<{} bytes>", self.0.len())
        }
    }
}

impl std::error::Error for JsonError {}

/// Reads FHIR JSON bytes into a typed value.
///
/// ```
/// use fhir_model::{from_json_slice, ReadMode, Resource};
/// let json = br#"{"resourceType":"Patient","birthDate":"1970","gender":"female"}"#;
/// let r: Resource = from_json_slice(json, ReadMode::Strict).unwrap();
/// assert_eq!(r.resource_type(), "Patient");
///
/// let odd = br#"{"resourceType":"Patient","nickname":"x"}"#;
/// let err = from_json_slice::<Resource>(odd, ReadMode::Strict).unwrap_err();
/// assert_eq!(err.to_string(), "unknown element `nickname` at Patient (line 1, column 36)");
/// assert!(from_json_slice::<Resource>(odd, ReadMode::Lenient).is_ok());
/// ```
pub fn from_json_slice<T: FromFhirJson>(bytes: &[u8], mode: ReadMode) -> Result<T, JsonError> {
    let state = ReadState::new(mode);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let read = T::read(&mut de, &state).and_then(|value| de.end().map(|()| value));
    read.map_err(|e| JsonError::from_json(&e, state.into_failure()))
}

/// Reads FHIR JSON text into a typed value (see [`from_json_slice`]).
///
/// ```
/// use fhir_model::{from_json_str, Observation, ReadMode};
/// let obs: Observation = from_json_str(r#"{"resourceType":"Observation","status":"final"}"#, ReadMode::Strict).unwrap();
/// assert_eq!(obs.status.as_ref().and_then(|s| s.as_str()), Some("final"));
/// ```
pub fn from_json_str<T: FromFhirJson>(text: &str, mode: ReadMode) -> Result<T, JsonError> {
    from_json_slice(text.as_bytes(), mode)
}

fn write_error(e: &serde_json::Error) -> JsonError {
    JsonError { kind: JsonErrorKind::Io, element: None, path: String::new(), line: e.line(), column: e.column() }
}

/// Writes a value as compact FHIR JSON.
///
/// ```
/// use fhir_model::{to_json_string, Patient, HumanName};
/// let p = Patient {
///     id: Some("p1".into()),
///     name: vec![HumanName { family: Some("Doe".into()), ..Default::default() }, HumanName::default()],
///     ..Default::default()
/// };
/// // The empty name is not written.
/// assert_eq!(to_json_string(&p).unwrap(), r#"{"resourceType":"Patient","id":"p1","name":[{"family":"Doe"}]}"#);
/// ```
pub fn to_json_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, JsonError> {
    // Resources are rarely tiny: start with a few KiB rather than growing from 128 bytes.
    let mut out = Vec::with_capacity(4096);
    serde_json::to_writer(&mut out, value).map_err(|e| write_error(&e))?;
    Ok(out)
}

/// Writes a value as compact FHIR JSON text.
pub fn to_json_string<T: Serialize + ?Sized>(value: &T) -> Result<String, JsonError> {
    let bytes = to_json_vec(value)?;
    String::from_utf8(bytes).map_err(|_| JsonError {
        kind: JsonErrorKind::Io,
        element: None,
        path: String::new(),
        line: 0,
        column: 0,
    })
}

/// Writes a value as indented FHIR JSON text.
pub fn to_json_pretty<T: Serialize + ?Sized>(value: &T) -> Result<String, JsonError> {
    serde_json::to_string_pretty(value).map_err(|e| write_error(&e))
}

/// Elements that FHIR R4 does not define, kept from a lenient read (and written back).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Unknown(Option<Box<serde_json::Map<String, Value>>>);

impl Unknown {
    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|m| m.is_empty())
    }

    /// The kept elements, by JSON name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().flat_map(|m| m.iter()).map(|(k, v)| (k.as_str(), v))
    }

    /// Keeps an element.
    pub fn insert(&mut self, name: String, value: Value) {
        self.0.get_or_insert_with(Default::default).insert(name, value);
    }
}

/// Whether a value would write nothing (FHIR forbids empty objects, arrays and strings).
pub(crate) trait Empty {
    fn is_empty(&self) -> bool;
}

impl Empty for String {
    fn is_empty(&self) -> bool {
        String::is_empty(self)
    }
}

impl<T: Empty> Empty for Option<T> {
    fn is_empty(&self) -> bool {
        self.as_ref().is_none_or(Empty::is_empty)
    }
}

impl<T: Empty> Empty for Vec<T> {
    fn is_empty(&self) -> bool {
        self.iter().all(Empty::is_empty)
    }
}

impl<T: Empty + ?Sized> Empty for Box<T> {
    fn is_empty(&self) -> bool {
        (**self).is_empty()
    }
}

impl Empty for Unknown {
    fn is_empty(&self) -> bool {
        Unknown::is_empty(self)
    }
}

impl Empty for Resource {
    fn is_empty(&self) -> bool {
        false
    }
}

impl<T: PrimValue> Empty for Primitive<T> {
    fn is_empty(&self) -> bool {
        self.value.as_ref().is_none_or(PrimValue::is_blank) && self.element.as_deref().is_none_or(Empty::is_empty)
    }
}

/// A value type that can sit in a [`Primitive`].
pub(crate) trait PrimValue: Serialize + FhirRead {
    /// An empty string, which FHIR JSON never writes.
    fn is_blank(&self) -> bool {
        false
    }
    /// Checks the value's format against the FHIR type of its element.
    fn check(&self, fmt: crate::validate::Fmt) -> Result<(), &'static str>;
    /// The value as a code, for binding checks.
    fn as_code(&self) -> Option<&str> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_shape_accepts_fhir_names() {
        for name in ["birthDate", "_birthDate", "valueQuantity", "Patient", "x", "a1_b2", &"n".repeat(MAX_SHOWN_NAME)] {
            assert!(is_name_shaped(name), "{name}");
            assert_eq!(Shown(name).to_string(), name);
            assert_eq!(format!("{:?}", Shown(name)), format!("\"{name}\""));
        }
    }

    #[test]
    fn name_shape_rejects_anything_else() {
        let long = "n".repeat(MAX_SHOWN_NAME + 1);
        for name in ["", "SMITH JOHN", "1970-03-01", "9abc", "-x", "a.b", "a-b", "Müller", "a\"b", "a\nb", "x`y", &long]
        {
            assert!(!is_name_shaped(name), "{name:?}");
            let shape = format!("<{} bytes>", name.len());
            assert_eq!(Shown(name).to_string(), shape);
            assert_eq!(format!("{:?}", Shown(name)), shape);
        }
    }

    fn read_err(json: &str) -> JsonError {
        match from_json_str::<Resource>(json, ReadMode::Strict) {
            Ok(_) => panic!("{json} should not read"),
            Err(e) => e,
        }
    }

    #[test]
    fn unknown_element_not_name_shaped_prints_its_length() {
        let e = read_err(r#"{"resourceType":"Patient","SMITH JOHN":1}"#);
        assert_eq!(e.kind(), JsonErrorKind::UnknownElement);
        assert_eq!(e.element(), Some("SMITH JOHN"));
        assert_eq!(e.to_string(), "unknown element `<10 bytes>` at Patient (line 1, column 38)");
        let debug = format!("{e:?}");
        assert!(debug.contains("<10 bytes>") && !debug.contains("SMITH"), "{debug}");
    }

    #[test]
    fn unknown_element_name_shaped_is_printed() {
        let e = read_err(r#"{"resourceType":"Patient","nickname":"x"}"#);
        assert_eq!(e.to_string(), "unknown element `nickname` at Patient (line 1, column 36)");
        assert!(format!("{e:?}").contains(r#"element: Some("nickname")"#), "{e:?}");
    }

    #[test]
    fn unsupported_resource_type_not_name_shaped_prints_its_length() {
        // Also through the buffering path (`resourceType` not first).
        for json in [r#"{"resourceType":"SMITH JOHN"}"#, r#"{"id":"a","resourceType":"SMITH JOHN"}"#] {
            let e = read_err(json);
            assert_eq!(e.kind(), JsonErrorKind::UnsupportedResourceType, "{json}");
            assert_eq!(e.element(), Some("SMITH JOHN"));
            assert!(e.to_string().starts_with("unsupported resourceType `<10 bytes>`"), "{e}");
            assert!(!format!("{e}{e:?}").contains("SMITH"), "{e:?}");
        }
        let e = read_err(r#"{"resourceType":"Substance"}"#);
        assert!(e.to_string().starts_with("unsupported resourceType `Substance`"), "{e}");
    }

    #[test]
    fn path_keys_are_shape_checked() {
        // No input key reaches the path today; note one by hand to check the guard itself.
        let state = ReadState::new(ReadMode::Strict);
        state.note_path(Segment::Key("SMITH JOHN".to_string()));
        state.note_path(Segment::Key("name".to_string()));
        state.note_path(Segment::Resource("Patient"));
        let json_err = serde_json::from_str::<u8>("x").unwrap_err();
        let e = JsonError::from_json(&json_err, state.into_failure());
        assert_eq!(e.path(), "Patient.name.<10 bytes>");
        assert!(!format!("{e}{e:?}").contains("SMITH"));
    }

    #[test]
    fn io_kind_prints_no_content() {
        // `Io` is not reachable through the slice reader; check its text directly.
        let e = JsonError { kind: JsonErrorKind::Io, element: None, path: String::new(), line: 0, column: 0 };
        assert_eq!(e.to_string(), "I/O error (line 0, column 0)");
        assert_eq!(format!("{e:?}"), r#"JsonError { kind: Io, element: None, path: "", line: 0, column: 0 }"#);
    }
}
