//! `hl7rs.Message` and `hl7rs.parse`: a message owning its bytes and their segment index.

use std::sync::Arc;

use hl7rs::{json, MessageBuf, ParseOptions, Path, SegmentIndex, TextDecoder};
use pyo3::exceptions::{PyKeyError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString};

use crate::convert::to_python;
use crate::error::{guard, text_of, ErrorInfo};
use crate::views::{Index, Segment};

/// The bytes of a message: a Python `bytes` object shared as it is (immutable, so no copy is
/// needed), a copy (`str`, `bytearray`, an edit), or the bytes of an `hl7rs.Message`.
pub enum Bytes {
    Shared(PyBackedBytes),
    Owned(Vec<u8>),
    Message(Arc<Parsed>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Shared(b) => b,
            Bytes::Owned(v) => v,
            Bytes::Message(m) => m.bytes(),
        }
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Bytes::Owned(v)
    }
}

self_cell::self_cell!(
    /// The bytes of a message and its segment index over them, built once.
    struct Cell {
        owner: Bytes,
        #[covariant]
        dependent: SegmentIndex,
    }
);

/// A parsed message: the bytes, the index, the text decoder (charset resolved once) and the options
/// it was parsed with (used again after an edit).
pub struct Parsed {
    cell: Cell,
    text: TextDecoder,
    options: ParseOptions,
}

impl Parsed {
    /// Parses `bytes` once; the index is built here.
    pub fn new(bytes: impl Into<Bytes>, options: ParseOptions) -> Result<Parsed, ErrorInfo> {
        Parsed::try_new(bytes.into(), options).map_err(|failed| failed.0)
    }

    /// [`Parsed::new`] giving the bytes back on failure (so that a thread without the GIL does not
    /// drop a Python object).
    pub fn try_new(bytes: Bytes, options: ParseOptions) -> Result<Parsed, Box<(ErrorInfo, Bytes)>> {
        let cell = Cell::try_new_or_recover(bytes, |b| {
            hl7rs::Message::parse_with(b, &options).map(|m| SegmentIndex::new(&m)).map_err(|e| ErrorInfo::parse(e, b))
        })
        .map_err(|(bytes, e)| Box::new((e, bytes)))?;
        let text = TextDecoder::new(cell.borrow_dependent().message());
        Ok(Parsed { cell, text, options })
    }

    /// The segment index (and through it the message).
    pub fn index(&self) -> &SegmentIndex<'_> {
        self.cell.borrow_dependent()
    }

    /// The text decoder of the message.
    pub fn text(&self) -> &TextDecoder {
        &self.text
    }

    /// The bytes as given.
    pub fn bytes(&self) -> &[u8] {
        self.cell.borrow_owner()
    }

    /// The bytes as a Python `bytes` object: the one parsed when there is one (no copy).
    pub fn raw<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        match self.cell.borrow_owner() {
            Bytes::Shared(b) => b.into_pyobject(py).unwrap_or_else(|never| match never {}),
            other => PyBytes::new(py, other),
        }
    }
}

/// The options of `parse(..., strict=, limits=)`: `limits` maps names of [`hl7rs::Limits`] fields
/// (`max_segments`…) to numbers; the library caps each at `Limits::CEILING`.
pub fn options(strict: bool, limits: Option<&Bound<'_, PyDict>>) -> PyResult<ParseOptions> {
    let mut options = if strict { ParseOptions::strict() } else { ParseOptions::default() };
    let Some(limits) = limits else { return Ok(options) };
    for (key, value) in limits.iter() {
        let key: String = key.extract()?;
        let l = &mut options.limits;
        let slot = match key.as_str() {
            "max_message_bytes" => &mut l.max_message_bytes,
            "max_segments" => &mut l.max_segments,
            "max_fields" => &mut l.max_fields,
            "max_repetitions" => &mut l.max_repetitions,
            "max_components" => &mut l.max_components,
            "max_subcomponents" => &mut l.max_subcomponents,
            "max_field_bytes" => &mut l.max_field_bytes,
            _ => return Err(PyValueError::new_err(format!("unknown limit {key:?}"))),
        };
        if value.cast::<pyo3::types::PyInt>().is_err() {
            return Err(PyTypeError::new_err("a limit is an integer"));
        }
        // Past usize: the largest (the library caps it at its ceiling anyway).
        *slot = match value.extract::<i128>() {
            Ok(n) if n < 0 => return Err(PyValueError::new_err("a limit is not negative")),
            Ok(n) => usize::try_from(n).unwrap_or(usize::MAX),
            Err(_) if value.lt(0)? => return Err(PyValueError::new_err("a limit is not negative")),
            Err(_) => usize::MAX,
        };
    }
    Ok(options)
}

/// Bytes of a `bytes | str` argument: `str` as UTF-8, `bytes` shared (no copy), `bytearray` copied.
pub fn input_bytes(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    any_bytes(py, data, false)?.ok_or_else(|| PyTypeError::new_err("expected bytes or str"))
}

/// [`input_bytes`], and with `message` the bytes of an `hl7rs.Message` too (shared); `None` for
/// any other type.
pub fn any_bytes(py: Python<'_>, data: &Bound<'_, PyAny>, message: bool) -> PyResult<Option<Bytes>> {
    Ok(Some(if let Ok(b) = data.cast::<PyBytes>() {
        Bytes::Shared(PyBackedBytes::from(b.clone()))
    } else if let Ok(s) = data.cast::<PyString>() {
        Bytes::Owned(text_of(py, s)?.as_bytes().to_vec())
    } else if let Ok(b) = data.cast::<PyByteArray>() {
        Bytes::Owned(b.to_vec())
    } else if let (true, Ok(m)) = (message, data.cast::<Message>()) {
        Bytes::Message(Arc::clone(&m.borrow().parsed))
    } else {
        return Ok(None);
    }))
}

/// Parses one HL7 v2 message.
#[pyfunction]
#[pyo3(signature = (data, *, strict = false, limits = None))]
pub fn parse(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    strict: bool,
    limits: Option<&Bound<'_, PyDict>>,
) -> PyResult<Message> {
    guard(py, || {
        let bytes = input_bytes(py, data)?;
        let parsed = Parsed::new(bytes, options(strict, limits)?).map_err(|e| e.to_pyerr(py))?;
        Ok(Message { parsed: Arc::new(parsed) })
    })
}

/// One parsed message (see the package documentation).
#[pyclass(module = "hl7rs._native")]
pub struct Message {
    pub(crate) parsed: Arc<Parsed>,
}

fn parse_path(py: Python<'_>, path: &str) -> PyResult<Path> {
    Path::parse(path).map_err(|e| ErrorInfo::path(e, path).to_pyerr(py))
}

/// A value's raw bytes decoded as text without unescaping (MSH-9 as `ADT^A01`).
fn raw_text(parsed: &Parsed, path: &Path) -> Option<String> {
    parsed.index().get(path).map(|v| parsed.text().decode(v.as_bytes()).0.into_owned())
}

impl Message {
    fn lookup(&self, py: Python<'_>, path: &str) -> PyResult<Option<String>> {
        let path = parse_path(py, path)?;
        let p = &*self.parsed;
        Ok(p.index().get(&path).map(|v| p.text().value(v).into_owned()))
    }
}

#[pymethods]
impl Message {
    /// The decoded text at `path`; `KeyError` when the message has no such value.
    fn __getitem__(&self, py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<String> {
        guard(py, || {
            let Ok(key) = path.cast::<PyString>() else {
                return Err(PyTypeError::new_err("a message is indexed by a path such as 'PID-5.1'"));
            };
            let key = text_of(py, key)?;
            self.lookup(py, &key)?.ok_or_else(|| PyKeyError::new_err(key.into_owned()))
        })
    }

    /// The decoded text at `path`, or `default` when the message has no such value.
    #[pyo3(signature = (path, default = None))]
    fn get(&self, py: Python<'_>, path: &str, default: Option<Py<PyAny>>) -> PyResult<Py<PyAny>> {
        guard(py, || match self.lookup(py, path)? {
            Some(s) => Ok(PyString::new(py, &s).into_any().unbind()),
            None => Ok(default.unwrap_or_else(|| py.None())),
        })
    }

    /// Every value a `[*]` path names (`PID-3[*].1`), as decoded text.
    fn get_all(&self, py: Python<'_>, path: &str) -> PyResult<Vec<String>> {
        guard(py, || {
            let path = parse_path(py, path)?;
            let p = &*self.parsed;
            Ok(p.index().message().get_all(&path).map(|v| p.text().value(v).into_owned()).collect())
        })
    }

    /// Sets the value at `path`, escaping delimiters (`str` is encoded in the message's charset).
    fn __setitem__(&mut self, py: Python<'_>, path: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(py, || {
            let p = &*self.parsed;
            let bytes: Vec<u8> = if let Ok(s) = value.cast::<PyString>() {
                let s = text_of(py, s)?;
                match p.text().encoding() {
                    Some(enc) => enc.encode(&s).0.into_owned(),
                    None => s.as_bytes().to_vec(),
                }
            } else if let Ok(b) = value.cast::<PyBytes>() {
                b.as_bytes().to_vec()
            } else {
                return Err(PyTypeError::new_err("a value is str or bytes"));
            };
            let parsed_path = parse_path(py, path)?;
            let mut buf = MessageBuf::from_message(p.index().message());
            buf.set(parsed_path, &bytes).map_err(|e| build_error(e, path).to_pyerr(py))?;
            let edited = Parsed::new(buf.to_bytes(), p.options).map_err(|e| e.to_pyerr(py))?;
            self.parsed = Arc::new(edited);
            Ok(())
        })
    }

    /// Segments with the id `id` (all segments when `None`), in message order.
    #[pyo3(signature = (id = None))]
    fn segments(&self, py: Python<'_>, id: Option<&str>) -> PyResult<Vec<Segment>> {
        guard(py, || {
            let index = self.parsed.index();
            Ok(match id {
                Some(id) => index.positions(id.as_bytes()).map(|pos| Segment::new(&self.parsed, pos)).collect(),
                None => (1..=index.len()).map(|pos| Segment::new(&self.parsed, pos)).collect(),
            })
        })
    }

    /// The `n`-th (1-based) segment with the id `id`, or `None`.
    #[pyo3(signature = (id, n = Index(Some(1))))]
    fn segment(&self, py: Python<'_>, id: &str, n: Index) -> PyResult<Option<Segment>> {
        guard(py, || {
            let Some(n) = n.0 else { return Ok(None) };
            Ok(self.parsed.index().positions(id.as_bytes()).nth(n - 1).map(|pos| Segment::new(&self.parsed, pos)))
        })
    }

    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let list = self.segments(py, None)?;
        let list = pyo3::types::PyList::new(py, list)?;
        Ok(list.try_iter()?.into_any().unbind())
    }

    /// Number of segments.
    fn __len__(&self) -> usize {
        self.parsed.index().len()
    }

    /// The bytes the message was parsed from (after an edit: the edited message).
    #[getter]
    fn raw<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.parsed.raw(py)
    }

    /// The message written back as ER7 bytes: byte-exact for an unedited message.
    fn to_er7<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        guard(py, || {
            let mut out = Vec::with_capacity(self.parsed.bytes().len());
            self.parsed.index().message().write(|b| out.extend_from_slice(b));
            Ok(PyBytes::new(py, &out))
        })
    }

    /// The message as the JSON tree of `hl7rs::json` (dict with offset, segments, notes).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let p = &*self.parsed;
            to_python(py, &json::message(p.index().message(), p.text()))
        })
    }

    /// The JSON tree of `to_dict()` as a JSON string.
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let p = &*self.parsed;
            Ok(json::message(p.index().message(), p.text()).to_string())
        })
    }

    /// The repairs and skips the parser made, and a charset name read leniently (content-free).
    #[getter]
    fn notes(&self, py: Python<'_>) -> PyResult<Vec<Note>> {
        // Walks MSH-18 through the parser: guarded like every accessor that walks the message.
        guard(py, || {
            Ok(self
                .parsed
                .index()
                .message()
                .all_notes()
                .map(|n| Note { kind: n.kind(), offset: n.offset(), text: n.to_string() })
                .collect())
        })
    }

    /// MSH-9 as written (`ADT^A01^ADT_A01`), or `None`.
    #[getter]
    fn message_type(&self, py: Python<'_>) -> PyResult<Option<String>> {
        guard(py, || Ok(raw_text(&self.parsed, &Path::new(b"MSH").field(9))))
    }

    /// MSH-10, the control id, decoded; or `None`.
    #[getter]
    fn control_id(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let p = &*self.parsed;
        guard(py, || Ok(p.index().get(&Path::new(b"MSH").field(10)).map(|v| p.text().value(v).into_owned())))
    }

    /// MSH-12.1, the version id; or `None`.
    #[getter]
    fn version(&self, py: Python<'_>) -> PyResult<Option<String>> {
        guard(py, || Ok(raw_text(&self.parsed, &Path::new(b"MSH").field(12).component(1))))
    }

    fn __repr__(&self) -> String {
        format!("<hl7rs.Message: {} segments, {} bytes>", self.parsed.index().len(), self.parsed.bytes().len())
    }
}

/// A `MessageBuf` edit refused: a `PathError` for the path, a `LimitError` for a limit, else `Hl7Error`.
fn build_error(e: hl7rs::build::BuildError, path: &str) -> ErrorInfo {
    use hl7rs::build::BuildError;
    match e {
        BuildError::Path(p) => ErrorInfo::path(p, path),
        BuildError::LimitExceeded { .. } => {
            ErrorInfo { path: Some(path.to_owned()), ..ErrorInfo::new("LimitError", e.to_string()) }
        }
        BuildError::ZeroIndex
        | BuildError::MissingField
        | BuildError::ExpectedField
        | BuildError::ExpectedRepetition
        | BuildError::AllRepetitions
        | BuildError::HeaderDelimiters => {
            ErrorInfo { path: Some(path.to_owned()), ..ErrorInfo::new("PathError", e.to_string()) }
        }
        _ => ErrorInfo { path: Some(path.to_owned()), ..ErrorInfo::new("Hl7Error", e.to_string()) },
    }
}

/// A repair or skip the parser made.
#[pyclass(module = "hl7rs._native", frozen, get_all)]
pub struct Note {
    /// `leading_bytes`, `bom`, `encoding_repair`, `continuation_lines` or `trailing_bytes`.
    kind: &'static str,
    /// The byte offset the note is about.
    offset: usize,
    /// A content-free description.
    text: String,
}

#[pymethods]
impl Note {
    fn __repr__(&self) -> String {
        format!("<hl7rs.Note {} at byte {}>", self.kind, self.offset)
    }

    fn __str__(&self) -> String {
        self.text.clone()
    }
}
