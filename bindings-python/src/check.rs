//! `hl7rs.validate` and `hl7rs.ack`: the library's validation and acknowledgment writer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use hl7rs::ack::{
    acknowledge_as_asked, acknowledge_message, timestamp_now, AckCode, AckError, AckErrorCode, AckKind, AckOptions,
    AckRefusal, HostReport,
};
use hl7rs::validate::{validate_message, ValidationOptions};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::{guard, ErrorInfo};
use crate::message::Message;

/// One validation finding: HL7 error code, severity, what and where; never content.
#[pyclass(module = "hl7rs._native", frozen)]
pub struct Diagnostic {
    /// HL7 table 0357 code (100 segment sequence, 101 required field missing, 102 data type…).
    #[pyo3(get)]
    code: u16,
    /// `E`, `W` or `I`.
    #[pyo3(get)]
    severity: &'static str,
    /// What was found, as text (kinds and numbers only).
    #[pyo3(get)]
    problem: String,
    /// Segment id (for a missing segment: the one expected).
    #[pyo3(get)]
    segment: String,
    /// 1-based position of the segment in the message, or `None` (expected at the end).
    #[pyo3(get)]
    segment_index: Option<usize>,
    /// Field number, or `None`.
    #[pyo3(get)]
    field: Option<usize>,
    /// Repetition number, or `None`.
    #[pyo3(get)]
    repetition: Option<usize>,
    /// Component number, or `None`.
    #[pyo3(get)]
    component: Option<usize>,
    /// Byte offset in the message's bytes.
    #[pyo3(get)]
    offset: usize,
    text: String,
}

#[pymethods]
impl Diagnostic {
    fn __str__(&self) -> String {
        self.text.clone()
    }

    fn __repr__(&self) -> String {
        format!("<hl7rs.Diagnostic {}>", self.text)
    }
}

/// Validates a message against its structure, field rules and tables.
#[pyfunction]
pub fn validate(py: Python<'_>, message: &Bound<'_, Message>) -> PyResult<Vec<Diagnostic>> {
    guard(py, || {
        let message = message.borrow();
        let found = validate_message(message.parsed.index().message(), &ValidationOptions::default());
        Ok(found
            .into_iter()
            .map(|d| Diagnostic {
                code: d.code.code(),
                severity: d.severity.as_str(),
                problem: d.problem.to_string(),
                segment: d.location.segment_str().to_owned(),
                segment_index: d.location.segment_index,
                field: d.location.field,
                repetition: d.location.repetition,
                component: d.location.component,
                offset: d.location.offset,
                text: d.to_string(),
            })
            .collect())
    })
}

/// A control id unique within this process: seconds since 1970, then a counter.
fn next_control_id() -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) + 1;
    format!("ACK{secs}{n:04}")
}

/// The application acknowledgment of a message, as bytes.
#[pyfunction]
#[pyo3(signature = (message, code = "AA", *, control_id = None, timestamp = None))]
pub fn ack<'py>(
    py: Python<'py>,
    message: &Bound<'_, Message>,
    code: &str,
    control_id: Option<&str>,
    timestamp: Option<&str>,
) -> PyResult<Bound<'py, PyBytes>> {
    guard(py, || {
        let message = message.borrow();
        let msg = message.parsed.index().message();
        let id = control_id.map_or_else(next_control_id, str::to_owned);
        let time = timestamp.map_or_else(timestamp_now, str::to_owned);
        let options = AckOptions::new(&id, &time);
        let internal = [AckError::new(AckErrorCode::ApplicationInternalError)];
        let written = match code {
            "AA" => acknowledge_message(msg, AckKind::Application, &[], &options),
            "AE" => acknowledge_message(msg, AckKind::Application, &internal, &options),
            // The library writes an application reject for a host's refusal only through
            // acknowledge_as_asked, which also follows MSH-15/16: take its application ACK.
            "AR" => acknowledge_as_asked(msg, &HostReport::rejected(), &options, || id.clone()).and_then(|acks| {
                acks.into_iter().find(|a| a.code == AckCode::ApplicationReject).ok_or(AckRefusal::NotRequired)
            }),
            _ => return Err(PyValueError::new_err("code must be 'AA', 'AE' or 'AR'")),
        };
        match written {
            Ok(a) => Ok(PyBytes::new(py, &a.to_bytes())),
            Err(e) => Err(ErrorInfo::new("Hl7Error", e.to_string()).to_pyerr(py)),
        }
    })
}

/// A snake-case name for an issue kind (the unmapped code itself is left out).
pub fn issue_kind(kind: &hl7rs::map::engine::IssueKind) -> &'static str {
    use hl7rs::map::engine::IssueKind as K;
    match kind {
        K::UnmappedCode { .. } => "unmapped_code",
        K::InvalidValue { .. } => "invalid_value",
        K::TimeDropped => "time_dropped",
        K::ConditionUndecided => "condition_undecided",
        K::UnsupportedRow => "unsupported_row",
        K::UnknownElement(_) => "unknown_element",
        K::Conflict(_) => "conflict",
        K::Rejected { .. } => "rejected",
        _ => "other",
    }
}
