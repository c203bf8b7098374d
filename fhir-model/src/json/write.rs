//! Writing helpers used by the generated `Serialize` impls: nothing empty is written, and
//! primitives write their value and their `_name` element side by side.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::{Empty, PrimValue, Unknown};
use crate::primitives::Primitive;

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
