//! Code tables of the value sets that the generated types bind as `required`.

/// An expanded value set, compiled into the crate.
///
/// ```
/// let vs = fhir_model::valueset::by_url("http://hl7.org/fhir/ValueSet/administrative-gender").unwrap();
/// assert!(vs.contains_code("female"));
/// assert!(!vs.contains_code("f"));
/// assert!(vs.contains("http://hl7.org/fhir/administrative-gender", "male"));
/// ```
#[derive(Debug)]
pub struct ValueSet {
    /// Canonical URL.
    pub url: &'static str,
    /// The code systems it draws from.
    pub systems: &'static [SystemCodes],
}

/// The codes a value set takes from one code system.
#[derive(Debug)]
pub struct SystemCodes {
    /// Code system URL.
    pub system: &'static str,
    /// True when every code of the system is accepted (external systems such as
    /// BCP-13 mime types or ISO 4217 currencies, which the definitions do not enumerate).
    pub open: bool,
    /// The codes, sorted.
    pub codes: &'static [&'static str],
}

impl SystemCodes {
    fn has(&self, code: &str) -> bool {
        self.open || self.codes.binary_search(&code).is_ok()
    }
}

impl ValueSet {
    /// Whether `code` is in the value set, from any of its systems (for `code` elements,
    /// whose system is implied).
    pub fn contains_code(&self, code: &str) -> bool {
        self.systems.iter().any(|s| s.has(code))
    }

    /// Whether `system`|`code` is in the value set.
    pub fn contains(&self, system: &str, code: &str) -> bool {
        self.systems.iter().any(|s| s.system == system && s.has(code))
    }
}

/// The compiled value set with this canonical URL (without `|version`).
pub fn by_url(url: &str) -> Option<&'static ValueSet> {
    crate::generated::valuesets::ALL.iter().copied().find(|v| v.url == url)
}
