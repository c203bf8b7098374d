//! Mapping issues as FHIR: an `OperationOutcome` with one issue per [`MapIssue`], in the style of
//! fhir-model's `ValidationReport::to_operation_outcome` (an `information` issue when there is
//! none). The diagnostics name the kind, what it is about (a FHIR element, type or structure), the
//! v2 path, the byte offset and the matrix row — never a value (an unmapped code is not quoted).
//!
//! ```
//! use hl7_core::Message;
//! use hl7_map::engine::Engine;
//! use hl7_map::outcome::issues_outcome;
//!
//! let msg = Message::parse(b"MSH|^~\\&|APP|FAC|||20240131093000-0500||ADT^A01|42|P|2.5.1\rPID|1||123||Doe^Jane||19800101|CANARY\r")?;
//! let out = Engine::builtin()?.convert(&msg)?;
//! let outcome = issues_outcome(&out.issues);
//! let json = fhir_model::to_json_string(&outcome)?;
//! assert!(json.contains("unmapped code") && json.contains("PID-8"));
//! assert!(!json.contains("CANARY"));
//! assert!(!fhir_model::Resource::from(outcome).validate().has_errors());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use fhir_model::{OperationOutcome, OperationOutcomeIssue};

use crate::engine::{IssueKind, MapIssue};

/// An `OperationOutcome` of mapping issues (severity `warning`, or `information` for a dropped
/// time; the `issue-type` code by kind; `expression` the FHIR element when the issue names one).
///
/// ```
/// let outcome = hl7_map::outcome::issues_outcome(&[]);
/// assert_eq!(outcome.issue[0].code.as_ref().and_then(|c| c.as_str()), Some("informational"));
/// ```
pub fn issues_outcome(issues: &[MapIssue]) -> OperationOutcome {
    let mut issue: Vec<OperationOutcomeIssue> = issues.iter().map(outcome_issue).collect();
    if issue.is_empty() {
        issue.push(OperationOutcomeIssue {
            severity: Some("information".into()),
            code: Some("informational".into()),
            diagnostics: Some("no mapping issues".into()),
            ..Default::default()
        });
    }
    OperationOutcome { issue, ..Default::default() }
}

/// One issue as a line of text without a value: kind, detail, v2 path, byte offset, matrix row.
///
/// ```
/// use hl7_map::engine::{IssueKind, MapIssue};
/// use hl7_map::matrix::Lineage;
/// let i = MapIssue {
///     kind: IssueKind::UnmappedCode { vocabulary: "HL70001".into(), code: "SECRET".into() },
///     source: "PID-8".parse().unwrap(),
///     span: 70..76,
///     row: Lineage { file: "segment/PID.csv".into(), row: 12 },
/// };
/// assert_eq!(hl7_map::outcome::describe(&i), "unmapped code [HL70001] at PID-8 (byte 70), row segment/PID.csv:12");
/// ```
pub fn describe(issue: &MapIssue) -> String {
    format!(
        "{}{} at {} (byte {}), row {}:{}",
        kind_name(&issue.kind),
        detail(&issue.kind),
        issue.source,
        issue.span.start,
        issue.row.file,
        issue.row.row
    )
}

/// The issue's kind as a short name.
///
/// ```
/// assert_eq!(hl7_map::outcome::kind_name(&hl7_map::engine::IssueKind::TimeDropped), "time dropped (no zone)");
/// ```
pub fn kind_name(kind: &IssueKind) -> &'static str {
    #[allow(unreachable_patterns)] // IssueKind is non-exhaustive; kinds added later read as "issue"
    match kind {
        IssueKind::UnmappedCode { .. } => "unmapped code",
        IssueKind::InvalidValue { .. } => "invalid value",
        IssueKind::TimeDropped => "time dropped (no zone)",
        IssueKind::ConditionUndecided => "condition undecided",
        IssueKind::UnsupportedRow => "row not supported yet",
        IssueKind::UnknownElement(_) => "unknown FHIR element",
        IssueKind::Conflict(_) => "conflicting rows",
        IssueKind::Rejected { .. } => "element rejected by FHIR validation",
        IssueKind::NoMessageMap { .. } => "no message map (MSH and PID only)",
        IssueKind::ResourceDropped { .. } => "resource left out",
        IssueKind::RequiredAbsent { .. } => "required element has no source: unknown / data-absent-reason",
        _ => "issue",
    }
}

/// What names the problem besides the v2 position: a vocabulary map, FHIR element paths, types
/// and the structure; never a value (the unmapped code is left out).
fn detail(kind: &IssueKind) -> String {
    #[allow(unreachable_patterns)]
    match kind {
        IssueKind::UnmappedCode { vocabulary, .. } => format!(" [{vocabulary}]"),
        IssueKind::InvalidValue { fhir_type } => format!(" [{fhir_type}]"),
        IssueKind::UnknownElement(e) | IssueKind::Conflict(e) => format!(" [{e}]"),
        IssueKind::Rejected { element, reason } => format!(" [{element}: {reason}]"),
        IssueKind::ResourceDropped { resource, reason } => format!(" [{resource}: {reason}]"),
        IssueKind::NoMessageMap { structure } => format!(" [{structure}]"),
        IssueKind::RequiredAbsent { element } => format!(" [{element}]"),
        _ => String::new(),
    }
}

fn outcome_issue(issue: &MapIssue) -> OperationOutcomeIssue {
    #[allow(unreachable_patterns)]
    let (severity, code) = match &issue.kind {
        IssueKind::UnmappedCode { .. } => ("warning", "code-invalid"),
        IssueKind::InvalidValue { .. } => ("warning", "value"),
        IssueKind::TimeDropped => ("information", "value"),
        IssueKind::ConditionUndecided | IssueKind::UnsupportedRow | IssueKind::NoMessageMap { .. } => {
            ("warning", "not-supported")
        }
        IssueKind::UnknownElement(_) => ("warning", "structure"),
        IssueKind::Conflict(_) => ("warning", "conflict"),
        IssueKind::Rejected { .. } => ("warning", "invariant"),
        IssueKind::ResourceDropped { .. } => ("warning", "incomplete"),
        IssueKind::RequiredAbsent { .. } => ("information", "incomplete"),
        _ => ("warning", "processing"),
    };
    #[allow(unreachable_patterns)]
    let element = match &issue.kind {
        IssueKind::UnknownElement(e) | IssueKind::Conflict(e) | IssueKind::Rejected { element: e, .. } => {
            Some(e.as_str())
        }
        _ => None,
    };
    OperationOutcomeIssue {
        severity: Some(severity.into()),
        code: Some(code.into()),
        diagnostics: Some(describe(issue).as_str().into()),
        expression: element.map(Into::into).into_iter().collect(),
        ..Default::default()
    }
}
