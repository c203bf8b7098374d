//! The columns of `hl7rs.to_arrow`, built in Rust as Arrow buffers (values, offsets, validity
//! bitmaps) and handed to Python as `bytes`; `hl7rs/_arrow.py` wraps them with
//! `pyarrow.Array.from_buffers`, so no Python object is made per value.
//!
//! One row per non-empty leaf value (subcomponent level: a field `a^b&c` gives three rows) and one
//! row per input that does not parse (`kind`, `offset`; the value columns null). Work is split
//! across the cores with the GIL released; rows keep the input order.

use std::borrow::Cow;
use std::panic::{catch_unwind, AssertUnwindSafe};

use hl7rs::{ParseOptions, TextDecoder};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString, PyTuple};

use crate::error::{guard, text_of};
use crate::message::Message;

/// A string column: Arrow offsets (built as i64, narrowed when the data fits) and UTF-8 data.
#[derive(Default)]
struct Strings {
    offsets: Vec<i64>,
    data: Vec<u8>,
}

impl Strings {
    fn push(&mut self, s: &[u8]) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        self.data.extend_from_slice(s);
        self.offsets.push(i64::try_from(self.data.len()).unwrap_or(i64::MAX));
    }
}

/// The columns of one chunk of inputs.
#[derive(Default)]
struct Columns {
    message: Vec<i64>,
    segment: Strings,
    segment_index: Vec<i32>,
    field: Vec<i32>,
    repetition: Vec<i32>,
    component: Vec<i32>,
    subcomponent: Vec<i32>,
    value: Strings,
    kind: Strings,
    offset: Vec<i64>,
    /// Per row: a value row (true) or an error row (false).
    is_value: Vec<bool>,
}

fn n32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl Columns {
    #[allow(clippy::too_many_arguments)] // one argument per column of a row
    fn value_row(&mut self, m: usize, seg: &[u8], pos: [usize; 5], value: &[u8], offset: usize) {
        self.message.push(i64::try_from(m).unwrap_or(i64::MAX));
        self.segment.push(seg);
        self.segment_index.push(n32(pos[0]));
        self.field.push(n32(pos[1]));
        self.repetition.push(n32(pos[2]));
        self.component.push(n32(pos[3]));
        self.subcomponent.push(n32(pos[4]));
        self.value.push(value);
        self.kind.push(b"");
        self.offset.push(i64::try_from(offset).unwrap_or(i64::MAX));
        self.is_value.push(true);
    }

    fn error_row(&mut self, m: usize, kind: &str, offset: usize) {
        self.message.push(i64::try_from(m).unwrap_or(i64::MAX));
        self.segment.push(b"");
        for col in [
            &mut self.segment_index,
            &mut self.field,
            &mut self.repetition,
            &mut self.component,
            &mut self.subcomponent,
        ] {
            col.push(0);
        }
        self.value.push(b"");
        self.kind.push(kind.as_bytes());
        self.offset.push(i64::try_from(offset).unwrap_or(i64::MAX));
        self.is_value.push(false);
    }

    /// Drops the rows from `rows` on.
    fn truncate(&mut self, rows: usize) {
        self.message.truncate(rows);
        for s in [&mut self.segment, &mut self.value, &mut self.kind] {
            s.offsets.truncate(rows + 1);
            let end = s.offsets.last().and_then(|&o| usize::try_from(o).ok()).unwrap_or(0);
            s.data.truncate(end);
        }
        for col in [
            &mut self.segment_index,
            &mut self.field,
            &mut self.repetition,
            &mut self.component,
            &mut self.subcomponent,
        ] {
            col.truncate(rows);
        }
        self.offset.truncate(rows);
        self.is_value.truncate(rows);
    }

    /// Room for the rows of about `bytes` input bytes (about one value per 8 bytes).
    fn reserve(&mut self, bytes: usize) {
        let rows = bytes / 8;
        for v in [
            &mut self.segment_index,
            &mut self.field,
            &mut self.repetition,
            &mut self.component,
            &mut self.subcomponent,
        ] {
            v.reserve(rows);
        }
        self.message.reserve(rows);
        self.offset.reserve(rows);
        self.is_value.reserve(rows);
        self.segment.offsets.reserve(rows + 1);
        self.segment.data.reserve(rows * 3);
        self.value.offsets.reserve(rows + 1);
        self.value.data.reserve(bytes);
        self.kind.offsets.reserve(rows + 1);
    }
}

/// `InvalidFieldSeparator` → `invalid_field_separator` (the kind's name, never its data).
fn kind_name(kind: hl7rs::ErrorKind) -> String {
    let debug = format!("{kind:?}");
    let name = debug.split([' ', '(', '{']).next().unwrap_or("error");
    let mut out = String::with_capacity(name.len() + 4);
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// The rows of one input.
fn emit(cols: &mut Columns, m: usize, input: Option<&[u8]>) {
    let Some(bytes) = input else {
        cols.error_row(m, "null", 0);
        return;
    };
    let msg = match hl7rs::Message::parse_with(bytes, &ParseOptions::default()) {
        Ok(msg) => msg,
        Err(e) => {
            cols.error_row(m, &kind_name(e.kind()), e.offset());
            return;
        }
    };
    let text = TextDecoder::new(&msg);
    let d = msg.delimiters();
    let fast = Fast { esc: d.escape(), utf8: text.encoding().is_none_or(|e| e.name() == "UTF-8") };
    let seps = [d.repetition(), d.component(), d.subcomponent().unwrap_or(d.component())];
    for (si, seg) in msg.segments().enumerate() {
        let id = seg.id();
        let header = seg.is_header();
        for (fi, f) in seg.fields().enumerate() {
            if f.is_empty() {
                continue;
            }
            if header && fi < 2 {
                // MSH-1 and MSH-2: the delimiters as written.
                cols.value_row(m, id, [si + 1, fi + 1, 1, 1, 1], f.as_bytes(), f.offset());
                continue;
            }
            let row = Row { m, id, text: &text, fast };
            if !f.as_bytes().iter().any(|b| seps.contains(b)) {
                // No repetition, component or subcomponent: one value (most fields).
                row.push(cols, [si + 1, fi + 1, 1, 1, 1], f);
                continue;
            }
            for (ri, r) in f.repetitions().enumerate() {
                for (ci, c) in r.components().enumerate() {
                    for (xi, s) in c.subcomponents().enumerate() {
                        if !s.is_empty() {
                            row.push(cols, [si + 1, fi + 1, ri + 1, ci + 1, xi + 1], s);
                        }
                    }
                }
            }
        }
    }
}

/// When a value's bytes are its text: no escape in them, ASCII, in a UTF-8 (or undeclared) message.
#[derive(Clone, Copy)]
struct Fast {
    esc: Option<u8>,
    utf8: bool,
}

/// What the rows of one segment share.
struct Row<'a> {
    m: usize,
    id: &'a [u8],
    text: &'a TextDecoder,
    fast: Fast,
}

impl Row<'_> {
    fn push<'b, V: Into<hl7rs::Value<'b>> + Copy>(&self, cols: &mut Columns, pos: [usize; 5], v: V) {
        let value: hl7rs::Value<'b> = v.into();
        let raw = value.as_bytes();
        if self.fast.utf8 && raw.is_ascii() && self.fast.esc.is_none_or(|e| !raw.contains(&e)) {
            cols.value_row(self.m, self.id, pos, raw, value.offset());
        } else {
            cols.value_row(self.m, self.id, pos, self.text.value(value).as_bytes(), value.offset());
        }
    }
}

/// Builds the columns of `inputs` (`None`: a null input) on all cores: one `Columns` per chunk of
/// inputs, in order (joined when written out, so rows are copied once).
fn build(inputs: &[Option<Cow<'_, [u8]>>]) -> Vec<Columns> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let threads = threads.min(inputs.len() / 64).max(1);
    let run = |start: usize, chunk: &[Option<Cow<'_, [u8]>>]| {
        let mut cols = Columns::default();
        cols.reserve(chunk.iter().map(|c| c.as_ref().map_or(0, |b| b.len())).sum());
        for (i, input) in chunk.iter().enumerate() {
            // A panic is a bug; the input's rows are dropped and an error row takes their place.
            let rows = cols.is_value.len();
            if catch_unwind(AssertUnwindSafe(|| emit(&mut cols, start + i, input.as_deref()))).is_err() {
                cols.truncate(rows);
                cols.error_row(start + i, "internal_error", 0);
            }
        }
        cols
    };
    if threads == 1 {
        return vec![run(0, inputs)];
    }
    let per = inputs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            inputs.chunks(per).enumerate().map(|(k, chunk)| scope.spawn(move || run(k * per, chunk))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// One column of every chunk, written straight into a new `bytes` object (little-endian).
fn le_bytes<'py, T: Copy, const N: usize>(
    py: Python<'py>,
    chunks: &[Columns],
    col: impl Fn(&Columns) -> &[T],
    f: impl Fn(T) -> [u8; N],
) -> Bound<'py, PyBytes> {
    let len: usize = chunks.iter().map(|c| col(c).len()).sum();
    PyBytes::new_with(py, len * N, |out| {
        for (slot, &x) in out.chunks_exact_mut(N).zip(chunks.iter().flat_map(|c| col(c).iter())) {
            slot.copy_from_slice(&f(x));
        }
        Ok(())
    })
    .unwrap_or_else(|_| PyBytes::new(py, &[]))
}

fn bitmap<'py>(py: Python<'py>, chunks: &[Columns], want: bool) -> Bound<'py, PyBytes> {
    let rows: usize = chunks.iter().map(|c| c.is_value.len()).sum();
    let mut out = vec![0u8; rows.div_ceil(8)];
    for (i, &b) in chunks.iter().flat_map(|c| c.is_value.iter()).enumerate() {
        if b == want {
            if let Some(byte) = out.get_mut(i / 8) {
                *byte |= 1 << (i % 8);
            }
        }
    }
    PyBytes::new(py, &out)
}

/// `(offsets, data)` of a string column over the chunks: 32-bit offsets unless `large`.
fn strings<'py>(
    py: Python<'py>,
    chunks: &[Columns],
    col: impl Fn(&Columns) -> &Strings,
    large: bool,
) -> (Bound<'py, PyBytes>, Bound<'py, PyBytes>) {
    let mut offsets: Vec<i64> = vec![0];
    let mut base = 0i64;
    for c in chunks {
        let s = col(c);
        offsets.extend(s.offsets.iter().skip(1).map(|o| o + base));
        base += i64::try_from(s.data.len()).unwrap_or(i64::MAX);
    }
    let width = if large { 8 } else { 4 };
    let offs = PyBytes::new_with(py, offsets.len() * width, |out| {
        for (slot, &o) in out.chunks_exact_mut(width).zip(&offsets) {
            if large {
                slot.copy_from_slice(&o.to_le_bytes());
            } else {
                slot.copy_from_slice(&i32::try_from(o).unwrap_or(i32::MAX).to_le_bytes());
            }
        }
        Ok(())
    })
    .unwrap_or_else(|_| PyBytes::new(py, &[]));
    let total = usize::try_from(base).unwrap_or(0);
    let data = PyBytes::new_with(py, total, |out| {
        let mut at = 0;
        for c in chunks {
            let d = &col(c).data;
            if let Some(slot) = out.get_mut(at..at + d.len()) {
                slot.copy_from_slice(d);
            }
            at += d.len();
        }
        Ok(())
    })
    .unwrap_or_else(|_| PyBytes::new(py, &[]));
    (offs, data)
}

/// The buffers as a tuple: rows, large (64-bit string offsets), then per column its buffers in
/// order `message`, `segment` (offsets, data), `segment_index`, `field`, `repetition`, `component`,
/// subcomponent, value (offsets, data), kind (offsets, data), offset, and the validity bitmaps of
/// the value columns and of `kind`.
fn to_tuple<'py>(py: Python<'py>, chunks: &[Columns]) -> PyResult<Bound<'py, PyTuple>> {
    let rows: usize = chunks.iter().map(|c| c.is_value.len()).sum();
    let bytes = |f: fn(&Columns) -> &Strings| chunks.iter().map(|c| f(c).data.len()).sum::<usize>();
    let longest = bytes(|c| &c.segment).max(bytes(|c| &c.value)).max(bytes(|c| &c.kind));
    let large = i32::try_from(longest).is_err();
    let i32s = |f: fn(&Columns) -> &[i32]| le_bytes(py, chunks, f, i32::to_le_bytes).into_any();
    let (seg_o, seg_d) = strings(py, chunks, |c| &c.segment, large);
    let (val_o, val_d) = strings(py, chunks, |c| &c.value, large);
    let (kind_o, kind_d) = strings(py, chunks, |c| &c.kind, large);
    let items: Vec<Bound<'py, PyAny>> = vec![
        rows.into_pyobject(py)?.into_any(),
        pyo3::types::PyBool::new(py, large).to_owned().into_any(),
        le_bytes(py, chunks, |c| &c.message, i64::to_le_bytes).into_any(),
        seg_o.into_any(),
        seg_d.into_any(),
        i32s(|c| &c.segment_index),
        i32s(|c| &c.field),
        i32s(|c| &c.repetition),
        i32s(|c| &c.component),
        i32s(|c| &c.subcomponent),
        val_o.into_any(),
        val_d.into_any(),
        kind_o.into_any(),
        kind_d.into_any(),
        le_bytes(py, chunks, |c| &c.offset, i64::to_le_bytes).into_any(),
        bitmap(py, chunks, true).into_any(),
        bitmap(py, chunks, false).into_any(),
    ];
    PyTuple::new(py, items)
}

/// Columns of a sequence of `bytes`, `bytearray`, `str` (UTF-8), `hl7rs.Message` or `None`.
#[pyfunction]
#[pyo3(name = "_arrow_from_items")]
pub fn arrow_from_items<'py>(py: Python<'py>, items: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    guard(py, || {
        let mut held: Vec<Bound<'py, PyAny>> = Vec::new();
        for item in items.try_iter()? {
            held.push(item?);
        }
        let mut inputs: Vec<Option<Cow<'_, [u8]>>> = Vec::with_capacity(held.len());
        for item in &held {
            inputs.push(if item.is_none() {
                None
            } else if let Ok(b) = item.cast::<PyBytes>() {
                Some(Cow::Borrowed(b.as_bytes()))
            } else if let Ok(s) = item.cast::<PyString>() {
                Some(Cow::Owned(text_of(py, s)?.as_bytes().to_vec()))
            } else if let Ok(b) = item.cast::<PyByteArray>() {
                Some(Cow::Owned(b.to_vec()))
            } else if let Ok(m) = item.cast::<Message>() {
                Some(Cow::Owned(m.borrow().parsed.bytes().to_vec()))
            } else {
                return Err(PyTypeError::new_err("to_arrow takes bytes, str, hl7rs.Message or None items"));
            });
        }
        let cols = py.detach(|| build(&inputs));
        to_tuple(py, &cols)
    })
}

/// Arrow offsets (`large`: 64-bit) as the ranges of `length` items from item `first`.
fn ranges(offsets: &[u8], large: bool, first: usize, length: usize) -> Vec<(usize, usize)> {
    let width = if large { 8 } else { 4 };
    let at = |i: usize| -> usize {
        let b = offsets.get(i * width..(i + 1) * width).unwrap_or_default();
        if large {
            b.try_into().map(i64::from_le_bytes).ok().and_then(|v| usize::try_from(v).ok()).unwrap_or(0)
        } else {
            b.try_into().map(i32::from_le_bytes).ok().and_then(|v| usize::try_from(v).ok()).unwrap_or(0)
        }
    };
    (first..first + length).map(|i| (at(i), at(i + 1))).collect()
}

/// Columns of an Arrow binary or string array given by its buffers: `offsets` and `data` as
/// bytes, `large` for 64-bit offsets, the array's `offset` and `length`, and its validity bitmap
/// (or `None`).
#[pyfunction]
#[pyo3(name = "_arrow_from_buffers")]
#[pyo3(signature = (offsets, data, large, offset, length, validity = None))]
pub fn arrow_from_buffers<'py>(
    py: Python<'py>,
    offsets: &Bound<'py, PyBytes>,
    data: &Bound<'py, PyBytes>,
    large: bool,
    offset: usize,
    length: usize,
    validity: Option<&Bound<'py, PyBytes>>,
) -> PyResult<Bound<'py, PyTuple>> {
    guard(py, || {
        let data = data.as_bytes();
        let valid = validity.map(pyo3::types::PyBytesMethods::as_bytes);
        let inputs: Vec<Option<Cow<'_, [u8]>>> = ranges(offsets.as_bytes(), large, offset, length)
            .into_iter()
            .enumerate()
            .map(|(i, (start, end))| {
                let bit = offset + i;
                let present = valid.is_none_or(|v| v.get(bit / 8).is_some_and(|b| b & (1 << (bit % 8)) != 0));
                present.then(|| Cow::Borrowed(data.get(start..end).unwrap_or_default()))
            })
            .collect();
        let cols = py.detach(|| build(&inputs));
        to_tuple(py, &cols)
    })
}
