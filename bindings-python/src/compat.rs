//! `hl7rs._native._compat_split`: the tokenizing behind `hl7rs.compat` (the python-hl7 drop-in).
//!
//! The message is parsed by the library (header, delimiters, `\r`/`\n`/`\r\n` terminators, MLLP
//! bytes around it, limits); the result is the nested lists of raw (still escaped) text that the
//! Python containers wrap. A level is split only when its text holds a delimiter of that level or a
//! lower one (python-hl7's rule), so `X` stays the string `X` where `X^Y` becomes a list.

use hl7rs::{Delimiters, ParseOptions, Scan};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use crate::error::{guard, text_of, ErrorInfo};

fn text<'py>(py: Python<'py>, bytes: &[u8]) -> Bound<'py, PyAny> {
    PyString::new(py, &String::from_utf8_lossy(bytes)).into_any()
}

fn has_any(bytes: &[u8], set: &[u8]) -> bool {
    bytes.iter().any(|b| set.contains(b))
}

/// A field as a string (no repetition, component or subcomponent delimiter in it) or as a list of
/// repetitions, each a string or a list of components, each a string or a list of subcomponents.
fn field<'py>(py: Python<'py>, f: &hl7rs::Field<'_>, d: &Delimiters) -> PyResult<Bound<'py, PyAny>> {
    let sub = d.subcomponent();
    let below_rep: Vec<u8> = [Some(d.component()), sub].into_iter().flatten().collect();
    let mut below_field = below_rep.clone();
    below_field.push(d.repetition());
    if !has_any(f.as_bytes(), &below_field) {
        return Ok(text(py, f.as_bytes()));
    }
    let reps = PyList::empty(py);
    for r in f.repetitions() {
        if !has_any(r.as_bytes(), &below_rep) {
            reps.append(text(py, r.as_bytes()))?;
            continue;
        }
        let comps = PyList::empty(py);
        for c in r.components() {
            if sub.is_some_and(|s| c.as_bytes().contains(&s)) {
                let subs = PyList::empty(py);
                for s in c.subcomponents() {
                    subs.append(text(py, s.as_bytes()))?;
                }
                comps.append(subs)?;
            } else {
                comps.append(text(py, c.as_bytes()))?;
            }
        }
        reps.append(comps)?;
    }
    Ok(reps.into_any())
}

/// Splits one message given as text: `(separators, escape, segments)` where `separators` is
/// python-hl7's `"\r" + field + repetition + component + subcomponent` and each segment is a string
/// (no delimiter in it) or a list whose first item is the segment id (for `MSH`, `FHS`, `BHS` the
/// next two are the field separator and the encoding characters as written). `None` when the
/// message declares a lead-byte charset and holds non-ASCII text: its bytes are no longer in that
/// charset (the text was decoded), so the caller splits it in Python.
#[pyfunction]
#[pyo3(name = "_compat_split")]
pub fn compat_split<'py>(py: Python<'py>, data: &Bound<'py, PyString>) -> PyResult<Option<Bound<'py, PyTuple>>> {
    guard(py, || {
        let s = text_of(py, data)?;
        let bytes = s.as_bytes();
        let msg = hl7rs::Message::parse_with(bytes, &ParseOptions::default())
            .map_err(|e| ErrorInfo::parse(e, bytes).to_pyerr(py))?;
        if msg.scan() == Scan::LeadByte {
            return Ok(None);
        }
        let d = msg.delimiters();
        let all: Vec<u8> = [Some(d.field()), Some(d.repetition()), Some(d.component()), d.subcomponent()]
            .into_iter()
            .flatten()
            .collect();
        let segments = PyList::empty(py);
        for seg in msg.segments() {
            if !has_any(seg.as_bytes(), &all) {
                segments.append(text(py, seg.as_bytes()))?;
                continue;
            }
            let fields = PyList::empty(py);
            fields.append(text(py, seg.id()))?;
            let header = seg.is_header();
            for (i, f) in seg.fields().enumerate() {
                if header && i < 2 {
                    fields.append(text(py, f.as_bytes()))?;
                } else {
                    fields.append(field(py, &f, &d)?)?;
                }
            }
            segments.append(fields)?;
        }
        let seps: String = ['\r', d.field().into(), d.repetition().into(), d.component().into()]
            .into_iter()
            .chain(Some(d.subcomponent().map_or('&', char::from)))
            .collect();
        let esc = char::from(d.escape().unwrap_or(b'\\')).to_string();
        Ok(Some(PyTuple::new(
            py,
            [PyString::new(py, &seps).into_any(), PyString::new(py, &esc).into_any(), segments.into_any()],
        )?))
    })
}
