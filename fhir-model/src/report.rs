//! What validation found, as typed values: [`ValidationReport`] holds [`ValidationIssue`]s, each
//! with an [`IssueSeverity`], an [`IssueType`], a [`FhirPath`] location and a message.
//!
//! Maintainer note: an issue never holds an element's value. Its location is built from element
//! names of the definitions and indexes, its message is fixed text that may name a cardinality,
//! a value set URL or a US Core profile (definitions, not instance content). The PHI canary test
//! (`tests/phi_canary.rs`) checks `Display` and `Debug` of reports and issues.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use crate::{OperationOutcome, OperationOutcomeIssue};

/// Severity of a validation issue (FHIR `issue-severity`).
///
/// ```
/// use fhir_model::IssueSeverity;
/// assert_eq!(IssueSeverity::Error.code(), "error");
/// assert!(IssueSeverity::Fatal < IssueSeverity::Warning); // more severe sorts first
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IssueSeverity {
    /// `fatal`: validation could not go on.
    Fatal,
    /// `error`
    Error,
    /// `warning`
    Warning,
    /// `information`
    Information,
}

impl IssueSeverity {
    /// The FHIR code.
    ///
    /// ```
    /// use fhir_model::IssueSeverity;
    /// assert_eq!(IssueSeverity::Information.code(), "information");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            Self::Fatal => "fatal",
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Information => "information",
        }
    }

    /// Whether the issue makes the resource invalid (`fatal` or `error`).
    ///
    /// ```
    /// use fhir_model::IssueSeverity;
    /// assert!(IssueSeverity::Fatal.is_error() && !IssueSeverity::Warning.is_error());
    /// ```
    pub fn is_error(self) -> bool {
        matches!(self, Self::Fatal | Self::Error)
    }
}

impl fmt::Display for IssueSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Kind of a validation issue: the FHIR `issue-type` codes validation reports.
///
/// ```
/// use fhir_model::IssueType;
/// assert_eq!(IssueType::CodeInvalid.code(), "code-invalid");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum IssueType {
    /// `required`: a mandatory element is absent (minimum cardinality not met).
    Required,
    /// `value`: a value does not meet its primitive type's format.
    Value,
    /// `code-invalid`: a code is not in the value set of a required binding.
    CodeInvalid,
    /// `structure`: the structure is wrong (maximum cardinality exceeded).
    Structure,
    /// `invariant`: a constraint (invariant) of the definitions does not hold.
    Invariant,
    /// `not-found`: a reference does not resolve.
    NotFound,
}

impl IssueType {
    /// The FHIR code.
    ///
    /// ```
    /// use fhir_model::IssueType;
    /// assert_eq!(IssueType::NotFound.code(), "not-found");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Value => "value",
            Self::CodeInvalid => "code-invalid",
            Self::Structure => "structure",
            Self::Invariant => "invariant",
            Self::NotFound => "not-found",
        }
    }
}

impl fmt::Display for IssueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A simple `FHIRPath` expression locating an element: `Patient.name[0].given[1]`, with
/// `.ofType(Quantity)` after a choice element.
///
/// Built by pushing steps onto the root resource type, never by formatting text; `Display`
/// gives the expression. Indexes are 0-based, as in `FHIRPath`.
///
/// ```
/// use fhir_model::FhirPath;
/// let path = FhirPath::new("Patient").element("name").index(0).element("given").index(1);
/// assert_eq!(path.to_string(), "Patient.name[0].given[1]");
/// let value = FhirPath::new("Observation").element("value").of_type("Quantity").element("system");
/// assert_eq!(value.as_str(), "Observation.value.ofType(Quantity).system");
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FhirPath(String);

impl FhirPath {
    /// A path at the root, a resource type (`Patient`).
    ///
    /// ```
    /// use fhir_model::FhirPath;
    /// assert_eq!(FhirPath::new("Bundle").as_str(), "Bundle");
    /// ```
    pub fn new(root: &str) -> Self {
        FhirPath(root.to_string())
    }

    /// The path one element down (`.name`).
    ///
    /// ```
    /// use fhir_model::FhirPath;
    /// assert_eq!(FhirPath::new("Patient").element("birthDate").as_str(), "Patient.birthDate");
    /// ```
    #[must_use]
    pub fn element(mut self, name: &str) -> Self {
        self.push_element(name);
        self
    }

    /// The path to one item of a repeating element (`[i]`, 0-based).
    ///
    /// ```
    /// use fhir_model::FhirPath;
    /// assert_eq!(FhirPath::new("Patient").element("name").index(2).as_str(), "Patient.name[2]");
    /// ```
    #[must_use]
    pub fn index(mut self, i: usize) -> Self {
        self.push_index(i);
        self
    }

    /// The path to a choice element as one of its types (`.ofType(dateTime)`).
    ///
    /// ```
    /// use fhir_model::FhirPath;
    /// let p = FhirPath::new("Observation").element("effective").of_type("dateTime");
    /// assert_eq!(p.as_str(), "Observation.effective.ofType(dateTime)");
    /// ```
    #[must_use]
    pub fn of_type(mut self, fhir_type: &str) -> Self {
        self.push_of_type(fhir_type);
        self
    }

    /// Pushes an element step (`.name`) in place.
    ///
    /// ```
    /// use fhir_model::FhirPath;
    /// let mut p = FhirPath::new("Patient");
    /// p.push_element("gender");
    /// assert_eq!(p.as_str(), "Patient.gender");
    /// ```
    pub fn push_element(&mut self, name: &str) {
        self.0.push('.');
        self.0.push_str(name);
    }

    /// Pushes an index step (`[i]`, 0-based) in place.
    ///
    /// ```
    /// use fhir_model::FhirPath;
    /// let mut p = FhirPath::new("Patient").element("name");
    /// p.push_index(0);
    /// assert_eq!(p.as_str(), "Patient.name[0]");
    /// ```
    pub fn push_index(&mut self, i: usize) {
        // Writing into a String cannot fail.
        let _ = write!(self.0, "[{i}]");
    }

    /// Pushes a type step (`.ofType(T)`) in place.
    ///
    /// ```
    /// use fhir_model::FhirPath;
    /// let mut p = FhirPath::new("Observation").element("value");
    /// p.push_of_type("Quantity");
    /// assert_eq!(p.as_str(), "Observation.value.ofType(Quantity)");
    /// ```
    pub fn push_of_type(&mut self, fhir_type: &str) {
        self.0.push_str(".ofType(");
        self.0.push_str(fhir_type);
        self.0.push(')');
    }

    /// The expression text.
    ///
    /// ```
    /// use fhir_model::FhirPath;
    /// assert_eq!(FhirPath::new("Patient").element("id").as_str(), "Patient.id");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A mark to go back to with [`FhirPath::truncate`].
    pub(crate) fn mark(&self) -> usize {
        self.0.len()
    }

    /// Goes back to a [`FhirPath::mark`].
    pub(crate) fn truncate(&mut self, mark: usize) {
        self.0.truncate(mark);
    }
}

impl fmt::Display for FhirPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for FhirPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FhirPath({:?})", self.0)
    }
}

/// One finding of validation. It never quotes an element's value (see [`crate::report`]).
///
/// ```
/// use fhir_model::{IssueSeverity, IssueType, Observation, Resource};
/// let report = Resource::from(Observation { status: Some("final".into()), ..Default::default() }).validate();
/// let issue = &report.issues()[0];
/// assert_eq!((issue.severity(), issue.code()), (IssueSeverity::Error, IssueType::Required));
/// assert_eq!(issue.location().as_str(), "Observation.code");
/// assert_eq!(issue.message(), "minimum cardinality 1 not met");
/// assert_eq!(issue.to_string(), "error required at Observation.code: minimum cardinality 1 not met");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationIssue {
    severity: IssueSeverity,
    code: IssueType,
    location: FhirPath,
    message: Cow<'static, str>,
}

impl ValidationIssue {
    pub(crate) fn new(
        severity: IssueSeverity,
        code: IssueType,
        location: FhirPath,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        ValidationIssue { severity, code, location, message: message.into() }
    }

    /// How severe.
    ///
    /// ```
    /// # use fhir_model::{IssueSeverity, Observation, Resource};
    /// let report = Resource::from(Observation::default()).validate();
    /// assert_eq!(report.issues()[0].severity(), IssueSeverity::Error);
    /// ```
    pub fn severity(&self) -> IssueSeverity {
        self.severity
    }

    /// What kind of issue (the FHIR `issue-type`).
    ///
    /// ```
    /// # use fhir_model::{IssueType, Observation, Resource};
    /// let report = Resource::from(Observation::default()).validate();
    /// assert_eq!(report.issues()[0].code(), IssueType::Required);
    /// ```
    pub fn code(&self) -> IssueType {
        self.code
    }

    /// Where: the element's `FHIRPath` expression (`Bundle.entry[2].resource.status`).
    ///
    /// ```
    /// # use fhir_model::{Observation, Resource};
    /// let report = Resource::from(Observation::default()).validate();
    /// assert_eq!(report.issues()[0].location().as_str(), "Observation.status");
    /// ```
    pub fn location(&self) -> &FhirPath {
        &self.location
    }

    /// What is wrong, in fixed words that never quote a value.
    ///
    /// ```
    /// # use fhir_model::{Observation, Resource};
    /// let report = Resource::from(Observation::default()).validate();
    /// assert_eq!(report.issues()[0].message(), "minimum cardinality 1 not met");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    fn to_outcome_issue(&self) -> OperationOutcomeIssue {
        OperationOutcomeIssue {
            severity: Some(self.severity.code().into()),
            code: Some(self.code.code().into()),
            diagnostics: Some(self.message.to_string().into()),
            expression: vec![self.location.as_str().into()],
            ..Default::default()
        }
    }
}

impl fmt::Display for ValidationIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} at {}: {}", self.severity, self.code, self.location, self.message)
    }
}

/// Everything validation found about one resource (a Bundle with its entries), in the order
/// found.
///
/// ```
/// use fhir_model::{IssueType, Observation, Resource};
/// let report = Resource::from(Observation { status: Some("final".into()), ..Default::default() }).validate();
/// assert!(report.has_errors());
/// let errors: Vec<String> = report.errors().map(|i| format!("{} {}", i.code(), i.location())).collect();
/// assert_eq!(errors, ["required Observation.code"]);
/// // As FHIR: one OperationOutcome issue per finding.
/// let outcome = report.to_operation_outcome();
/// assert_eq!(outcome.issue[0].expression[0].as_str(), Some("Observation.code"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationReport {
    issues: Vec<ValidationIssue>,
}

impl ValidationReport {
    pub(crate) fn new(issues: Vec<ValidationIssue>) -> Self {
        ValidationReport { issues }
    }

    /// Every issue, in the order found.
    ///
    /// ```
    /// use fhir_model::{Patient, Resource};
    /// assert!(Resource::from(Patient::default()).validate().issues().is_empty());
    /// ```
    pub fn issues(&self) -> &[ValidationIssue] {
        &self.issues
    }

    /// Iterates over the issues, in the order found.
    ///
    /// ```
    /// use fhir_model::{Observation, Resource};
    /// let report = Resource::from(Observation::default()).validate();
    /// assert!(report.iter().all(|i| i.location().as_str().starts_with("Observation.")));
    /// ```
    pub fn iter(&self) -> std::slice::Iter<'_, ValidationIssue> {
        self.issues.iter()
    }

    /// Whether any issue is an error (`error` or `fatal`).
    ///
    /// ```
    /// use fhir_model::{Patient, Resource};
    /// assert!(!Resource::from(Patient::default()).validate().has_errors());
    /// ```
    pub fn has_errors(&self) -> bool {
        self.issues.iter().any(|i| i.severity.is_error())
    }

    /// The issues that are errors (`error` or `fatal`).
    ///
    /// ```
    /// use fhir_model::{Observation, Resource};
    /// let report = Resource::from(Observation::default()).validate();
    /// assert_eq!(report.errors().count(), 2); // status and code
    /// ```
    pub fn errors(&self) -> impl Iterator<Item = &ValidationIssue> + '_ {
        self.issues.iter().filter(|i| i.severity.is_error())
    }

    /// The issues, taken out of the report.
    ///
    /// ```
    /// use fhir_model::{Observation, Resource};
    /// let issues = Resource::from(Observation::default()).validate().into_issues();
    /// assert_eq!(issues.len(), 2);
    /// ```
    pub fn into_issues(self) -> Vec<ValidationIssue> {
        self.issues
    }

    /// The report as a FHIR `OperationOutcome`: one issue per finding (severity, code,
    /// diagnostics = the message, expression = the location), or when nothing was found one
    /// `information`/`informational` issue "no issues found".
    ///
    /// ```
    /// use fhir_model::{Patient, Resource};
    /// let outcome = Resource::from(Patient::default()).validate().to_operation_outcome();
    /// assert_eq!(outcome.issue.len(), 1);
    /// assert_eq!(outcome.issue[0].code.as_ref().and_then(|c| c.as_str()), Some("informational"));
    /// assert!(!outcome.has_errors());
    /// ```
    pub fn to_operation_outcome(&self) -> OperationOutcome {
        let mut issue: Vec<OperationOutcomeIssue> = self.issues.iter().map(ValidationIssue::to_outcome_issue).collect();
        if issue.is_empty() {
            issue.push(OperationOutcomeIssue {
                severity: Some("information".into()),
                code: Some("informational".into()),
                diagnostics: Some("no issues found".into()),
                ..Default::default()
            });
        }
        OperationOutcome { issue, ..Default::default() }
    }
}

impl From<ValidationReport> for OperationOutcome {
    /// Same as [`ValidationReport::to_operation_outcome`].
    fn from(report: ValidationReport) -> Self {
        report.to_operation_outcome()
    }
}

impl<'a> IntoIterator for &'a ValidationReport {
    type Item = &'a ValidationIssue;
    type IntoIter = std::slice::Iter<'a, ValidationIssue>;
    fn into_iter(self) -> Self::IntoIter {
        self.issues.iter()
    }
}

impl fmt::Display for ValidationReport {
    /// One issue per line; `no issues found` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.issues.is_empty() {
            return f.write_str("no issues found");
        }
        for (n, issue) in self.issues.iter().enumerate() {
            if n > 0 {
                f.write_char('\n')?;
            }
            write!(f, "{issue}")?;
        }
        Ok(())
    }
}
