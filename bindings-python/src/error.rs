//! Errors across the boundary: the library's error values as `hl7rs._errors` exceptions, and the
//! panic guard. Texts are the library's `Display` output (kinds, numbers, offsets), never content.

use std::panic::{catch_unwind, AssertUnwindSafe};

use hl7rs::{ErrorKind, ParseError};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// An error to raise (or return) in Python, built without the GIL (so threads can make them).
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    /// The class name in `hl7rs._errors`.
    pub class: &'static str,
    /// The message: content-free.
    pub text: String,
    /// Byte offset in the input (or character offset in a path for `PathError`).
    pub offset: Option<usize>,
    /// 1-based segment number in the input, when known.
    pub segment: Option<usize>,
    /// The path text, for `PathError`.
    pub path: Option<String>,
    /// Position of the input in a `parse_many` list or of the message in an `iter_messages` source.
    pub index: Option<usize>,
}

impl ErrorInfo {
    /// An error of `class` with a text and nothing else.
    pub fn new(class: &'static str, text: impl Into<String>) -> Self {
        ErrorInfo { class, text: text.into(), offset: None, segment: None, path: None, index: None }
    }

    /// A parse error of the library; `input` locates its segment.
    pub fn parse(e: ParseError, input: &[u8]) -> Self {
        let class = if matches!(e.kind(), ErrorKind::LimitExceeded { .. }) { "LimitError" } else { "ParseError" };
        ErrorInfo { offset: Some(e.offset()), segment: e.locate(input).segment, ..ErrorInfo::new(class, e.to_string()) }
    }

    /// A path that does not follow the grammar.
    pub fn path(e: hl7rs::PathError, path: &str) -> Self {
        ErrorInfo { offset: Some(e.offset), path: Some(path.to_owned()), ..ErrorInfo::new("PathError", e.to_string()) }
    }

    /// The Python exception instance.
    pub fn to_pyerr(&self, py: Python<'_>) -> PyErr {
        match self.instance(py) {
            Ok(value) => PyErr::from_value(value),
            Err(e) => e,
        }
    }

    fn instance<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let class = py.import("hl7rs._errors")?.getattr(self.class)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("offset", self.offset)?;
        kwargs.set_item("segment", self.segment)?;
        kwargs.set_item("path", self.path.as_deref())?;
        kwargs.set_item("index", self.index)?;
        class.call((self.text.as_str(),), Some(&kwargs))
    }
}

/// Runs an entry point; a panic becomes `hl7rs.Hl7Error` with a fixed, content-free text.
pub fn guard<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(internal().to_pyerr(py)))
}

/// The error for a panic caught in Rust.
pub fn internal() -> ErrorInfo {
    ErrorInfo::new(
        "Hl7Error",
        "internal error in hl7rs (a bug: please report it with the input's shape, not its content)",
    )
}

/// A Python `str` as UTF-8 text; a lone surrogate (which UTF-8 cannot hold) is a content-free
/// `hl7rs.ParseError` rather than a `UnicodeEncodeError` quoting the character.
pub fn text_of<'a>(py: Python<'_>, s: &'a Bound<'_, pyo3::types::PyString>) -> PyResult<std::borrow::Cow<'a, str>> {
    s.to_cow().map_err(|_| {
        ErrorInfo::new("ParseError", "str holds a lone surrogate, which is not Unicode text; pass bytes").to_pyerr(py)
    })
}

/// `errors=` of `parse_many` and `iter_messages`: raise the first error, or return it in place.
pub fn raises(errors: &str) -> PyResult<bool> {
    match errors {
        "raise" => Ok(true),
        "return" => Ok(false),
        _ => Err(PyValueError::new_err("errors must be 'raise' or 'return'")),
    }
}
