//! Validation of typed resources into a [`ValidationReport`] (and from it an `OperationOutcome`).
//!
//! Checks cardinality (min/max), required bindings, primitive formats, that references inside
//! a Bundle resolve (and `#id` references to contained resources), and optionally what US Core
//! requires ([`crate::uscore`]). Each issue carries a `FHIRPath` expression such as
//! `Bundle.entry[2].resource.name[0].given[1]`; messages never quote a value.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::json::{Empty, PrimValue};
use crate::primitives::{is_decimal, Primitive};
use crate::report::{FhirPath, IssueSeverity, IssueType, ValidationIssue, ValidationReport};
use crate::uscore::UsCoreVersion;
use crate::valueset::ValueSet;
use crate::{CodeableConcept, Coding, OperationOutcome, Reference, Resource};

/// What to check besides the base FHIR R4 rules.
///
/// ```
/// use fhir_model::{ResourceValidationOptions, UsCoreVersion};
/// let opts = ResourceValidationOptions::default().with_us_core(UsCoreVersion::V9_0_0);
/// assert!(opts.bundle_references);
/// assert_eq!(opts.us_core, Some(UsCoreVersion::V9_0_0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResourceValidationOptions {
    /// Also check US Core mandatory elements and required bindings, for this US Core version.
    pub us_core: Option<UsCoreVersion>,
    /// Check that references inside a Bundle resolve to an entry (default true).
    pub bundle_references: bool,
}

impl ResourceValidationOptions {
    /// Also check US Core, for this version.
    #[must_use]
    pub fn with_us_core(mut self, version: UsCoreVersion) -> Self {
        self.us_core = Some(version);
        self
    }

    /// Whether to check that references inside a Bundle resolve.
    #[must_use]
    pub fn with_bundle_references(mut self, check: bool) -> Self {
        self.bundle_references = check;
        self
    }
}

impl Default for ResourceValidationOptions {
    fn default() -> Self {
        Self { us_core: None, bundle_references: true }
    }
}

/// The FHIR primitive type whose format an element must meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub(crate) enum Fmt {
    Base64Binary,
    Boolean,
    Canonical,
    Code,
    Date,
    DateTime,
    Decimal,
    Id,
    Instant,
    Integer,
    Markdown,
    Oid,
    PositiveInt,
    String,
    Time,
    UnsignedInt,
    Uri,
    Url,
    Uuid,
    Xhtml,
}

/// Checks text against the format of a string-valued FHIR primitive.
fn check_str(s: &str, fmt: Fmt) -> Result<(), &'static str> {
    let ok = match fmt {
        Fmt::String | Fmt::Markdown => !s.is_empty() && s.len() <= 1024 * 1024,
        Fmt::Code => !s.is_empty() && s.trim() == s && !s.contains("  ") && !s.contains(['\t', '\r', '\n']),
        Fmt::Id => {
            (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        }
        Fmt::Uri | Fmt::Canonical => !s.is_empty() && !s.contains(char::is_whitespace),
        Fmt::Url => s.contains(':') && !s.contains(char::is_whitespace),
        Fmt::Oid => s.strip_prefix("urn:oid:").is_some_and(is_oid),
        Fmt::Uuid => s.strip_prefix("urn:uuid:").is_some_and(is_uuid),
        Fmt::Base64Binary => is_base64(s),
        Fmt::Xhtml => s.trim_start().starts_with("<div"),
        Fmt::Decimal => is_decimal(s),
        Fmt::Date => s.parse::<crate::Date>().is_ok(),
        Fmt::DateTime => s.parse::<crate::DateTime>().is_ok(),
        Fmt::Instant => s.parse::<crate::Instant>().is_ok(),
        Fmt::Time => s.parse::<crate::Time>().is_ok(),
        Fmt::Boolean | Fmt::Integer | Fmt::PositiveInt | Fmt::UnsignedInt => true,
    };
    if ok {
        Ok(())
    } else {
        Err(fmt_message(fmt))
    }
}

fn fmt_message(fmt: Fmt) -> &'static str {
    match fmt {
        Fmt::Base64Binary => "not a valid base64Binary",
        Fmt::Boolean => "not a valid boolean",
        Fmt::Canonical => "not a valid canonical",
        Fmt::Code => "not a valid code",
        Fmt::Date => "not a valid date",
        Fmt::DateTime => "not a valid dateTime",
        Fmt::Decimal => "not a valid decimal",
        Fmt::Id => "not a valid id",
        Fmt::Instant => "not a valid instant",
        Fmt::Integer => "not a valid integer",
        Fmt::Markdown => "not a valid markdown",
        Fmt::Oid => "not a valid oid",
        Fmt::PositiveInt => "not a valid positiveInt",
        Fmt::String => "not a valid string (empty or too long)",
        Fmt::Time => "not a valid time",
        Fmt::UnsignedInt => "not a valid unsignedInt",
        Fmt::Uri => "not a valid uri",
        Fmt::Url => "not a valid url",
        Fmt::Uuid => "not a valid uuid",
        Fmt::Xhtml => "not a valid xhtml div",
    }
}

fn is_oid(s: &str) -> bool {
    let mut parts = s.split('.');
    matches!(parts.next(), Some("0" | "1" | "2"))
        && s.contains('.')
        && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p == "0" || !p.starts_with('0')))
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_base64(s: &str) -> bool {
    let body: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let pad = body.iter().rev().take_while(|&&b| b == b'=').count();
    body.len() % 4 == 0
        && pad <= 2
        && body[..body.len() - pad].iter().all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

impl PrimValue for String {
    fn is_blank(&self) -> bool {
        self.is_empty()
    }
    fn check(&self, fmt: Fmt) -> Result<(), &'static str> {
        check_str(self, fmt)
    }
    fn as_code(&self) -> Option<&str> {
        Some(self)
    }
}

impl PrimValue for bool {
    fn check(&self, _: Fmt) -> Result<(), &'static str> {
        Ok(())
    }
}

impl PrimValue for i32 {
    fn check(&self, fmt: Fmt) -> Result<(), &'static str> {
        let ok = match fmt {
            Fmt::PositiveInt => *self > 0,
            Fmt::UnsignedInt => *self >= 0,
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(fmt_message(fmt))
        }
    }
}

macro_rules! lexical_prim {
    ($($t:ty),*) => {$(
        impl PrimValue for $t {
            fn check(&self, fmt: Fmt) -> Result<(), &'static str> {
                if self.is_valid() { Ok(()) } else { Err(fmt_message(fmt)) }
            }
        }
    )*};
}
lexical_prim!(crate::Decimal, crate::Date, crate::DateTime, crate::Instant, crate::Time);

/// A generated type that can check itself.
pub(crate) trait Validate {
    fn validate_into(&self, cx: &mut Ctx<'_>);
}

/// Codings that a required binding applies to.
pub(crate) trait Coded {
    /// Whether the coded value is in the value set.
    fn in_value_set(&self, vs: &ValueSet) -> bool;
}

impl Coded for Coding {
    fn in_value_set(&self, vs: &ValueSet) -> bool {
        match (self.system.as_ref().and_then(Primitive::as_str), self.code.as_ref().and_then(Primitive::as_str)) {
            (Some(system), Some(code)) => vs.contains(system, code),
            _ => false,
        }
    }
}

impl Coded for CodeableConcept {
    fn in_value_set(&self, vs: &ValueSet) -> bool {
        self.coding.iter().any(|c| c.in_value_set(vs))
    }
}

/// What references inside a Bundle may resolve to, indexed so that each lookup costs the same
/// however many entries the Bundle has (a Bundle of n entries each with an unresolvable reference
/// must not take n² comparisons).
struct BundleRefs {
    full_urls: HashSet<String>,
    /// `Type/id` of every entry resource with an id.
    typed_ids: HashSet<String>,
    /// The last two segments (`Type/id`) of every full URL that has a `/` before them.
    url_tails: HashSet<String>,
}

/// The last two `/`-separated segments of `url`, when a `/` precedes them: `Patient/p` for
/// `http://x/fhir/Patient/p`; `None` for `Patient/p` or `urn:uuid:1`.
fn url_tail(url: &str) -> Option<&str> {
    let last = url.rfind('/')?;
    let before = url.get(..last)?.rfind('/')?;
    url.get(before + 1..)
}

impl BundleRefs {
    fn of(bundle: &crate::Bundle) -> Self {
        let mut refs = BundleRefs { full_urls: HashSet::new(), typed_ids: HashSet::new(), url_tails: HashSet::new() };
        for e in &bundle.entry {
            if let Some(u) = e.full_url.as_ref().and_then(Primitive::as_str) {
                refs.full_urls.insert(u.to_string());
                if let Some(tail) = url_tail(u) {
                    refs.url_tails.insert(tail.to_string());
                }
            }
            if let Some(r) = &e.resource {
                if let Some(id) = r.id() {
                    refs.typed_ids.insert(format!("{}/{id}", r.resource_type()));
                }
            }
        }
        refs
    }

    /// `None` when resolved; otherwise the severity to report with.
    fn unresolved(&self, reference: &str) -> Option<IssueSeverity> {
        if self.full_urls.contains(reference) {
            return None;
        }
        let without_history = reference.split("/_history/").next().unwrap_or(reference);
        let mut tail = without_history.rsplitn(3, '/');
        let (id, ty) = (tail.next().unwrap_or(""), tail.next().unwrap_or(""));
        let typed = format!("{ty}/{id}");
        // `typed` is two slash-free segments, so a full URL ends with `/{typed}` exactly when its
        // tail is `typed`.
        if self.typed_ids.contains(&typed) || self.url_tails.contains(&typed) {
            return None;
        }
        // Absolute URLs may point at a server outside the Bundle.
        if reference.contains("://") {
            Some(IssueSeverity::Warning)
        } else {
            Some(IssueSeverity::Error)
        }
    }
}

/// The state of one validation run.
pub(crate) struct Ctx<'o> {
    path: FhirPath,
    issues: Vec<ValidationIssue>,
    options: &'o ResourceValidationOptions,
    /// Ids of contained resources, one list per resource being validated (innermost last).
    contained: Vec<HashSet<String>>,
    refs: Option<(usize, BundleRefs)>,
}

impl<'o> Ctx<'o> {
    fn new(root: &str, options: &'o ResourceValidationOptions) -> Self {
        Ctx { path: FhirPath::new(root), issues: Vec::new(), options, contained: Vec::new(), refs: None }
    }

    pub(crate) fn path(&self) -> &FhirPath {
        &self.path
    }

    /// Reports an issue at the current path.
    pub(crate) fn issue(&mut self, severity: IssueSeverity, code: IssueType, message: impl Into<Cow<'static, str>>) {
        self.issues.push(ValidationIssue::new(severity, code, self.path.clone(), message));
    }

    /// Reports an issue at `location`.
    pub(crate) fn issue_at(
        &mut self,
        location: FhirPath,
        severity: IssueSeverity,
        code: IssueType,
        message: impl Into<Cow<'static, str>>,
    ) {
        self.issues.push(ValidationIssue::new(severity, code, location, message));
    }

    fn at(&mut self, name: &str) -> usize {
        let mark = self.path.mark();
        self.path.push_element(name);
        mark
    }

    fn index(&mut self, i: usize) {
        self.path.push_index(i);
    }

    fn back(&mut self, mark: usize) {
        self.path.truncate(mark);
    }

    fn missing(&mut self, name: &str, min: u32) {
        let l = self.at(name);
        self.issue(IssueSeverity::Error, IssueType::Required, cardinality_message(min));
        self.back(l);
    }

    fn count(&mut self, name: &str, count: usize, min: u32, max: u32) {
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        if count < min {
            self.missing(name, min);
        } else if count > max {
            let l = self.at(name);
            self.issue(
                IssueSeverity::Error,
                IssueType::Structure,
                format!("maximum cardinality {max} exceeded ({count} items)"),
            );
            self.back(l);
        }
    }

    fn prim_value<T: PrimValue>(&mut self, p: &Primitive<T>, fmt: Fmt, binding: Option<&ValueSet>) {
        if let Some(v) = &p.value {
            if let Err(why) = v.check(fmt) {
                self.issue(IssueSeverity::Error, IssueType::Value, why);
            } else if let (Some(vs), Some(code)) = (binding, v.as_code()) {
                if !vs.contains_code(code) {
                    self.issue(
                        IssueSeverity::Error,
                        IssueType::CodeInvalid,
                        format!("code is not in the required value set {}", vs.url),
                    );
                }
            }
        }
        if let Some(e) = &p.element {
            e.validate_into(self);
        }
    }

    pub(crate) fn plain(&mut self, name: &str, v: Option<&str>, min: u32, fmt: Fmt) {
        match v {
            None if min > 0 => self.missing(name, min),
            Some(s) => {
                if let Err(why) = check_str(s, fmt) {
                    let l = self.at(name);
                    self.issue(IssueSeverity::Error, IssueType::Value, why);
                    self.back(l);
                }
            }
            None => {}
        }
    }

    pub(crate) fn prim<T: PrimValue>(
        &mut self,
        name: &str,
        v: Option<&Primitive<T>>,
        min: u32,
        fmt: Fmt,
        binding: Option<&ValueSet>,
    ) {
        let Some(p) = v.filter(|p| !p.is_empty()) else {
            if min > 0 {
                self.missing(name, min);
            }
            return;
        };
        let l = self.at(name);
        self.prim_value(p, fmt, binding);
        self.back(l);
    }

    pub(crate) fn prims<T: PrimValue>(
        &mut self,
        name: &str,
        v: &[Primitive<T>],
        min: u32,
        max: u32,
        fmt: Fmt,
        binding: Option<&ValueSet>,
    ) {
        self.count(name, v.iter().filter(|p| !p.is_empty()).count(), min, max);
        for (i, p) in v.iter().enumerate() {
            let l = self.at(name);
            self.index(i);
            self.prim_value(p, fmt, binding);
            self.back(l);
        }
    }

    pub(crate) fn one<T: Validate + Empty + ?Sized>(&mut self, name: &str, v: Option<&T>, min: u32) {
        match v.filter(|x| !x.is_empty()) {
            Some(x) => {
                let l = self.at(name);
                x.validate_into(self);
                self.back(l);
            }
            None if min > 0 => self.missing(name, min),
            None => {}
        }
    }

    pub(crate) fn one_bound<T: Validate + Empty + Coded>(
        &mut self,
        name: &str,
        v: Option<&T>,
        min: u32,
        binding: Option<&ValueSet>,
    ) {
        self.one(name, v, min);
        if let (Some(x), Some(vs)) = (v.filter(|x| !x.is_empty()), binding) {
            let l = self.at(name);
            self.binding(x, vs);
            self.back(l);
        }
    }

    fn binding<T: Coded>(&mut self, x: &T, vs: &ValueSet) {
        if !x.in_value_set(vs) {
            self.issue(
                IssueSeverity::Error,
                IssueType::CodeInvalid,
                format!("no coding from the required value set {}", vs.url),
            );
        }
    }

    pub(crate) fn many<T: Validate + Empty>(&mut self, name: &str, v: &[T], min: u32, max: u32) {
        self.count(name, v.iter().filter(|x| !x.is_empty()).count(), min, max);
        for (i, x) in v.iter().enumerate() {
            let l = self.at(name);
            self.index(i);
            x.validate_into(self);
            self.back(l);
        }
    }

    // Emitted by the generator for a repeating coded element with a required binding (none in R4 today).
    #[allow(dead_code)]
    pub(crate) fn many_bound<T: Validate + Empty + Coded>(
        &mut self,
        name: &str,
        v: &[T],
        min: u32,
        max: u32,
        binding: Option<&ValueSet>,
    ) {
        self.many(name, v, min, max);
        if let Some(vs) = binding {
            for (i, x) in v.iter().enumerate().filter(|(_, x)| !x.is_empty()) {
                let l = self.at(name);
                self.index(i);
                self.binding(x, vs);
                self.back(l);
            }
        }
    }

    pub(crate) fn choice<E: Validate + Empty>(&mut self, name: &str, v: Option<&E>, min: u32) {
        self.one(name, v, min);
    }

    pub(crate) fn variant<T: Validate + ?Sized>(&mut self, fhir_type: &str, v: &T) {
        let l = self.path.mark();
        self.path.push_of_type(fhir_type);
        v.validate_into(self);
        self.back(l);
    }

    pub(crate) fn variant_prim<T: PrimValue>(&mut self, fhir_type: &str, p: &Primitive<T>, fmt: Fmt) {
        let l = self.path.mark();
        self.path.push_of_type(fhir_type);
        self.prim_value(p, fmt, None);
        self.back(l);
    }

    pub(crate) fn enter_resource(&mut self, r: &Resource) {
        self.contained.push(r.contained().iter().filter_map(|c| c.id().map(str::to_string)).collect());
        if let (Resource::Bundle(b), None, true) = (r, &self.refs, self.options.bundle_references) {
            self.refs = Some((self.contained.len(), BundleRefs::of(b)));
        }
        if let Some(version) = self.options.us_core {
            crate::uscore::check(r, version, self);
        }
    }

    pub(crate) fn exit_resource(&mut self) {
        if self.refs.as_ref().is_some_and(|(depth, _)| *depth == self.contained.len()) {
            self.refs = None;
        }
        self.contained.pop();
    }

    pub(crate) fn reference(&mut self, r: &Reference) {
        let Some(target) = r.reference.as_ref().and_then(Primitive::as_str) else { return };
        if let Some(local) = target.strip_prefix('#') {
            let found = local.is_empty() || self.contained.last().is_some_and(|ids| ids.contains(local));
            if !found {
                let l = self.at("reference");
                self.issue(IssueSeverity::Error, IssueType::NotFound, "no contained resource has this id");
                self.back(l);
            }
            return;
        }
        let unresolved = self.refs.as_ref().and_then(|(_, refs)| refs.unresolved(target));
        if let Some(severity) = unresolved {
            let l = self.at("reference");
            self.issue(severity, IssueType::NotFound, "reference does not resolve to an entry of the Bundle");
            self.back(l);
        }
    }
}

/// The message of a minimum cardinality issue (static for the usual minimum of 1).
pub(crate) fn cardinality_message(min: u32) -> Cow<'static, str> {
    if min == 1 {
        Cow::Borrowed("minimum cardinality 1 not met")
    } else {
        Cow::Owned(format!("minimum cardinality {min} not met"))
    }
}

/// Validates a resource (a Bundle with all its entries) into a [`ValidationReport`].
///
/// ```
/// use fhir_model::{validate_resource, IssueType, Observation, Resource, ResourceValidationOptions};
/// // Observation.status and Observation.code are mandatory.
/// let obs = Resource::from(Observation { status: Some("final".into()), ..Default::default() });
/// let report = validate_resource(&obs, &ResourceValidationOptions::default());
/// assert!(report.has_errors());
/// let issue = &report.issues()[0];
/// assert_eq!(issue.code(), IssueType::Required);
/// assert_eq!(issue.location().to_string(), "Observation.code");
/// // The same as a FHIR OperationOutcome.
/// let outcome = report.to_operation_outcome();
/// assert_eq!(outcome.issue[0].code.as_ref().and_then(|c| c.as_str()), Some("required"));
/// assert_eq!(outcome.issue[0].expression[0].as_str(), Some("Observation.code"));
/// ```
pub fn validate_resource(resource: &Resource, options: &ResourceValidationOptions) -> ValidationReport {
    let mut cx = Ctx::new(resource.resource_type(), options);
    resource.validate_into(&mut cx);
    ValidationReport::new(cx.issues)
}

impl Resource {
    /// Reads a resource from FHIR JSON (see [`crate::from_json_slice`]).
    ///
    /// ```
    /// use fhir_model::{ReadMode, Resource};
    /// let r = Resource::from_json(br#"{"resourceType":"Observation","status":"final","code":{"text":"x"}}"#, ReadMode::Strict).unwrap();
    /// assert_eq!(r.resource_type(), "Observation");
    /// ```
    pub fn from_json(bytes: &[u8], mode: crate::ReadMode) -> Result<Resource, crate::JsonError> {
        crate::from_json_slice(bytes, mode)
    }

    /// Writes the resource as compact FHIR JSON.
    pub fn to_json(&self) -> Result<Vec<u8>, crate::JsonError> {
        crate::to_json_vec(self)
    }

    /// Writes the resource as indented FHIR JSON.
    pub fn to_json_pretty(&self) -> Result<String, crate::JsonError> {
        crate::to_json_pretty(self)
    }

    /// Validates with the default options (see [`validate_resource`]).
    ///
    /// ```
    /// use fhir_model::{Patient, Resource};
    /// assert!(!Resource::from(Patient::default()).validate().has_errors());
    /// ```
    pub fn validate(&self) -> ValidationReport {
        validate_resource(self, &ResourceValidationOptions::default())
    }
}

impl OperationOutcome {
    /// Whether any issue has severity `error` or `fatal`.
    pub fn has_errors(&self) -> bool {
        self.issue.iter().any(|i| matches!(i.severity.as_ref().and_then(Primitive::as_str), Some("error" | "fatal")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_formats() {
        assert!(check_str("abc-1.2", Fmt::Id).is_ok());
        assert!(check_str("a_b", Fmt::Id).is_err());
        assert!(check_str(&"x".repeat(65), Fmt::Id).is_err());
        assert!(check_str("urn:oid:2.16.840.1", Fmt::Oid).is_ok());
        assert!(check_str("urn:oid:3.1", Fmt::Oid).is_err());
        assert!(check_str("urn:uuid:c757873d-ec9a-4326-a141-556f43239520", Fmt::Uuid).is_ok());
        assert!(check_str("urn:uuid:c757873d", Fmt::Uuid).is_err());
        assert!(check_str("a b", Fmt::Uri).is_err());
        assert!(check_str(" x", Fmt::Code).is_err());
        assert!(check_str("a b", Fmt::Code).is_ok());
        assert!(check_str("aGVsbG8=", Fmt::Base64Binary).is_ok());
        assert!(check_str("aGVsbG8", Fmt::Base64Binary).is_err());
        assert!(check_str("", Fmt::String).is_err());
    }

    /// The indexed lookup answers exactly what a scan of every full URL with `ends_with` did.
    #[test]
    fn url_tails_match_a_suffix_scan() {
        let urls = [
            "http://x/fhir/Patient/p",
            "x/Patient/p",
            "/Patient/p",
            "Patient/p",
            "urn:uuid:1",
            "http://x//p",
            "a/p",
            "http://x/fhir/Patient/p/_history/2",
            "",
            "/",
            "//",
        ];
        let references =
            ["Patient/p", "p", "http://y/Patient/p", "Patient/p/_history/1", "Observation/p", "/p", "", "_history/2"];
        for reference in references {
            let without_history = reference.split("/_history/").next().unwrap_or(reference);
            let mut tail = without_history.rsplitn(3, '/');
            let (id, ty) = (tail.next().unwrap_or(""), tail.next().unwrap_or(""));
            let typed = format!("{ty}/{id}");
            for url in urls {
                assert_eq!(
                    url_tail(url) == Some(typed.as_str()),
                    url.ends_with(&format!("/{typed}")),
                    "{url} {reference}"
                );
            }
        }
    }
}
