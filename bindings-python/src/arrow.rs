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
use crate::par;

/// A string column of one chunk: the end of each row's text in `data` (relative to the chunk).
#[derive(Default)]
struct Strings {
    ends: Vec<usize>,
    data: Vec<u8>,
}

impl Strings {
    fn push(&mut self, s: &[u8]) {
        self.data.extend_from_slice(s);
        self.ends.push(self.data.len());
    }
}

/// The rows of one chunk of inputs, in the order they are written out.
#[derive(Default)]
struct Columns {
    /// Per input of the chunk: its position and its number of rows (the `message` column).
    runs: Vec<(usize, usize)>,
    segment: Strings,
    /// `segment_index`, `field`, `repetition`, `component`, `subcomponent`.
    pos: [Vec<i32>; 5],
    value: Strings,
    offset: Vec<i64>,
    /// The error rows (row in the chunk, kind name), in row order; their other columns are null
    /// (`segment` and `value` empty, positions 0).
    errors: Vec<(usize, String)>,
}

fn n32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn n64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Columns {
    fn rows(&self) -> usize {
        self.offset.len()
    }

    fn value_row(&mut self, seg: &[u8], pos: [usize; 5], value: &[u8], offset: usize) {
        self.segment.push(seg);
        for (col, p) in self.pos.iter_mut().zip(pos) {
            col.push(n32(p));
        }
        self.value.push(value);
        self.offset.push(n64(offset));
    }

    fn error_row(&mut self, kind: String, offset: usize) {
        self.errors.push((self.rows(), kind));
        self.segment.push(b"");
        for col in &mut self.pos {
            col.push(0);
        }
        self.value.push(b"");
        self.offset.push(n64(offset));
    }

    /// Drops the rows from `rows` on.
    fn truncate(&mut self, rows: usize) {
        for s in [&mut self.segment, &mut self.value] {
            s.ends.truncate(rows);
            s.data.truncate(s.ends.last().copied().unwrap_or(0));
        }
        for col in &mut self.pos {
            col.truncate(rows);
        }
        self.offset.truncate(rows);
        self.errors.retain(|(r, _)| *r < rows);
    }

    /// Room for the rows of about `bytes` input bytes (about one value per 8 bytes).
    fn reserve(&mut self, bytes: usize) {
        let rows = bytes / 8;
        for col in &mut self.pos {
            col.reserve(rows);
        }
        self.offset.reserve(rows);
        self.segment.ends.reserve(rows);
        self.segment.data.reserve(rows * 3);
        self.value.ends.reserve(rows);
        self.value.data.reserve(bytes);
    }

    fn kind_bytes(&self) -> usize {
        self.errors.iter().map(|(_, k)| k.len()).sum()
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
fn emit(cols: &mut Columns, input: Option<&[u8]>) {
    let Some(bytes) = input else {
        cols.error_row("null".to_owned(), 0);
        return;
    };
    let msg = match hl7rs::Message::parse_with(bytes, &ParseOptions::default()) {
        Ok(msg) => msg,
        Err(e) => {
            cols.error_row(kind_name(e.kind()), e.offset());
            return;
        }
    };
    let text = TextDecoder::new(&msg);
    let d = msg.delimiters();
    let utf8 = text.encoding().is_none_or(|e| e.name() == "UTF-8");
    let class = Class::new(&d, utf8);
    for (si, seg) in msg.segments().enumerate() {
        let id = seg.id();
        let header = seg.is_header();
        let row = Row { id, text: &text, class: &class };
        for (fi, f) in seg.fields().enumerate() {
            if f.is_empty() {
                continue;
            }
            if header && fi < 2 {
                // MSH-1 and MSH-2: the delimiters as written.
                cols.value_row(id, [si + 1, fi + 1, 1, 1, 1], f.as_bytes(), f.offset());
                continue;
            }
            let flags = class.of(f.as_bytes());
            if flags & SEP == 0 {
                // No repetition, component or subcomponent: one value (most fields).
                row.push_as(cols, [si + 1, fi + 1, 1, 1, 1], f, flags);
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

/// A repetition, component or subcomponent separator.
const SEP: u8 = 1;
/// A byte that makes a value need decoding: the escape character, or any byte when the message's
/// charset is not UTF-8 (or a byte past ASCII in a UTF-8 message, which the decoder checks).
const DECODE: u8 = 2;

/// The bytes of a message by what they mean to a value, so that one pass over a field tells
/// whether it splits and whether its bytes are its text.
struct Class([u8; 256]);

impl Class {
    fn new(d: &hl7rs::Delimiters, utf8: bool) -> Class {
        let mut t = [0u8; 256];
        for (b, slot) in t.iter_mut().enumerate() {
            if b >= 0x80 || !utf8 {
                *slot |= DECODE;
            }
        }
        for sep in [Some(d.repetition()), Some(d.component()), d.subcomponent()].into_iter().flatten() {
            t[usize::from(sep)] |= SEP;
        }
        if let Some(esc) = d.escape() {
            t[usize::from(esc)] |= DECODE;
        }
        Class(t)
    }

    fn of(&self, bytes: &[u8]) -> u8 {
        bytes.iter().fold(0, |acc, &b| acc | self.0[usize::from(b)])
    }
}

/// What the rows of one segment share.
struct Row<'a> {
    id: &'a [u8],
    text: &'a TextDecoder,
    class: &'a Class,
}

impl Row<'_> {
    fn push<'b, V: Into<hl7rs::Value<'b>> + Copy>(&self, cols: &mut Columns, pos: [usize; 5], v: V) {
        let value: hl7rs::Value<'b> = v.into();
        self.push_as(cols, pos, value, self.class.of(value.as_bytes()));
    }

    /// A value whose bytes have the classes `flags`.
    fn push_as<'b, V: Into<hl7rs::Value<'b>> + Copy>(&self, cols: &mut Columns, pos: [usize; 5], v: V, flags: u8) {
        let value: hl7rs::Value<'b> = v.into();
        if flags & DECODE == 0 {
            cols.value_row(self.id, pos, value.as_bytes(), value.offset());
        } else {
            cols.value_row(self.id, pos, self.text.value(value).as_bytes(), value.offset());
        }
    }
}

type Input<'a> = Option<Cow<'a, [u8]>>;

/// The rows of a chunk of inputs; `start` is the position of its first input.
fn build_chunk(start: usize, chunk: &[Input<'_>]) -> Columns {
    let mut cols = Columns::default();
    cols.reserve(chunk.iter().map(|c| c.as_ref().map_or(0, |b| b.len())).sum());
    for (i, input) in chunk.iter().enumerate() {
        // A panic is a bug; the input's rows are dropped and an error row takes their place.
        let rows = cols.rows();
        if catch_unwind(AssertUnwindSafe(|| emit(&mut cols, input.as_deref()))).is_err() {
            cols.truncate(rows);
            cols.error_row("internal_error".to_owned(), 0);
        }
        cols.runs.push((start + i, cols.rows() - rows));
    }
    cols
}

/// Builds the rows of `inputs` (`None`: a null input) on all cores: one `Columns` per chunk of
/// inputs (chunks of about the same number of bytes), in order.
fn build(inputs: &[Input<'_>]) -> Vec<Columns> {
    let threads = par::cores().min(inputs.len() / 64).max(1);
    if threads == 1 {
        return vec![build_chunk(0, inputs)];
    }
    let total: usize = inputs.iter().map(|c| c.as_ref().map_or(0, |b| b.len()) + 1).sum();
    let per = total.div_ceil(threads);
    let mut bounds = vec![0];
    let mut acc = 0;
    for (i, input) in inputs.iter().enumerate() {
        acc += input.as_ref().map_or(0, |b| b.len()) + 1;
        if acc >= per * bounds.len() && bounds.len() < threads {
            bounds.push(i + 1);
        }
    }
    bounds.push(inputs.len());
    bounds.dedup();
    std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (a, b) = (w[0], w[1]);
                let chunk = inputs.get(a..b).unwrap_or_default();
                scope.spawn(move || build_chunk(a, chunk))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// The buffers of the batch, in order: `message`, `segment` (offsets, data), `segment_index`,
/// `field`, `repetition`, `component`, `subcomponent`, `value` (offsets, data), `kind` (offsets,
/// data), `offset`, the validity bitmap of the value columns (absent when every row is a value)
/// and that of `kind`.
const BUFFERS: usize = 15;

/// Where the buffers go in the one `bytes` object they are written to, each at a 64-byte aligned
/// address (Arrow's recommendation).
struct Layout {
    rows: usize,
    large: bool,
    errors: bool,
    sizes: [usize; BUFFERS],
}

impl Layout {
    fn new(chunks: &[Columns]) -> Layout {
        let rows: usize = chunks.iter().map(Columns::rows).sum();
        let seg: usize = chunks.iter().map(|c| c.segment.data.len()).sum();
        let val: usize = chunks.iter().map(|c| c.value.data.len()).sum();
        let kind: usize = chunks.iter().map(Columns::kind_bytes).sum();
        let errors = chunks.iter().any(|c| !c.errors.is_empty());
        let large = i32::try_from(seg.max(val).max(kind)).is_err();
        let w = if large { 8 } else { 4 };
        let (offs, bits) = ((rows + 1) * w, rows.div_ceil(8));
        let sizes = [
            rows * 8,
            offs,
            seg,
            rows * 4,
            rows * 4,
            rows * 4,
            rows * 4,
            rows * 4,
            offs,
            val,
            offs,
            kind,
            rows * 8,
            if errors { bits } else { 0 },
            bits,
        ];
        Layout { rows, large, errors, sizes }
    }

    /// The byte length of the `bytes` object: every buffer padded to 64 bytes, and 64 to align
    /// the first.
    fn total(&self) -> usize {
        self.sizes.iter().map(|s| s.next_multiple_of(64)).sum::<usize>() + 64
    }

    /// Start of each buffer in a `bytes` object whose data starts at address `base`.
    fn starts(&self, base: usize) -> [usize; BUFFERS] {
        let mut at = (64 - base % 64) % 64;
        let mut out = [0; BUFFERS];
        for (slot, size) in out.iter_mut().zip(self.sizes) {
            *slot = at;
            at += size.next_multiple_of(64);
        }
        out
    }
}

/// One chunk's part of every buffer, and where its texts start in the whole.
struct Part<'a> {
    bufs: Vec<&'a mut [u8]>,
    seg: usize,
    val: usize,
    kind: usize,
}

/// Splits the buffers into the parts of the chunks.
fn parts<'a>(bufs: Vec<&'a mut [u8]>, chunks: &[Columns], layout: &Layout) -> Vec<Part<'a>> {
    let w = if layout.large { 8 } else { 4 };
    // Per buffer, the length of each chunk's part (offsets: without the leading 0, written once).
    let len = |b: usize, c: &Columns| -> usize {
        let rows = c.rows();
        match b {
            0 | 12 => rows * 8,
            1 | 8 | 10 => rows * w,
            2 => c.segment.data.len(),
            3..=7 => rows * 4,
            9 => c.value.data.len(),
            11 => c.kind_bytes(),
            _ => 0,
        }
    };
    let mut out: Vec<Part<'a>> = Vec::with_capacity(chunks.len());
    let (mut seg, mut val, mut kind) = (0, 0, 0);
    for c in chunks {
        out.push(Part { bufs: Vec::with_capacity(13), seg, val, kind });
        seg += c.segment.data.len();
        val += c.value.data.len();
        kind += c.kind_bytes();
    }
    for (b, buf) in bufs.into_iter().enumerate().take(13) {
        // Skip the leading 0 offset of the offset buffers.
        let mut rest: &'a mut [u8] = if matches!(b, 1 | 8 | 10) { buf.get_mut(w..).unwrap_or_default() } else { buf };
        for (part, c) in out.iter_mut().zip(chunks) {
            let (head, tail) = rest.split_at_mut(len(b, c).min(rest.len()));
            part.bufs.push(head);
            rest = tail;
        }
    }
    out
}

fn put_offsets(out: &mut [u8], ends: impl Iterator<Item = usize>, base: usize, large: bool) {
    if large {
        for (slot, e) in out.chunks_exact_mut(8).zip(ends) {
            slot.copy_from_slice(&n64(base + e).to_le_bytes());
        }
    } else {
        for (slot, e) in out.chunks_exact_mut(4).zip(ends) {
            slot.copy_from_slice(&n32(base + e).to_le_bytes());
        }
    }
}

/// Writes one chunk's rows into its part of the buffers.
fn fill(part: Part<'_>, c: &Columns, large: bool) {
    let Part { bufs, seg, val, kind, .. } = part;
    let mut bufs = bufs.into_iter();
    let mut next = || bufs.next().unwrap_or_default();
    let message = next();
    let rows = c.runs.iter().flat_map(|&(m, n)| std::iter::repeat_n(n64(m), n));
    for (slot, m) in message.chunks_exact_mut(8).zip(rows) {
        slot.copy_from_slice(&m.to_le_bytes());
    }
    put_offsets(next(), c.segment.ends.iter().copied(), seg, large);
    let seg_data = next();
    seg_data.copy_from_slice(c.segment.data.get(..seg_data.len()).unwrap_or_default());
    for col in &c.pos {
        for (slot, p) in next().chunks_exact_mut(4).zip(col) {
            slot.copy_from_slice(&p.to_le_bytes());
        }
    }
    put_offsets(next(), c.value.ends.iter().copied(), val, large);
    let val_data = next();
    val_data.copy_from_slice(c.value.data.get(..val_data.len()).unwrap_or_default());
    // Kind: empty for value rows, the kind's name for error rows.
    let mut errors = c.errors.iter().peekable();
    let mut end = 0;
    let ends = (0..c.rows()).map(|r| {
        if let Some((_, k)) = errors.next_if(|(e, _)| *e == r) {
            end += k.len();
        }
        end
    });
    put_offsets(next(), ends, kind, large);
    let mut kind_data = next();
    for (_, k) in &c.errors {
        let len = k.len().min(kind_data.len());
        let (head, tail) = std::mem::take(&mut kind_data).split_at_mut(len);
        head.copy_from_slice(k.as_bytes().get(..head.len()).unwrap_or_default());
        kind_data = tail;
    }
    for (slot, o) in next().chunks_exact_mut(8).zip(&c.offset) {
        slot.copy_from_slice(&o.to_le_bytes());
    }
}

/// The batch as `(rows, large, buffer, layout)`: `large` for 64-bit string offsets, `buffer` one
/// `bytes` object holding every Arrow buffer, `layout` the `(start, length)` of each (see
/// [`BUFFERS`]; `None` for an absent validity bitmap). The chunks are written out on all cores
/// with the GIL released.
fn to_tuple<'py>(py: Python<'py>, chunks: &[Columns]) -> PyResult<Bound<'py, PyTuple>> {
    let layout = Layout::new(chunks);
    let mut starts = [0; BUFFERS];
    let buffer = PyBytes::new_with(py, layout.total(), |out| {
        starts = layout.starts(out.as_ptr() as usize);
        // The buffers, as disjoint slices (the bytes object is zeroed: bitmaps start empty).
        let mut bufs: Vec<&mut [u8]> = Vec::with_capacity(BUFFERS);
        let mut rest: &mut [u8] = out;
        let mut at = 0;
        for (start, size) in starts.iter().zip(layout.sizes) {
            let skip = (start - at).min(rest.len());
            let (_, tail) = std::mem::take(&mut rest).split_at_mut(skip);
            let (buf, tail) = tail.split_at_mut(size.min(tail.len()));
            bufs.push(buf);
            rest = tail;
            at = start + size;
        }
        let kind_valid = bufs.pop().unwrap_or_default();
        let value_valid = bufs.pop().unwrap_or_default();
        // Validity: every row a value but the error rows.
        let mut row = 0;
        for c in chunks {
            for &(r, _) in &c.errors {
                let bit = row + r;
                if let Some(b) = kind_valid.get_mut(bit / 8) {
                    *b |= 1 << (bit % 8);
                }
            }
            row += c.rows();
        }
        if layout.errors {
            for (v, k) in value_valid.iter_mut().zip(kind_valid.iter()) {
                *v = !k;
            }
        }
        let large = layout.large;
        let parts = parts(bufs, chunks, &layout);
        py.detach(move || {
            if parts.len() == 1 {
                for (part, c) in parts.into_iter().zip(chunks) {
                    fill(part, c, large);
                }
                return;
            }
            std::thread::scope(|scope| {
                for (part, c) in parts.into_iter().zip(chunks) {
                    scope.spawn(move || fill(part, c, large));
                }
            });
        });
        Ok(())
    })?;
    let spans: Vec<Option<(usize, usize)>> = starts
        .iter()
        .zip(layout.sizes)
        .enumerate()
        .map(|(b, (&start, size))| (b != BUFFERS - 2 || layout.errors).then_some((start, size)))
        .collect();
    PyTuple::new(
        py,
        [
            layout.rows.into_pyobject(py)?.into_any(),
            pyo3::types::PyBool::new(py, layout.large).to_owned().into_any(),
            buffer.into_any(),
            spans.into_pyobject(py)?.into_any(),
        ],
    )
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
