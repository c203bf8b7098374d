//! `hl7rs.Engine`, `hl7rs.to_fhir` and `hl7rs.convert_many`: a thin face over hl7-map's public
//! API (`Engine::builtin`, `Engine::new`, `Matrix::from_dir`, `Matrix::with_site`,
//! `Engine::convert_with`). Conversions of many messages run on threads with the GIL released;
//! only the Bundle's JSON → Python objects step holds it.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use hl7rs::map::engine::{Conversion, ConvertOptions, Engine as MapEngine};
use hl7rs::map::matrix::Matrix;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString, PyTuple};

use crate::check::issue_kind;
use crate::error::{guard, internal, raises, text_of, ErrorInfo};
use crate::message::Message;

fn map_error(e: impl std::fmt::Display) -> ErrorInfo {
    ErrorInfo::new("MapError", e.to_string())
}

/// The built-in engine, compiled once per process.
fn builtin() -> Result<Arc<MapEngine>, ErrorInfo> {
    static ENGINE: OnceLock<Result<Arc<MapEngine>, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| MapEngine::builtin().map(Arc::new).map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| map_error(format!("the built-in matrix does not load: {e}")))
}

/// A compiled mapping engine (a matrix of v2 → FHIR rows).
#[pyclass(module = "hl7rs._native", frozen)]
pub struct Engine {
    inner: Arc<MapEngine>,
}

/// What one conversion gives before Python objects are made: the Bundle as JSON bytes, the issues
/// and the lineage (both content-free), and the message's offset in its bytes.
struct Converted {
    json: Vec<u8>,
    conversion: Conversion,
    base: usize,
}

fn convert_bytes(engine: &MapEngine, bytes: &[u8], lineage: bool) -> Result<Converted, ErrorInfo> {
    let msg = hl7rs::Message::parse(bytes).map_err(|e| ErrorInfo::parse(e, bytes))?;
    let conversion = engine.convert_with(&msg, ConvertOptions { lineage, ..Default::default() }).map_err(map_error)?;
    let json = hl7rs::fhir::to_json_vec(&conversion.bundle).map_err(map_error)?;
    Ok(Converted { json, conversion, base: msg.offset() })
}

/// The Python result: the Bundle dict, or a tuple with the issues and/or the lineage after it.
fn to_python<'py>(py: Python<'py>, c: &Converted, issues: bool, lineage: bool) -> PyResult<Bound<'py, PyAny>> {
    let value: serde_json::Value =
        serde_json::from_slice(&c.json).map_err(|_| map_error("bundle JSON").to_pyerr(py))?;
    let bundle = crate::convert::to_python(py, &value)?;
    if !issues && !lineage {
        return Ok(bundle);
    }
    let mut out = vec![bundle];
    if issues {
        let list = PyList::empty(py);
        for issue in &c.conversion.issues {
            let d = PyDict::new(py);
            d.set_item("kind", issue_kind(&issue.kind))?;
            d.set_item("path", issue.source.to_string())?;
            d.set_item("offset", c.base + issue.span.start)?;
            d.set_item("row", issue.row.to_string())?;
            list.append(d)?;
        }
        out.push(list.into_any());
    }
    if lineage {
        let list = PyList::empty(py);
        for entry in c.conversion.lineage.iter().flatten() {
            let d = PyDict::new(py);
            d.set_item("element", &entry.element)?;
            d.set_item("path", entry.source.to_string())?;
            d.set_item("offset", c.base + entry.span.start)?;
            d.set_item("length", entry.span.len())?;
            d.set_item("row", entry.row.to_string())?;
            list.append(d)?;
        }
        out.push(list.into_any());
    }
    Ok(PyTuple::new(py, out)?.into_any())
}

fn message_bytes<'a>(py: Python<'_>, item: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(b) = item.cast::<PyBytes>() {
        Ok(Cow::Borrowed(b.as_bytes()))
    } else if let Ok(s) = item.cast::<PyString>() {
        Ok(Cow::Owned(text_of(py, s)?.as_bytes().to_vec()))
    } else if let Ok(b) = item.cast::<PyByteArray>() {
        Ok(Cow::Owned(b.to_vec()))
    } else if let Ok(m) = item.cast::<Message>() {
        Ok(Cow::Owned(m.borrow().parsed.bytes().to_vec()))
    } else {
        Err(PyTypeError::new_err("expected bytes, str or hl7rs.Message"))
    }
}

fn engine_of(engine: Option<&Bound<'_, Engine>>) -> Result<Arc<MapEngine>, ErrorInfo> {
    match engine {
        Some(e) => Ok(Arc::clone(&e.get().inner)),
        None => builtin(),
    }
}

#[pymethods]
impl Engine {
    /// The built-in matrix (the V2-to-FHIR IG's rows as the project ships them).
    #[staticmethod]
    fn builtin(py: Python<'_>) -> PyResult<Engine> {
        guard(py, || Ok(Engine { inner: builtin().map_err(|e| e.to_pyerr(py))? }))
    }

    /// A matrix in the project's format read from a directory (every row must compile).
    #[staticmethod]
    fn from_dir(py: Python<'_>, path: PathBuf) -> PyResult<Engine> {
        guard(py, || {
            let matrix = py.detach(move || Matrix::from_dir(&path)).map_err(|e| map_error(e).to_pyerr(py))?;
            Ok(Engine { inner: Arc::new(MapEngine::new(matrix)) })
        })
    }

    /// A new engine: this one's matrix with a site's directory layered over it.
    fn with_site(&self, py: Python<'_>, path: PathBuf) -> PyResult<Engine> {
        guard(py, || {
            let base = self.inner.matrix().clone();
            let matrix = py.detach(move || base.with_site(&path)).map_err(|e| map_error(e).to_pyerr(py))?;
            Ok(Engine { inner: Arc::new(MapEngine::new(matrix)) })
        })
    }

    /// The message (an `hl7rs.Message`, bytes or str) as a FHIR R4 `message` Bundle (a dict);
    /// with `lineage=True` a pair `(bundle, lineage)`.
    #[pyo3(signature = (message, lineage = false))]
    fn convert<'py>(&self, py: Python<'py>, message: &Bound<'py, PyAny>, lineage: bool) -> PyResult<Bound<'py, PyAny>> {
        guard(py, || {
            let bytes = message_bytes(py, message)?;
            let c = convert_bytes(&self.inner, &bytes, lineage).map_err(|e| e.to_pyerr(py))?;
            to_python(py, &c, false, lineage)
        })
    }

    fn __repr__(&self) -> String {
        format!("<hl7rs.Engine: {} segment maps>", self.inner.matrix().segments.len())
    }
}

/// The message as a FHIR R4 `message` Bundle (a dict) through `engine` (default: the built-in
/// matrix). With `issues=True` and/or `lineage=True`, a tuple `(bundle, issues)`,
/// `(bundle, lineage)` or `(bundle, issues, lineage)`.
#[pyfunction]
#[pyo3(signature = (message, *, engine = None, lineage = false, issues = false))]
pub fn to_fhir<'py>(
    py: Python<'py>,
    message: &Bound<'py, PyAny>,
    engine: Option<&Bound<'py, Engine>>,
    lineage: bool,
    issues: bool,
) -> PyResult<Bound<'py, PyAny>> {
    guard(py, || {
        let engine = engine_of(engine).map_err(|e| e.to_pyerr(py))?;
        let bytes = message_bytes(py, message)?;
        let c = convert_bytes(&engine, &bytes, lineage).map_err(|e| e.to_pyerr(py))?;
        to_python(py, &c, issues, lineage)
    })
}

/// Converts many messages on `workers` threads (default: the cores) with the GIL released; the
/// list keeps the input order. `errors="return"` puts the exception in place of a failed item.
#[pyfunction]
#[pyo3(signature = (items, workers = None, *, engine = None, lineage = false, errors = "raise"))]
pub fn convert_many<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyAny>,
    workers: Option<usize>,
    engine: Option<&Bound<'py, Engine>>,
    lineage: bool,
    errors: &str,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    guard(py, || {
        let raise = raises(errors)?;
        let engine = engine_of(engine).map_err(|e| e.to_pyerr(py))?;
        let held: Vec<Bound<'py, PyAny>> = items.try_iter()?.collect::<PyResult<_>>()?;
        let inputs: Vec<Cow<'_, [u8]>> = held.iter().map(|i| message_bytes(py, i)).collect::<PyResult<_>>()?;
        let threads = workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
            .clamp(1, inputs.len().max(1));
        let results: Vec<Result<Converted, ErrorInfo>> = py.detach(|| {
            let one = |b: &Cow<'_, [u8]>| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| convert_bytes(&engine, b, lineage)))
                    .unwrap_or_else(|_| Err(internal()))
            };
            if threads == 1 {
                return inputs.iter().map(one).collect();
            }
            let per = inputs.len().div_ceil(threads);
            std::thread::scope(|scope| {
                let handles: Vec<_> = inputs
                    .chunks(per)
                    .map(|chunk| scope.spawn(move || chunk.iter().map(one).collect::<Vec<_>>()))
                    .collect();
                handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|_| vec![Err(internal())])).collect()
            })
        });
        let mut out = Vec::with_capacity(results.len());
        for (i, r) in results.into_iter().enumerate() {
            match r {
                Ok(c) => out.push(to_python(py, &c, false, lineage)?),
                Err(e) => {
                    let e = ErrorInfo { index: Some(i), ..e };
                    if raise {
                        return Err(e.to_pyerr(py));
                    }
                    out.push(e.to_pyerr(py).into_value(py).into_bound(py).into_any());
                }
            }
        }
        Ok(out)
    })
}
