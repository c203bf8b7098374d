//! # hl7rs-python
//!
//! The native module `hl7rs._native` behind the Python package `hl7rs` (python/hl7rs). A thin
//! face over the `hl7rs` crate: every value, path, escape, charset, validation and acknowledgment
//! decision is the library's; this crate only moves bytes and results across the boundary.
//!
//! Maintainer notes:
//! - A Python `Message` owns its bytes (the `bytes` object it was given, shared without a copy;
//!   a copy of a `str` or `bytearray`) and the [`SegmentIndex`](hl7rs::SegmentIndex) built over
//!   them once (a `self_cell`), so every access is a lookup, never a re-parse.
//! - `parse_many`, `convert_many` and `to_arrow` do their Rust work on all cores with the GIL
//!   released (`par.rs`); the calling thread holds the GIL only to make Python objects.
//! - Views (`Segment`, `Field`, …) hold the shared message and their 1-based coordinates; they are
//!   resolved again on each access (a few memchr calls), so no borrowed view crosses into Python.
//! - Every entry point runs under [`guard`]: a Rust panic becomes `hl7rs.Hl7Error` with a fixed
//!   text, never `PanicException`.
//! - Exceptions are the classes of `hl7rs._errors` (pure Python, so that they carry `offset`,
//!   `segment` and `path` as plain attributes); their texts come from the library's `Display`
//!   impls, which never print content.

use pyo3::prelude::*;

mod arrow;
mod check;
mod compat;
mod convert;
mod engine;
mod error;
mod many;
mod message;
mod par;
mod views;

use error::guard;

/// Rust allocations of the module (never Python's) go through mimalloc: fast across threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The native module. `#[pymodule]` needs the module function to be public and named as the module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<message::Message>()?;
    m.add_class::<message::Note>()?;
    m.add_class::<views::Segment>()?;
    m.add_class::<views::Field>()?;
    m.add_class::<views::Repetition>()?;
    m.add_class::<views::Component>()?;
    m.add_class::<views::Subcomponent>()?;
    m.add_class::<check::Diagnostic>()?;
    m.add_class::<many::MessageIterator>()?;
    m.add_function(wrap_pyfunction!(message::parse, m)?)?;
    m.add_function(wrap_pyfunction!(many::parse_many, m)?)?;
    m.add_function(wrap_pyfunction!(many::iter_messages, m)?)?;
    m.add_function(wrap_pyfunction!(check::validate, m)?)?;
    m.add_function(wrap_pyfunction!(check::ack, m)?)?;
    m.add_class::<engine::Engine>()?;
    m.add_function(wrap_pyfunction!(engine::to_fhir, m)?)?;
    m.add_function(wrap_pyfunction!(engine::convert_many, m)?)?;
    m.add_function(wrap_pyfunction!(compat::compat_split, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::arrow_from_items, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::arrow_from_buffers, m)?)?;
    m.add_function(wrap_pyfunction!(raise_panic_for_test, m)?)?;
    Ok(())
}

/// Unwinds inside [`guard`] as a panic does, so that the tests can check that a panic reaches
/// Python as `hl7rs.Hl7Error` (the library offers no input that panics). `resume_unwind` skips the
/// panic hook, so nothing is printed.
#[pyfunction]
#[pyo3(name = "_raise_panic_for_test")]
fn raise_panic_for_test(py: Python<'_>) -> PyResult<()> {
    guard(py, || std::panic::resume_unwind(Box::new("test")))
}
