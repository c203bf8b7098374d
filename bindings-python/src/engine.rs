//! `hl7rs.Engine`, `hl7rs.to_fhir` and `hl7rs.convert_many`: a thin face over hl7-map's public
//! API (`Engine::builtin`, `Engine::new`, `Matrix::from_dir`, `Matrix::with_site`,
//! `Engine::convert_with`). Conversions of many messages run on threads with the GIL released;
//! only the Bundle's JSON → Python objects step holds it.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use hl7rs::map::engine::{ConvertOptions, Engine as MapEngine, LineageEntry, MapIssue};
use hl7rs::map::matrix::Matrix;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::check::issue_kind;
use crate::error::{guard, internal, raises, ErrorInfo};
use crate::message::{any_bytes, Bytes};
use crate::par;

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

/// What one conversion gives before Python objects are made: the Bundle as JSON bytes or as a
/// JSON tree, the issues and the lineage (both content-free), and the message's offset in its
/// bytes. Made without the GIL (on the threads of `convert_many`).
struct Converted {
    bundle: Bundle,
    issues: Vec<MapIssue>,
    lineage: Option<Vec<LineageEntry>>,
    base: usize,
}

/// The Bundle of a [`Converted`]: JSON text for `as_json=True`, else the tree to make a dict of.
enum Bundle {
    Json(Vec<u8>),
    Tree(serde_json::Value),
}

fn convert_bytes(engine: &MapEngine, bytes: &[u8], lineage: bool, as_json: bool) -> Result<Converted, ErrorInfo> {
    let msg = hl7rs::Message::parse(bytes).map_err(|e| ErrorInfo::parse(e, bytes))?;
    let c = engine.convert_with(&msg, ConvertOptions { lineage, ..Default::default() }).map_err(map_error)?;
    let json = hl7rs::fhir::to_json_vec(&c.bundle).map_err(map_error)?;
    // The FHIR serialiser's JSON read back: the tree is exactly the JSON text's.
    let bundle = if as_json {
        Bundle::Json(json)
    } else {
        Bundle::Tree(serde_json::from_slice(&json).map_err(|_| map_error("bundle JSON"))?)
    };
    Ok(Converted { bundle, issues: c.issues, lineage: c.lineage, base: msg.offset() })
}

/// The Python result: the Bundle (a dict, or `bytes` of JSON), or a tuple with the issues and/or
/// the lineage after it.
fn to_python<'py>(py: Python<'py>, c: &Converted, issues: bool, lineage: bool) -> PyResult<Bound<'py, PyAny>> {
    let bundle = match &c.bundle {
        Bundle::Json(json) => PyBytes::new(py, json).into_any(),
        Bundle::Tree(value) => crate::convert::to_python(py, value)?,
    };
    if !issues && !lineage {
        return Ok(bundle);
    }
    let mut out = vec![bundle];
    if issues {
        let list = PyList::empty(py);
        for issue in &c.issues {
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
        for entry in c.lineage.iter().flatten() {
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

fn message_bytes(py: Python<'_>, item: &Bound<'_, PyAny>) -> PyResult<Bytes> {
    any_bytes(py, item, true)?.ok_or_else(|| PyTypeError::new_err("expected bytes, str or hl7rs.Message"))
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
            let c = convert_bytes(&self.inner, &bytes, lineage, false).map_err(|e| e.to_pyerr(py))?;
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
        let c = convert_bytes(&engine, &bytes, lineage, false).map_err(|e| e.to_pyerr(py))?;
        to_python(py, &c, issues, lineage)
    })
}

/// Converts many messages on `workers` threads (default: the cores), the calling thread one of
/// them, with the GIL released; the list keeps the input order. The threads parse, convert and
/// serialise (and read the JSON back as a tree); the calling thread also makes the Python objects
/// of finished conversions. `workers=1` does everything on the calling thread. `as_json=True` gives each Bundle as `bytes`
/// of JSON (no dict made: `json.loads` it when needed). `errors="return"` puts the exception in
/// place of a failed item.
#[pyfunction]
#[pyo3(signature = (items, workers = None, *, engine = None, lineage = false, errors = "raise", as_json = false))]
pub fn convert_many<'py>(
    py: Python<'py>,
    items: &Bound<'py, PyAny>,
    workers: Option<usize>,
    engine: Option<&Bound<'py, Engine>>,
    lineage: bool,
    errors: &str,
    as_json: bool,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    guard(py, || {
        let raise = raises(errors)?;
        let engine = engine_of(engine).map_err(|e| e.to_pyerr(py))?;
        let mut inputs = Vec::new();
        for item in items.try_iter()? {
            inputs.push(message_bytes(py, &item?)?);
        }
        let n = inputs.len();
        let threads = workers.unwrap_or_else(par::cores).clamp(1, n.max(1));
        // A conversion takes about a millisecond: small blocks balance the threads.
        let block = n.div_ceil(threads * 16).clamp(1, 8);
        let mut out: Vec<Option<Bound<'py, PyAny>>> = std::iter::repeat_with(|| None).take(n).collect();
        let mut first_error: Option<(usize, ErrorInfo)> = None;
        let engine = &*engine;
        par::pipeline(
            py,
            inputs,
            threads,
            block,
            |b: Bytes| {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    convert_bytes(engine, &b, lineage, as_json)
                }))
                .unwrap_or_else(|_| Err(internal()));
                // The input goes back to be dropped where the GIL is held.
                (r, b)
            },
            |i, (r, b)| {
                drop(b);
                let slot = out.get_mut(i).ok_or_else(|| internal().to_pyerr(py))?;
                match r {
                    Ok(c) => *slot = Some(to_python(py, &c, false, lineage)?),
                    Err(e) => {
                        let e = ErrorInfo { index: Some(i), ..e };
                        if raise {
                            if first_error.as_ref().is_none_or(|(j, _)| i < *j) {
                                first_error = Some((i, e));
                            }
                            return Ok(par::Next::Stop);
                        }
                        *slot = Some(e.to_pyerr(py).into_value(py).into_bound(py).into_any());
                    }
                }
                Ok(par::Next::More)
            },
        )?;
        if let Some((_, e)) = first_error {
            return Err(e.to_pyerr(py));
        }
        out.into_iter().map(|o| o.ok_or_else(|| internal().to_pyerr(py))).collect()
    })
}
