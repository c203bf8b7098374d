//! `Segment`, `Field`, `Repetition`, `Component`, `Subcomponent`: a shared message and 1-based
//! coordinates, resolved again on each access through the library's views.

use std::sync::Arc;

use hl7rs::Value;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt};

use crate::error::guard;
use crate::message::Parsed;

/// A 1-based index given from Python: `None` inside for what can name nothing (0, a negative
/// number, a number larger than any index: never an `OverflowError`); `TypeError` for a non-integer.
#[derive(Clone, Copy)]
pub struct Index(pub Option<usize>);

impl<'a, 'py> FromPyObject<'a, 'py> for Index {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if obj.cast::<PyInt>().is_err() {
            return Err(PyTypeError::new_err("HL7 indexes are integers (1-based)"));
        }
        Ok(Index(obj.extract::<usize>().ok().filter(|&n| n > 0)))
    }
}

/// Where a view is: segment position, then field, repetition, component, subcomponent (1-based).
/// A field view has no repetition; a component view always has one (the first for
/// `Field.components`).
#[derive(Clone, Copy)]
struct Coord {
    pos: usize,
    field: usize,
    rep: Option<usize>,
    comp: Option<usize>,
    sub: Option<usize>,
}

impl Coord {
    fn resolve<'p>(&self, p: &'p Parsed) -> Option<Value<'p>> {
        let field = p.index().at(self.pos)?.field(self.field)?;
        let Some(r) = self.rep else { return Some(field.into()) };
        let rep = field.repetition(r)?;
        let Some(c) = self.comp else { return Some(rep.into()) };
        let comp = rep.component(c)?;
        let Some(s) = self.sub else { return Some(comp.into()) };
        Some(comp.subcomponent(s)?.into())
    }

    /// How many children the view has (components of a field's first repetition, components of a
    /// repetition, subcomponents of a component; none for a subcomponent).
    fn children(&self, p: &Parsed) -> usize {
        let Some(field) = p.index().at(self.pos).and_then(|s| s.field(self.field)) else { return 0 };
        let Some(rep) = field.repetition(self.rep.unwrap_or(1)) else { return 0 };
        match (self.comp, self.sub) {
            (None, _) => rep.components().count(),
            (Some(c), None) => rep.component(c).map_or(0, |c| c.subcomponents().count()),
            (Some(_), Some(_)) => 0,
        }
    }

    /// The child `n` of the view (see [`Coord::children`]).
    fn child(&self, n: usize) -> Coord {
        match (self.rep, self.comp) {
            (None, _) => Coord { rep: Some(1), comp: Some(n), ..*self },
            (Some(_), None) => Coord { comp: Some(n), ..*self },
            (Some(_), Some(_)) => Coord { sub: Some(n), ..*self },
        }
    }

    fn segment_id<'p>(&self, p: &'p Parsed) -> &'p str {
        p.index().at(self.pos).map_or("???", |s| s.id_str())
    }
}

macro_rules! view {
    ($name:ident, $doc:literal, { $($extra:tt)* }) => {
        #[doc = $doc]
        #[pyclass(module = "hl7rs._native", frozen)]
        pub struct $name {
            parsed: Arc<Parsed>,
            at: Coord,
        }

        #[pymethods]
        impl $name {
            /// The value as text: escapes decoded, then the message's charset.
            fn __str__(&self, py: Python<'_>) -> PyResult<String> {
                guard(py, || {
                    let p = &*self.parsed;
                    Ok(self.at.resolve(p).map(|v| p.text().value(v).into_owned()).unwrap_or_default())
                })
            }

            /// The bytes as written (escapes not decoded).
            #[getter]
            fn raw<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
                guard(py, || Ok(PyBytes::new(py, self.at.resolve(&self.parsed).map_or(&[][..], |v| v.as_bytes()))))
            }

            /// Byte offset in the message's bytes.
            #[getter]
            fn offset(&self, py: Python<'_>) -> PyResult<usize> {
                guard(py, || Ok(self.at.resolve(&self.parsed).map_or(0, |v| v.offset())))
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                Ok(format!(
                    concat!("<hl7rs.", stringify!($name), " in {} at byte {}>"),
                    self.at.segment_id(&self.parsed),
                    self.offset(py)?
                ))
            }

            $($extra)*
        }

        impl $name {
            fn at(parsed: &Arc<Parsed>, at: Coord) -> Self {
                $name { parsed: Arc::clone(parsed), at }
            }
        }
    };
    // A view with children: indexing, `len()` and iteration over them, written once here (pyo3
    // reads the methods of one `#[pymethods]` block, so they are spliced into it).
    ($name:ident, $doc:literal, children $child:ident, { $($extra:tt)* }) => {
        view!($name, $doc, {
            /// Child `n`, 1-based; `None` for 0, a negative number or past the last.
            fn __getitem__(&self, py: Python<'_>, n: Index) -> PyResult<Option<$child>> {
                guard(py, || {
                    Ok(n.0
                        .filter(|&n| n <= self.at.children(&self.parsed))
                        .map(|n| $child::at(&self.parsed, self.at.child(n))))
                })
            }

            fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
                guard(py, || Ok(self.at.children(&self.parsed)))
            }

            fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                Ok(pyo3::types::PyList::new(py, self.children(py)?)?.try_iter()?.into_any().unbind())
            }

            $($extra)*
        });
    };
}

view!(Field, "A field of a segment (all its repetitions).", children Component, {
    /// The repetitions (an empty field has one, empty).
    #[getter]
    fn repetitions(&self, py: Python<'_>) -> PyResult<Vec<Repetition>> {
        guard(py, || {
            let field = self.parsed.index().at(self.at.pos).and_then(|s| s.field(self.at.field));
            let count = field.map_or(0, |f| f.repetitions().count());
            Ok((1..=count).map(|r| Repetition::at(&self.parsed, Coord { rep: Some(r), ..self.at })).collect())
        })
    }

    /// The components of the first repetition.
    #[getter]
    fn components(&self, py: Python<'_>) -> PyResult<Vec<Component>> {
        self.children(py)
    }
});
view!(Repetition, "One repetition of a field.", children Component, {
    /// The components.
    #[getter]
    fn components(&self, py: Python<'_>) -> PyResult<Vec<Component>> {
        self.children(py)
    }
});
view!(Component, "One component of a repetition.", children Subcomponent, {
    /// The subcomponents.
    #[getter]
    fn subcomponents(&self, py: Python<'_>) -> PyResult<Vec<Subcomponent>> {
        self.children(py)
    }
});
view!(Subcomponent, "One subcomponent of a component.", {});

/// The child views of a view.
macro_rules! children_of {
    ($name:ident, $child:ident) => {
        impl $name {
            fn children(&self, py: Python<'_>) -> PyResult<Vec<$child>> {
                guard(py, || {
                    Ok((1..=self.at.children(&self.parsed))
                        .map(|n| $child::at(&self.parsed, self.at.child(n)))
                        .collect())
                })
            }
        }
    };
}

children_of!(Field, Component);
children_of!(Repetition, Component);
children_of!(Component, Subcomponent);

/// One segment of a message.
#[pyclass(module = "hl7rs._native", frozen)]
pub struct Segment {
    parsed: Arc<Parsed>,
    /// 1-based position in the message (MSH is 1).
    pos: usize,
}

impl Segment {
    /// The segment at the 1-based position `pos`.
    pub fn new(parsed: &Arc<Parsed>, pos: usize) -> Segment {
        Segment { parsed: Arc::clone(parsed), pos }
    }

    fn view(&self) -> Option<hl7rs::Segment<'_>> {
        self.parsed.index().at(self.pos)
    }

    fn field_at(&self, n: usize) -> Field {
        Field::at(&self.parsed, Coord { pos: self.pos, field: n, rep: None, comp: None, sub: None })
    }

    fn count(&self) -> usize {
        self.view().map_or(0, |s| s.field_count())
    }
}

#[pymethods]
impl Segment {
    /// The segment id (`PID`).
    #[getter]
    fn id(&self) -> &str {
        self.view().map_or("", |s| s.id_str())
    }

    /// Field `n`, 1-based (MSH-1 is the field separator); `None` for 0, a negative number or past
    /// the last field.
    fn field(&self, py: Python<'_>, n: Index) -> PyResult<Option<Field>> {
        guard(py, || Ok(n.0.filter(|&n| n <= self.count()).map(|n| self.field_at(n))))
    }

    fn __getitem__(&self, py: Python<'_>, n: Index) -> PyResult<Option<Field>> {
        self.field(py, n)
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        guard(py, || Ok(self.count()))
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(pyo3::types::PyList::new(py, self.fields(py)?)?.try_iter()?.into_any().unbind())
    }

    /// Every field, field 1 first.
    #[getter]
    fn fields(&self, py: Python<'_>) -> PyResult<Vec<Field>> {
        guard(py, || Ok((1..=self.count()).map(|n| self.field_at(n)).collect()))
    }

    /// The segment's bytes as written, without its terminator.
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.view().map_or(&[][..], |s| s.as_bytes()))
    }

    /// Byte offset of the segment in the message's bytes.
    #[getter]
    fn offset(&self) -> usize {
        self.view().map_or(0, |s| s.offset())
    }

    /// The segment as text in the message's charset (escapes kept, as written).
    fn __str__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            Ok(self.view().map(|s| self.parsed.text().decode(s.as_bytes()).0.into_owned()).unwrap_or_default())
        })
    }

    fn __repr__(&self) -> String {
        format!("<hl7rs.Segment {} at byte {}>", self.id(), self.offset())
    }
}
