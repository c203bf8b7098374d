//! FHIR JSON: reading and writing by the rules of the FHIR JSON format.
//!
//! * Nothing empty is written: no `{}`, `[]` or `""`, and no element whose content is empty.
//! * Primitive extensions live in the `_name` sibling; repeating primitives keep the two arrays
//!   aligned with `null`.
//! * [`ReadMode::Strict`] rejects elements FHIR R4 does not define; [`ReadMode::Lenient`] keeps
//!   them in each object's `unknown` field and writes them back.
//!
//! The serde impls are generated as plain code (no derive), and all entry points read through
//! `serde_json::from_slice`, so each impl is compiled for one deserializer only.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::fmt::{self, Write as _};
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde::Deserialize;
use serde_json::Value;

use crate::primitives::Primitive;
use crate::{Element, Resource};

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

thread_local! {
    static MODE: Cell<ReadMode> = const { Cell::new(ReadMode::Strict) };
    static FAILURE: RefCell<Failure> = RefCell::new(Failure::default());
}

#[derive(Default)]
struct Failure {
    kind: Option<JsonErrorKind>,
    element: Option<String>,
    /// Innermost first.
    path: Vec<Segment>,
}

enum Segment {
    Key(String),
    Resource(&'static str),
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
    fn message(self) -> &'static str {
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

    fn from_json(e: &serde_json::Error) -> Self {
        let failure = FAILURE.with(|f| std::mem::take(&mut *f.borrow_mut()));
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

/// Records why reading failed and returns the serde error to propagate.
pub(crate) fn fail<E: de::Error>(kind: JsonErrorKind, element: Option<&str>) -> E {
    FAILURE.with(|f| {
        let mut f = f.borrow_mut();
        f.kind = Some(kind);
        f.element = element.map(str::to_string);
        f.path.clear();
    });
    E::custom(kind.message())
}

pub(crate) fn unsupported_resource<E: de::Error>(resource_type: &str) -> E {
    fail(JsonErrorKind::UnsupportedResourceType, Some(resource_type))
}

fn note_path(seg: Segment) {
    FAILURE.with(|f| {
        let mut f = f.borrow_mut();
        // Bounded: a caller using serde_json directly never resets this state.
        if f.path.len() < 64 {
            f.path.push(seg);
        }
    });
}

struct ModeGuard(ReadMode);

impl ModeGuard {
    fn set(mode: ReadMode) -> Self {
        FAILURE.with(|f| *f.borrow_mut() = Failure::default());
        ModeGuard(MODE.with(|m| m.replace(mode)))
    }
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        MODE.with(|m| m.set(self.0));
    }
}

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
pub fn from_json_slice<T: DeserializeOwned>(bytes: &[u8], mode: ReadMode) -> Result<T, JsonError> {
    let _guard = ModeGuard::set(mode);
    serde_json::from_slice(bytes).map_err(|e| JsonError::from_json(&e))
}

/// Reads FHIR JSON text into a typed value (see [`from_json_slice`]).
pub fn from_json_str<T: DeserializeOwned>(text: &str, mode: ReadMode) -> Result<T, JsonError> {
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

fn strict() -> bool {
    MODE.with(Cell::get) == ReadMode::Strict
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
pub(crate) trait PrimValue: Serialize + DeserializeOwned {
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

/// A JSON object key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(Cow<'de, str>);

impl Key<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// A generated FHIR object: reads its own elements by JSON name.
pub(crate) trait FhirObject: Default {
    /// FHIR path of the type (`Patient`, `Patient.contact`).
    const NAME: &'static str;
    /// Whether the JSON object carries `resourceType`.
    const RESOURCE: bool;
    /// Reads the value of `key`; `Ok(false)` when the element is not defined.
    fn read_field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
    /// Where unknown elements go in lenient mode.
    fn unknown_mut(&mut self) -> &mut Unknown;
}

pub(crate) struct ObjectVisitor<T>(pub(crate) PhantomData<T>);

impl<'de, T: FhirObject> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a FHIR {} object", T::NAME)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut obj = T::default();
        read_object(&mut map, &mut obj)?;
        Ok(obj)
    }
}

/// Reads the remaining members of a resource (after `resourceType`) straight into a box.
pub(crate) fn read_rest<'de, T: FhirObject, A: MapAccess<'de>>(mut map: A) -> Result<Box<T>, A::Error> {
    let mut obj = Box::<T>::default();
    read_object(&mut map, &mut *obj)?;
    Ok(obj)
}

fn read_object<'de, T: FhirObject, A: MapAccess<'de>>(map: &mut A, obj: &mut T) -> Result<(), A::Error> {
    while let Some(key) = map.next_key::<Key<'de>>()? {
        let k = key.as_str();
        let step = if T::RESOURCE && k == "resourceType" {
            match map.next_value::<Key<'de>>() {
                Ok(ty) if ty.as_str() == T::NAME => Ok(true),
                Ok(_) => Err(fail(JsonErrorKind::WrongResourceType, None)),
                Err(e) => Err(e),
            }
        } else {
            obj.read_field(k, map)
        };
        match step {
            Ok(true) => {}
            Ok(false) if strict() => {
                let e = fail(JsonErrorKind::UnknownElement, Some(k));
                if T::RESOURCE {
                    note_path(Segment::Resource(T::NAME));
                }
                return Err(e);
            }
            Ok(false) => {
                let value: Value = map.next_value()?;
                obj.unknown_mut().insert(k.to_string(), value);
            }
            Err(e) => {
                note_path(Segment::Key(k.to_string()));
                if T::RESOURCE {
                    note_path(Segment::Resource(T::NAME));
                }
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Implements `Deserialize` for a generated object through [`ObjectVisitor`].
macro_rules! impl_deserialize {
    ($t:ty) => {
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_map($crate::json::ObjectVisitor::<$t>(std::marker::PhantomData))
            }
        }
    };
}
pub(crate) use impl_deserialize;

impl<'de> Deserialize<'de> for Resource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ResourceVisitor)
    }
}

struct ResourceVisitor;

impl<'de> Visitor<'de> for ResourceVisitor {
    type Value = Resource;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a FHIR resource")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Resource, A::Error> {
        let Some(first) = map.next_key::<Key<'de>>()? else {
            return Err(fail(JsonErrorKind::MissingResourceType, None));
        };
        if first.as_str() == "resourceType" {
            let ty: Key<'de> = map.next_value()?;
            return crate::generated::resource::read_resource(ty.as_str(), map);
        }
        // `resourceType` is not first: buffer the object, then read it again with
        // `resourceType` in front (through the same slice reader as every other read).
        let mut members: Vec<(String, Value)> = vec![(first.as_str().to_string(), map.next_value()?)];
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            members.push((k, v));
        }
        let Some(ty) = members.iter().find(|(k, _)| k == "resourceType").map(|(_, v)| v.clone()) else {
            return Err(fail(JsonErrorKind::MissingResourceType, None));
        };
        let mut buf = b"{\"resourceType\":".to_vec();
        // Writing JSON values into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut buf, &ty);
        for (k, v) in members.iter().filter(|(k, _)| k != "resourceType") {
            buf.push(b',');
            let _ = serde_json::to_writer(&mut buf, k);
            buf.push(b':');
            let _ = serde_json::to_writer(&mut buf, v);
        }
        buf.push(b'}');
        serde_json::from_slice::<Resource>(&buf).map_err(|_| {
            let kind = FAILURE.with(|f| f.borrow().kind).unwrap_or(JsonErrorKind::InvalidValue);
            de::Error::custom(kind.message())
        })
    }
}

// ---- reading helpers used by the generated code ----

#[inline]
pub(crate) fn de_plain<'de, A: MapAccess<'de>>(map: &mut A, slot: &mut Option<String>) -> Result<(), A::Error> {
    *slot = Some(map.next_value()?);
    Ok(())
}

#[inline]
pub(crate) fn de_prim<'de, A: MapAccess<'de>, T: PrimValue>(
    map: &mut A,
    slot: &mut Option<Primitive<T>>,
) -> Result<(), A::Error> {
    let value: Option<T> = map.next_value()?;
    if value.is_none() && strict() {
        // `null` is allowed only inside arrays, to keep `x` and `_x` aligned.
        return Err(fail(JsonErrorKind::InvalidValue, None));
    }
    slot.get_or_insert_with(Primitive::default).value = value;
    Ok(())
}

#[inline]
pub(crate) fn de_prim_ext<'de, A: MapAccess<'de>, T: PrimValue>(
    map: &mut A,
    slot: &mut Option<Primitive<T>>,
) -> Result<(), A::Error> {
    let element: Option<Element> = map.next_value()?;
    slot.get_or_insert_with(Primitive::default).element = element.map(Box::new);
    Ok(())
}

#[inline]
pub(crate) fn de_prims<'de, A: MapAccess<'de>, T: PrimValue>(
    map: &mut A,
    slot: &mut Vec<Primitive<T>>,
) -> Result<(), A::Error> {
    let values: Vec<Option<T>> = map.next_value()?;
    if slot.len() < values.len() {
        slot.resize_with(values.len(), Primitive::default);
    }
    for (p, v) in slot.iter_mut().zip(values) {
        p.value = v;
    }
    Ok(())
}

#[inline]
pub(crate) fn de_prims_ext<'de, A: MapAccess<'de>, T: PrimValue>(
    map: &mut A,
    slot: &mut Vec<Primitive<T>>,
) -> Result<(), A::Error> {
    let elements: Vec<Option<Element>> = map.next_value()?;
    if slot.len() < elements.len() {
        slot.resize_with(elements.len(), Primitive::default);
    }
    for (p, e) in slot.iter_mut().zip(elements) {
        p.element = e.map(Box::new);
    }
    Ok(())
}

#[inline]
pub(crate) fn de_opt<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
) -> Result<(), A::Error> {
    *slot = Some(map.next_value()?);
    Ok(())
}

#[inline]
pub(crate) fn de_vec<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Vec<T>,
) -> Result<(), A::Error> {
    *slot = map.next_value()?;
    Ok(())
}

#[inline]
pub(crate) fn de_choice<'de, A: MapAccess<'de>, E, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<E>,
    make: fn(T) -> E,
) -> Result<(), A::Error> {
    *slot = Some(make(map.next_value()?));
    Ok(())
}

type Getter<E, T> = fn(&mut E) -> Option<&mut Primitive<T>>;

#[inline]
pub(crate) fn de_choice_prim<'de, A: MapAccess<'de>, E, T: PrimValue>(
    map: &mut A,
    slot: &mut Option<E>,
    make: fn(Primitive<T>) -> E,
    get: Getter<E, T>,
) -> Result<(), A::Error> {
    let value: Option<T> = map.next_value()?;
    match slot.as_mut().and_then(get) {
        Some(p) => p.value = value,
        None => *slot = Some(make(Primitive { value, element: None })),
    }
    Ok(())
}

#[inline]
pub(crate) fn de_choice_prim_ext<'de, A: MapAccess<'de>, E, T: PrimValue>(
    map: &mut A,
    slot: &mut Option<E>,
    make: fn(Primitive<T>) -> E,
    get: Getter<E, T>,
) -> Result<(), A::Error> {
    let element: Option<Element> = map.next_value()?;
    let element = element.map(Box::new);
    match slot.as_mut().and_then(get) {
        Some(p) => p.element = element,
        None => *slot = Some(make(Primitive { value: None, element })),
    }
    Ok(())
}

// ---- writing helpers used by the generated code ----

#[inline]
#[allow(clippy::ref_option)] // mirrors the field type the generated code passes
pub(crate) fn ser_plain<M: SerializeMap>(m: &mut M, key: &'static str, v: &Option<String>) -> Result<(), M::Error> {
    match v {
        Some(s) if !s.is_empty() => m.serialize_entry(key, s),
        _ => Ok(()),
    }
}

#[inline]
#[allow(clippy::ref_option)] // mirrors the field type the generated code passes
pub(crate) fn ser_prim<M: SerializeMap, T: PrimValue>(
    m: &mut M,
    key: &'static str,
    ext_key: &'static str,
    v: &Option<Primitive<T>>,
) -> Result<(), M::Error> {
    match v {
        Some(p) => ser_prim_one(m, key, ext_key, p),
        None => Ok(()),
    }
}

#[inline]
pub(crate) fn ser_prim_one<M: SerializeMap, T: PrimValue>(
    m: &mut M,
    key: &'static str,
    ext_key: &'static str,
    p: &Primitive<T>,
) -> Result<(), M::Error> {
    if let Some(v) = &p.value {
        if !v.is_blank() {
            m.serialize_entry(key, v)?;
        }
    }
    if let Some(e) = &p.element {
        if !e.is_empty() {
            m.serialize_entry(ext_key, &**e)?;
        }
    }
    Ok(())
}

struct PrimValues<'a, T>(&'a [Primitive<T>]);

impl<T: PrimValue> Serialize for PrimValues<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for p in self.0.iter().filter(|p| !p.is_empty()) {
            match &p.value {
                Some(v) if !v.is_blank() => seq.serialize_element(v)?,
                _ => seq.serialize_element(&())?,
            }
        }
        seq.end()
    }
}

struct PrimElements<'a, T>(&'a [Primitive<T>]);

impl<T: PrimValue> Serialize for PrimElements<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for p in self.0.iter().filter(|p| !p.is_empty()) {
            match &p.element {
                Some(e) if !e.is_empty() => seq.serialize_element(&**e)?,
                _ => seq.serialize_element(&())?,
            }
        }
        seq.end()
    }
}

#[inline]
pub(crate) fn ser_prims<M: SerializeMap, T: PrimValue>(
    m: &mut M,
    key: &'static str,
    ext_key: &'static str,
    v: &[Primitive<T>],
) -> Result<(), M::Error> {
    if v.iter().any(|p| p.value.as_ref().is_some_and(|x| !x.is_blank())) {
        m.serialize_entry(key, &PrimValues(v))?;
    }
    if v.iter().any(|p| p.element.as_deref().is_some_and(|e| !e.is_empty())) {
        m.serialize_entry(ext_key, &PrimElements(v))?;
    }
    Ok(())
}

#[inline]
#[allow(clippy::ref_option)] // mirrors the field type the generated code passes
pub(crate) fn ser_opt<M: SerializeMap, T: Serialize + Empty>(
    m: &mut M,
    key: &'static str,
    v: &Option<T>,
) -> Result<(), M::Error> {
    match v {
        Some(x) if !x.is_empty() => m.serialize_entry(key, x),
        _ => Ok(()),
    }
}

#[inline]
pub(crate) fn ser_one<M: SerializeMap, T: Serialize + Empty + ?Sized>(
    m: &mut M,
    key: &'static str,
    v: &T,
) -> Result<(), M::Error> {
    if v.is_empty() {
        Ok(())
    } else {
        m.serialize_entry(key, v)
    }
}

/// The items of a slice whose first item is known to be non-empty; later empty items are skipped.
struct NonEmpty<'a, T>(&'a T, &'a [T]);

impl<T: Serialize + Empty> Serialize for NonEmpty<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        seq.serialize_element(self.0)?;
        for x in self.1.iter().filter(|x| !x.is_empty()) {
            seq.serialize_element(x)?;
        }
        seq.end()
    }
}

#[inline]
pub(crate) fn ser_vec<M: SerializeMap, T: Serialize + Empty>(
    m: &mut M,
    key: &'static str,
    v: &[T],
) -> Result<(), M::Error> {
    match v.iter().position(|x| !x.is_empty()) {
        Some(first) => m.serialize_entry(key, &NonEmpty(&v[first], &v[first + 1..])),
        None => Ok(()),
    }
}

#[inline]
pub(crate) fn ser_unknown<M: SerializeMap>(m: &mut M, u: &Unknown) -> Result<(), M::Error> {
    if let Some(members) = &u.0 {
        for (k, v) in members.iter() {
            m.serialize_entry(k, v)?;
        }
    }
    Ok(())
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
        let e = read_err(r#"{"resourceType":"Basic"}"#);
        assert!(e.to_string().starts_with("unsupported resourceType `Basic`"), "{e}");
    }

    #[test]
    fn path_keys_are_shape_checked() {
        // No input key reaches the path today; note one by hand to check the guard itself.
        FAILURE.with(|f| *f.borrow_mut() = Failure::default());
        note_path(Segment::Key("SMITH JOHN".to_string()));
        note_path(Segment::Key("name".to_string()));
        note_path(Segment::Resource("Patient"));
        let json_err = serde_json::from_str::<u8>("x").unwrap_err();
        let e = JsonError::from_json(&json_err);
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
