//! Reading FHIR JSON: the state of one read travels with the deserializer as a seed.
//!
//! Maintainer note: the [`ReadMode`] and the collector of why a read failed are not global (no
//! thread-local): every generated object reads its members through a [`Seed`] that carries a
//! `&ReadState`, so nested objects, arrays, contained resources and `_name` elements all see the
//! state of the read they belong to. [`FhirRead`] is the seeded counterpart of `Deserialize`; it
//! lives in this private module, which seals [`FromFhirJson`]. The plain `Deserialize` impls
//! read strictly with a state of their own (their failure details stay in the serde error text).

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::{JsonErrorKind, PrimValue, ReadMode, Unknown};
use crate::primitives::Primitive;
use crate::{Element, Resource};

/// Why a read failed, noted on the way out of the failing value.
#[derive(Default)]
pub(super) struct Failure {
    pub(super) kind: Option<JsonErrorKind>,
    pub(super) element: Option<String>,
    /// Innermost first.
    pub(super) path: Vec<Segment>,
}

pub(super) enum Segment {
    Key(String),
    Resource(&'static str),
}

/// The state of one read: its mode and why it failed.
pub struct ReadState {
    mode: ReadMode,
    failure: RefCell<Failure>,
}

impl ReadState {
    pub(crate) fn new(mode: ReadMode) -> Self {
        ReadState { mode, failure: RefCell::new(Failure::default()) }
    }

    #[inline]
    fn strict(&self) -> bool {
        self.mode == ReadMode::Strict
    }

    /// Records why reading failed and returns the serde error to propagate.
    #[cold]
    pub(crate) fn fail<E: de::Error>(&self, kind: JsonErrorKind, element: Option<&str>) -> E {
        let mut f = self.failure.borrow_mut();
        f.kind = Some(kind);
        f.element = element.map(str::to_string);
        f.path.clear();
        E::custom(kind.message())
    }

    #[cold]
    pub(super) fn note_path(&self, seg: Segment) {
        let mut f = self.failure.borrow_mut();
        // Bounded: nesting is bounded by serde_json's recursion limit, but keep the note small.
        if f.path.len() < 64 {
            f.path.push(seg);
        }
    }

    pub(super) fn into_failure(self) -> Failure {
        self.failure.into_inner()
    }
}

/// The seeded counterpart of `Deserialize`: reads a value with the state of the read.
pub trait FhirRead: Sized {
    /// Reads a value from `d` within the read `st`.
    fn read<'de, D: Deserializer<'de>>(d: D, st: &ReadState) -> Result<Self, D::Error>;
}

/// A type that reads from FHIR JSON with a [`ReadMode`]: [`Resource`] and every generated
/// resource, backbone element and datatype (sealed: implemented by this crate only).
///
/// ```
/// use fhir_model::{from_json_str, HumanName, ReadMode};
/// let name: HumanName = from_json_str(r#"{"family":"Doe","given":["Jane"]}"#, ReadMode::Strict).unwrap();
/// assert_eq!(name.given.len(), 1);
/// ```
pub trait FromFhirJson: FhirRead {}

/// A [`serde::de::DeserializeSeed`] that reads a [`FromFhirJson`] type with a [`ReadMode`], for a
/// caller driving its own deserializer. [`crate::from_json_slice`] reads the same way and also
/// reports the element path of a failure ([`crate::JsonError`]); through a seed, only the
/// deserializer's own error says what went wrong.
///
/// ```
/// use fhir_model::{ReadMode, ReadSeed, Resource};
/// use serde::de::DeserializeSeed;
/// let json = br#"{"resourceType":"Patient","nickname":"x"}"#;
/// let mut de = serde_json::Deserializer::from_slice(json);
/// let lenient = ReadSeed::<Resource>::new(ReadMode::Lenient).deserialize(&mut de).unwrap();
/// assert_eq!(lenient.resource_type(), "Patient");
/// let mut de = serde_json::Deserializer::from_slice(json);
/// assert!(ReadSeed::<Resource>::new(ReadMode::Strict).deserialize(&mut de).is_err());
/// ```
pub struct ReadSeed<T> {
    mode: ReadMode,
    marker: PhantomData<fn() -> T>,
}

impl<T: FromFhirJson> ReadSeed<T> {
    /// A seed reading `T` in `mode`.
    ///
    /// ```
    /// use fhir_model::{Patient, ReadMode, ReadSeed};
    /// let seed = ReadSeed::<Patient>::new(ReadMode::Strict);
    /// # let _ = seed;
    /// ```
    pub fn new(mode: ReadMode) -> Self {
        ReadSeed { mode, marker: PhantomData }
    }
}

impl<T> Clone for ReadSeed<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ReadSeed<T> {}

impl<T> fmt::Debug for ReadSeed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadSeed").field("mode", &self.mode).finish()
    }
}

impl<'de, T: FromFhirJson> DeserializeSeed<'de> for ReadSeed<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::read(d, &ReadState::new(self.mode))
    }
}

/// The seed of one value inside a read.
pub(crate) struct Seed<'s, T>(&'s ReadState, PhantomData<fn() -> T>);

#[inline]
fn seed<T>(st: &ReadState) -> Seed<'_, T> {
    Seed(st, PhantomData)
}

impl<'de, T: FhirRead> DeserializeSeed<'de> for Seed<'_, T> {
    type Value = T;
    #[inline]
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        T::read(d, self.0)
    }
}

impl<T: FhirRead> FhirRead for Box<T> {
    #[inline]
    fn read<'de, D: Deserializer<'de>>(d: D, st: &ReadState) -> Result<Self, D::Error> {
        T::read(d, st).map(Box::new)
    }
}

impl<T: FhirRead> FhirRead for Option<T> {
    #[inline]
    fn read<'de, D: Deserializer<'de>>(d: D, st: &ReadState) -> Result<Self, D::Error> {
        struct OptionVisitor<'s, T>(&'s ReadState, PhantomData<fn() -> T>);
        impl<'de, T: FhirRead> Visitor<'de> for OptionVisitor<'_, T> {
            type Value = Option<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                T::read(d, self.0).map(Some)
            }
        }
        d.deserialize_option(OptionVisitor::<T>(st, PhantomData))
    }
}

impl<T: FhirRead> FhirRead for Vec<T> {
    #[inline]
    fn read<'de, D: Deserializer<'de>>(d: D, st: &ReadState) -> Result<Self, D::Error> {
        struct VecVisitor<'s, T>(&'s ReadState, PhantomData<fn() -> T>);
        impl<'de, T: FhirRead> Visitor<'de> for VecVisitor<'_, T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element_seed(seed::<T>(self.0))? {
                    items.push(item);
                }
                Ok(items)
            }
        }
        d.deserialize_seq(VecVisitor::<T>(st, PhantomData))
    }
}

/// Primitive values read as their plain `Deserialize` says: the mode does not change them.
macro_rules! plain_read {
    ($($t:ty),*) => {$(
        impl FhirRead for $t {
            #[inline]
            fn read<'de, D: Deserializer<'de>>(d: D, _: &ReadState) -> Result<Self, D::Error> {
                <$t as Deserialize>::deserialize(d)
            }
        }
    )*};
}
plain_read!(String, bool, i32, crate::Date, crate::DateTime, crate::Instant, crate::Time);

impl FhirRead for crate::Decimal {
    fn read<'de, D: Deserializer<'de>>(d: D, st: &ReadState) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        crate::Decimal::from_raw(raw).map_err(|_| st.fail(JsonErrorKind::NotANumber, None))
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
    fn read_field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A, st: &ReadState) -> Result<bool, A::Error>;
    /// Where unknown elements go in lenient mode.
    fn unknown_mut(&mut self) -> &mut Unknown;
}

pub(crate) struct ObjectVisitor<'s, T>(pub(crate) &'s ReadState, pub(crate) PhantomData<fn() -> T>);

impl<'de, T: FhirObject> Visitor<'de> for ObjectVisitor<'_, T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a FHIR {} object", T::NAME)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut obj = T::default();
        read_object(&mut map, &mut obj, self.0)?;
        Ok(obj)
    }
}

/// Reads the remaining members of a resource (after `resourceType`) straight into a box.
pub(crate) fn read_rest<'de, T: FhirObject, A: MapAccess<'de>>(mut map: A, st: &ReadState) -> Result<Box<T>, A::Error> {
    let mut obj = Box::<T>::default();
    read_object(&mut map, &mut *obj, st)?;
    Ok(obj)
}

fn read_object<'de, T: FhirObject, A: MapAccess<'de>>(
    map: &mut A,
    obj: &mut T,
    st: &ReadState,
) -> Result<(), A::Error> {
    while let Some(key) = map.next_key::<Key<'de>>()? {
        let k = key.as_str();
        let step = if T::RESOURCE && k == "resourceType" {
            match map.next_value::<Key<'de>>() {
                Ok(ty) if ty.as_str() == T::NAME => Ok(true),
                Ok(_) => Err(st.fail(JsonErrorKind::WrongResourceType, None)),
                Err(e) => Err(e),
            }
        } else {
            obj.read_field(k, map, st)
        };
        match step {
            Ok(true) => {}
            Ok(false) if st.strict() => {
                let e = st.fail(JsonErrorKind::UnknownElement, Some(k));
                if T::RESOURCE {
                    st.note_path(Segment::Resource(T::NAME));
                }
                return Err(e);
            }
            Ok(false) => {
                let value: Value = map.next_value()?;
                obj.unknown_mut().insert(k.to_string(), value);
            }
            Err(e) => {
                st.note_path(Segment::Key(k.to_string()));
                if T::RESOURCE {
                    st.note_path(Segment::Resource(T::NAME));
                }
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Implements [`FhirRead`] and [`FromFhirJson`] for a generated object through
/// [`ObjectVisitor`], and `Deserialize` as a strict read.
macro_rules! impl_deserialize {
    ($t:ty) => {
        impl $crate::json::FhirRead for $t {
            #[inline]
            fn read<'de, D: serde::Deserializer<'de>>(d: D, st: &$crate::json::ReadState) -> Result<Self, D::Error> {
                d.deserialize_map($crate::json::ObjectVisitor::<$t>(st, std::marker::PhantomData))
            }
        }
        impl $crate::json::FromFhirJson for $t {}
        impl<'de> serde::Deserialize<'de> for $t {
            /// A strict read (see [`crate::ReadSeed`] for a lenient one).
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <$t as $crate::json::FhirRead>::read(d, &$crate::json::ReadState::new($crate::json::ReadMode::Strict))
            }
        }
    };
}
pub(crate) use impl_deserialize;

impl FhirRead for Resource {
    #[inline]
    fn read<'de, D: Deserializer<'de>>(d: D, st: &ReadState) -> Result<Self, D::Error> {
        d.deserialize_map(ResourceVisitor(st))
    }
}

impl FromFhirJson for Resource {}

impl<'de> Deserialize<'de> for Resource {
    /// A strict read (see [`ReadSeed`] for a lenient one).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Resource::read(d, &ReadState::new(ReadMode::Strict))
    }
}

struct ResourceVisitor<'s>(&'s ReadState);

impl<'de> Visitor<'de> for ResourceVisitor<'_> {
    type Value = Resource;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a FHIR resource")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Resource, A::Error> {
        let st = self.0;
        let Some(first) = map.next_key::<Key<'de>>()? else {
            return Err(st.fail(JsonErrorKind::MissingResourceType, None));
        };
        if first.as_str() == "resourceType" {
            let ty: Key<'de> = map.next_value()?;
            return crate::generated::resource::read_resource(ty.as_str(), map, st);
        }
        // `resourceType` is not first: buffer the object, then read it again with
        // `resourceType` in front (through the same slice reader as every other read).
        let mut members: Vec<(String, Value)> = vec![(first.as_str().to_string(), map.next_value()?)];
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            members.push((k, v));
        }
        let Some(ty) = members.iter().find(|(k, _)| k == "resourceType").map(|(_, v)| v.clone()) else {
            return Err(st.fail(JsonErrorKind::MissingResourceType, None));
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
        Resource::read(&mut serde_json::Deserializer::from_slice(&buf), st).map_err(|_| {
            let kind = st.failure.borrow().kind.unwrap_or(JsonErrorKind::InvalidValue);
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
    st: &ReadState,
    slot: &mut Option<Primitive<T>>,
) -> Result<(), A::Error> {
    let value: Option<T> = map.next_value_seed(seed(st))?;
    if value.is_none() && st.strict() {
        // `null` is allowed only inside arrays, to keep `x` and `_x` aligned.
        return Err(st.fail(JsonErrorKind::InvalidValue, None));
    }
    slot.get_or_insert_with(Primitive::default).value = value;
    Ok(())
}

#[inline]
pub(crate) fn de_prim_ext<'de, A: MapAccess<'de>, T: PrimValue>(
    map: &mut A,
    st: &ReadState,
    slot: &mut Option<Primitive<T>>,
) -> Result<(), A::Error> {
    let element: Option<Element> = map.next_value_seed(seed(st))?;
    slot.get_or_insert_with(Primitive::default).element = element.map(Box::new);
    Ok(())
}

#[inline]
pub(crate) fn de_prims<'de, A: MapAccess<'de>, T: PrimValue>(
    map: &mut A,
    st: &ReadState,
    slot: &mut Vec<Primitive<T>>,
) -> Result<(), A::Error> {
    let values: Vec<Option<T>> = map.next_value_seed(seed(st))?;
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
    st: &ReadState,
    slot: &mut Vec<Primitive<T>>,
) -> Result<(), A::Error> {
    let elements: Vec<Option<Element>> = map.next_value_seed(seed(st))?;
    if slot.len() < elements.len() {
        slot.resize_with(elements.len(), Primitive::default);
    }
    for (p, e) in slot.iter_mut().zip(elements) {
        p.element = e.map(Box::new);
    }
    Ok(())
}

#[inline]
pub(crate) fn de_opt<'de, A: MapAccess<'de>, T: FhirRead>(
    map: &mut A,
    st: &ReadState,
    slot: &mut Option<T>,
) -> Result<(), A::Error> {
    *slot = Some(map.next_value_seed(seed(st))?);
    Ok(())
}

#[inline]
pub(crate) fn de_vec<'de, A: MapAccess<'de>, T: FhirRead>(
    map: &mut A,
    st: &ReadState,
    slot: &mut Vec<T>,
) -> Result<(), A::Error> {
    *slot = map.next_value_seed(seed(st))?;
    Ok(())
}

#[inline]
pub(crate) fn de_choice<'de, A: MapAccess<'de>, E, T: FhirRead>(
    map: &mut A,
    st: &ReadState,
    slot: &mut Option<E>,
    make: fn(T) -> E,
) -> Result<(), A::Error> {
    *slot = Some(make(map.next_value_seed(seed(st))?));
    Ok(())
}

type Getter<E, T> = fn(&mut E) -> Option<&mut Primitive<T>>;

#[inline]
pub(crate) fn de_choice_prim<'de, A: MapAccess<'de>, E, T: PrimValue>(
    map: &mut A,
    st: &ReadState,
    slot: &mut Option<E>,
    make: fn(Primitive<T>) -> E,
    get: Getter<E, T>,
) -> Result<(), A::Error> {
    let value: Option<T> = map.next_value_seed(seed(st))?;
    match slot.as_mut().and_then(get) {
        Some(p) => p.value = value,
        None => *slot = Some(make(Primitive { value, element: None })),
    }
    Ok(())
}

#[inline]
pub(crate) fn de_choice_prim_ext<'de, A: MapAccess<'de>, E, T: PrimValue>(
    map: &mut A,
    st: &ReadState,
    slot: &mut Option<E>,
    make: fn(Primitive<T>) -> E,
    get: Getter<E, T>,
) -> Result<(), A::Error> {
    let element: Option<Element> = map.next_value_seed(seed(st))?;
    let element = element.map(Box::new);
    match slot.as_mut().and_then(get) {
        Some(p) => p.element = element,
        None => *slot = Some(make(Primitive { value: None, element })),
    }
    Ok(())
}
