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
use crate::message::{input_bytes, options, Bytes, Message, Parsed};
use crate::par;

/// Parses one input, catching a panic (threads have no Python frame to guard them). On failure
/// the bytes come back, to be dropped where the GIL is held.
fn parse_one(bytes: Bytes, options: ParseOptions) -> Result<Parsed, Box<(ErrorInfo, Option<Bytes>)>> {
    catch_unwind(AssertUnwindSafe(|| Parsed::try_new(bytes, options).map_err(|f| Box::new((f.0, Some(f.1))))))
        .unwrap_or_else(|_| Err(Box::new((internal(), None))))
}

/// Parses many messages on all cores (the calling thread one of them) with the GIL released; the
/// list keeps the input order. The calling thread also makes the `Message` objects.
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
        let n = inputs.len();
        // Small lists are not worth a thread start; blocks of up to 64 messages (a few µs each).
        let threads = par::cores().min(n / 16).max(1);
        let block = n.div_ceil(threads * 8).clamp(1, 128);
        let mut out: Vec<Option<Py<PyAny>>> = std::iter::repeat_with(|| None).take(n).collect();
        let mut first_error: Option<(usize, ErrorInfo)> = None;
        par::pipeline(
            py,
            inputs,
            threads,
            block,
            |b| parse_one(b, opts),
            |i, r| {
                let slot = out.get_mut(i).ok_or_else(|| internal().to_pyerr(py))?;
                match r {
                    Ok(parsed) => *slot = Some(Py::new(py, Message { parsed: Arc::new(parsed) })?.into_any()),
                    Err(failed) => {
                        let (e, bytes) = *failed;
                        drop(bytes);
                        let e = ErrorInfo { index: Some(i), ..e };
                        if raise {
                            if first_error.as_ref().is_none_or(|(j, _)| i < *j) {
                                first_error = Some((i, e));
                            }
                            return Ok(par::Next::Stop);
                        }
                        *slot = Some(e.to_pyerr(py).into_value(py).into_any());
                    }
                }
                Ok(par::Next::More)
            },
        )?;
        if let Some((_, e)) = first_error {
            return Err(e.to_pyerr(py));
        }
        out.into_iter().map(|m| m.ok_or_else(|| internal().to_pyerr(py))).collect()
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
