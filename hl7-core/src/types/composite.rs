//! The shared machinery of composite datatype views: where the parts of a composite live.
//!
//! A composite type read from a repetition has its parts in components (`^`); the same type used
//! as a component of another type (the HD in CX-4) has them in subcomponents (`&`); below that, a
//! subcomponent holding a whole composite carries only its first part.

use crate::path::Value;
use crate::view::{Component, Field, Repetition, Subcomponent};

/// Where a composite value's parts are.
#[derive(Clone, Copy)]
pub(crate) enum Composite<'a> {
    /// Parts are the components of a repetition.
    Repetition(Repetition<'a>),
    /// Parts are the subcomponents of a component.
    Component(Component<'a>),
    /// The whole composite is one subcomponent: only part 1 exists.
    Subcomponent(Subcomponent<'a>),
}

impl<'a> Composite<'a> {
    /// The first repetition of a field (an empty field has one empty repetition).
    pub(crate) fn of_field(field: Field<'a>) -> Self {
        let rep = field.repetitions().next().unwrap_or(Repetition {
            bytes: field.bytes.get(..0).unwrap_or_default(),
            offset: field.offset,
            ctx: field.ctx,
        });
        Composite::Repetition(rep)
    }

    /// The whole value, raw.
    pub(crate) fn value(&self) -> Value<'a> {
        match *self {
            Composite::Repetition(r) => r.into(),
            Composite::Component(c) => c.into(),
            Composite::Subcomponent(s) => s.into(),
        }
    }

    /// Part `n` (1-based) when present and not empty; the HL7 null `""` is returned.
    pub(crate) fn part(&self, n: usize) -> Option<Value<'a>> {
        let v: Value<'a> = match *self {
            Composite::Repetition(r) => r.component(n)?.into(),
            Composite::Component(c) => c.subcomponent(n)?.into(),
            Composite::Subcomponent(s) if n == 1 => s.into(),
            Composite::Subcomponent(_) => return None,
        };
        (!v.is_empty()).then_some(v)
    }

    /// Part `n` (1-based) as a composite one level down, when present and not empty.
    pub(crate) fn nested(&self, n: usize) -> Option<Composite<'a>> {
        let inner = match *self {
            Composite::Repetition(r) => Composite::Component(r.component(n)?),
            Composite::Component(c) => Composite::Subcomponent(c.subcomponent(n)?),
            Composite::Subcomponent(s) if n == 1 => Composite::Subcomponent(s),
            Composite::Subcomponent(_) => return None,
        };
        (!inner.value().is_empty()).then_some(inner)
    }
}

/// Defines a composite view type: the struct, its constructors, raw accessors and a content-free
/// `Debug`.
macro_rules! composite {
    ($(#[$meta:meta])* $name:ident, $code:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy)]
        pub struct $name<'a> {
            inner: $crate::types::composite::Composite<'a>,
        }

        impl<'a> $name<'a> {
            #[doc = concat!("A ", $code, " whose parts are the components of `rep`.")]
            pub fn new(rep: $crate::Repetition<'a>) -> Self {
                $name { inner: $crate::types::composite::Composite::Repetition(rep) }
            }

            #[doc = concat!("A ", $code, " read from the first repetition of `field`.")]
            pub fn from_field(field: $crate::Field<'a>) -> Self {
                $name { inner: $crate::types::composite::Composite::of_field(field) }
            }

            #[doc = concat!("A ", $code, " used as a component of another type: its parts are the subcomponents of `component`.")]
            pub fn from_component(component: $crate::Component<'a>) -> Self {
                $name { inner: $crate::types::composite::Composite::Component(component) }
            }

            #[allow(dead_code)]
            pub(crate) fn from_composite(inner: $crate::types::composite::Composite<'a>) -> Self {
                $name { inner }
            }

            #[doc = concat!("The whole ", $code, " value, raw (escapes not decoded).")]
            pub fn value(&self) -> $crate::Value<'a> {
                self.inner.value()
            }

            #[doc = concat!("The raw bytes of the whole ", $code, " value.")]
            pub fn as_bytes(&self) -> &'a [u8] {
                self.inner.value().as_bytes()
            }

            #[doc = concat!("Byte offset (0-based) of this ", $code, " in the parsed input.")]
            pub fn offset(&self) -> usize {
                self.inner.value().offset()
            }

            #[doc = concat!("Whether this ", $code, " is empty.")]
            pub fn is_empty(&self) -> bool {
                self.inner.value().is_empty()
            }

            #[doc = concat!("Whether this ", $code, " is the HL7 null `\"\"`.")]
            pub fn is_null(&self) -> bool {
                self.inner.value().is_null()
            }
        }

        impl<'a> From<$crate::Repetition<'a>> for $name<'a> {
            fn from(rep: $crate::Repetition<'a>) -> Self {
                $name::new(rep)
            }
        }

        impl<'a> From<$crate::Field<'a>> for $name<'a> {
            fn from(field: $crate::Field<'a>) -> Self {
                $name::from_field(field)
            }
        }

        impl<'a> From<$crate::Component<'a>> for $name<'a> {
            fn from(component: $crate::Component<'a>) -> Self {
                $name::from_component(component)
            }
        }

        impl core::fmt::Debug for $name<'_> {
            // Shape only: never the content (PHI).
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                let v = self.inner.value();
                f.debug_struct(stringify!($name)).field("offset", &v.offset()).field("len", &v.as_bytes().len()).finish()
            }
        }
    };
}

/// Defines part accessors. Each line: doc attributes, `position => name: kind` where kind is
/// `text` (a [`Value`]), `(nested Type)` (a composite one level down), `nm`, `dtm` or `dt`
/// (a scalar parsed on demand: `None` when absent or empty, `Some(Err)` when malformed).
macro_rules! parts {
    ($( $(#[$meta:meta])* $n:literal => $name:ident : $kind:tt ),* $(,)?) => {
        $( parts!(@one $(#[$meta])* $n, $name, $kind); )*
    };
    (@one $(#[$meta:meta])* $n:literal, $name:ident, text) => {
        $(#[$meta])*
        pub fn $name(&self) -> Option<$crate::Value<'a>> {
            self.inner.part($n)
        }
    };
    (@one $(#[$meta:meta])* $n:literal, $name:ident, nm) => {
        $(#[$meta])*
        pub fn $name(&self) -> Option<Result<$crate::types::Nm<'a>, $crate::types::TypeError>> {
            self.inner.part($n).map($crate::types::Nm::from_value)
        }
    };
    (@one $(#[$meta:meta])* $n:literal, $name:ident, dtm) => {
        $(#[$meta])*
        pub fn $name(&self) -> Option<Result<$crate::types::Dtm, $crate::types::TypeError>> {
            self.inner.part($n).map($crate::types::Dtm::from_value)
        }
    };
    (@one $(#[$meta:meta])* $n:literal, $name:ident, dt) => {
        $(#[$meta])*
        pub fn $name(&self) -> Option<Result<$crate::types::Dt, $crate::types::TypeError>> {
            self.inner.part($n).map($crate::types::Dt::from_value)
        }
    };
    (@one $(#[$meta:meta])* $n:literal, $name:ident, (nested $ty:ident)) => {
        $(#[$meta])*
        pub fn $name(&self) -> Option<$ty<'a>> {
            self.inner.nested($n).map($ty::from_composite)
        }
    };
}

pub(crate) use {composite, parts};
