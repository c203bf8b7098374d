//! `hl7rs.parse_many` (threads, GIL released) and `hl7rs.iter_messages` (files, batches, MLLP).

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;

use hl7rs::mllp::{commit_kind, Decoder, Status};
use hl7rs::{Batch, BatchEntry, ParseOptions};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::error::{guard, internal, raises, ErrorInfo};
use crate::message::{input_bytes, options, Message, Parsed};

/// Parses one input, catching a panic (threads have no Python frame to guard them).
fn parse_one(bytes: Vec<u8>, options: ParseOptions) -> Result<Parsed, ErrorInfo> {
    catch_unwind(AssertUnwindSafe(|| Parsed::new(bytes, options))).unwrap_or_else(|_| Err(internal()))
}

/// Parses every input on all cores; the list of results keeps the order of the inputs.
fn parse_all(inputs: Vec<Vec<u8>>, options: ParseOptions) -> Vec<Result<Parsed, ErrorInfo>> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    // Small lists are not worth a thread start.
    let threads = threads.min(inputs.len() / 16).max(1);
    if threads == 1 {
        return inputs.into_iter().map(|b| parse_one(b, options)).collect();
    }
    let per = inputs.len().div_ceil(threads);
    let mut chunks: Vec<Vec<Vec<u8>>> = Vec::with_capacity(threads);
    let mut rest = inputs.into_iter();
    for _ in 0..threads {
        chunks.push(rest.by_ref().take(per).collect());
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.into_iter().map(|b| parse_one(b, options)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|_| vec![Err(internal())])).collect()
    })
}

/// Parses many messages on all cores with the GIL released.
#[pyfunction]
#[pyo3(signature = (items, *, strict = false, errors = "raise", limits = None))]
pub fn parse_many(
    py: Python<'_>,
    items: &Bound<'_, PyAny>,
    strict: bool,
    errors: &str,
    limits: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<Py<PyAny>>> {
    guard(py, || {
        let raise = raises(errors)?;
        let mut inputs = Vec::new();
        for item in items.try_iter()? {
            inputs.push(input_bytes(py, &item?)?);
        }
        let opts = options(strict, limits)?;
        let results = py.detach(move || parse_all(inputs, opts));
        let mut out = Vec::with_capacity(results.len());
        for (i, r) in results.into_iter().enumerate() {
            match r {
                Ok(parsed) => out.push(Py::new(py, Message { parsed: Arc::new(parsed) })?.into_any()),
                Err(e) => {
                    let e = ErrorInfo { index: Some(i), ..e };
                    if raise {
                        return Err(e.to_pyerr(py));
                    }
                    out.push(e.to_pyerr(py).into_value(py).into_any());
                }
            }
        }
        Ok(out)
    })
}

/// The messages of a source, found up front; each is parsed again (on its own bytes) when reached.
#[pyclass(module = "hl7rs._native")]
pub struct MessageIterator {
    data: Vec<u8>,
    found: std::vec::IntoIter<Result<Range<usize>, ErrorInfo>>,
    options: ParseOptions,
    raise: bool,
    count: usize,
}

#[pymethods]
impl MessageIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        guard(py, || {
            let Some(next) = self.found.next() else { return Ok(None) };
            self.count += 1;
            let index = Some(self.count - 1);
            let result = next.and_then(|range| {
                let bytes = self.data.get(range.clone()).unwrap_or_default().to_vec();
                Parsed::new(bytes, self.options).map_err(|e| ErrorInfo {
                    offset: e.offset.map(|o| o + range.start),
                    segment: None,
                    ..e
                })
            });
            match result {
                Ok(parsed) => Ok(Some(Py::new(py, Message { parsed: Arc::new(parsed) })?.into_any())),
                Err(e) => {
                    let e = ErrorInfo { index, ..e };
                    if self.raise {
                        Err(e.to_pyerr(py))
                    } else {
                        Ok(Some(e.to_pyerr(py).into_value(py).into_any()))
                    }
                }
            }
        })
    }
}

/// The frames of an MLLP capture (commit acknowledgments and empty frames left out).
fn mllp_frames(data: &[u8]) -> Vec<Result<Range<usize>, ErrorInfo>> {
    let mut out = Vec::new();
    let mut decoder = Decoder::new();
    let mut pos = 0;
    // An error consumes nothing (the next call reports the bad bytes as junk); two errors in a row
    // end the walk, so it always terminates.
    let mut errors_in_row = 0;
    while pos < data.len() && errors_in_row < 2 {
        let buf = data.get(pos..).unwrap_or_default();
        let status = match decoder.decode(buf) {
            Ok(Status::Partial) => decoder.finish(buf),
            other => other,
        };
        match status {
            Ok(Status::Complete { frame, consumed }) => {
                let payload = buf.get(frame.clone()).unwrap_or_default();
                if !payload.is_empty() && commit_kind(payload).is_none() {
                    out.push(Ok(pos + frame.start..pos + frame.end));
                }
                pos += consumed;
                errors_in_row = 0;
            }
            Ok(Status::Junk { len, .. }) => {
                pos += len;
                errors_in_row = 0;
            }
            Ok(Status::Partial) => break,
            Err(e) => {
                out.push(Err(ErrorInfo { offset: Some(e.offset()), ..ErrorInfo::new("ParseError", e.to_string()) }));
                errors_in_row += 1;
            }
        }
    }
    out
}

/// The messages of a plain or batch file (envelope segments and skipped bytes left out).
fn batch_messages(data: &[u8], options: &ParseOptions) -> Vec<Result<Range<usize>, ErrorInfo>> {
    Batch::with_options(data, options)
        .entries()
        .filter_map(|entry| match entry {
            Ok(BatchEntry::Message(m)) => Some(Ok(m.offset()..m.offset() + m.as_bytes().len())),
            Ok(_) => None,
            Err(e) => Some(Err(ErrorInfo::parse(e, data))),
        })
        .collect()
}

/// Streams the messages of a file (a path) or of bytes: one message, a batch file, or an MLLP
/// capture (detected by its start byte 0x0B).
#[pyfunction]
#[pyo3(signature = (source, *, strict = false, errors = "raise", limits = None))]
pub fn iter_messages(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    strict: bool,
    errors: &str,
    limits: Option<&Bound<'_, PyDict>>,
) -> PyResult<MessageIterator> {
    guard(py, || {
        let raise = raises(errors)?;
        let data = if let Ok(b) = source.cast::<PyBytes>() {
            b.as_bytes().to_vec()
        } else if source.cast::<PyString>().is_ok() || source.hasattr("__fspath__")? {
            let path: PathBuf = source.extract()?;
            py.detach(|| std::fs::read(path))?
        } else {
            return Err(PyTypeError::new_err("expected a path (str or os.PathLike) or bytes"));
        };
        let opts = options(strict, limits)?;
        let first = data.iter().find(|b| !b.is_ascii_whitespace());
        let found = if first == Some(&hl7rs::mllp::SB) { mllp_frames(&data) } else { batch_messages(&data, &opts) };
        Ok(MessageIterator { data, found: found.into_iter(), options: opts, raise, count: 0 })
    })
}
