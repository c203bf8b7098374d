//! Small constructors for the datatypes written most often. Everything else is built with
//! `Default` and struct update (see the crate example).

use crate::{
    Bundle, BundleEntry, CodeableConcept, Coding, Decimal, Extension, ExtensionValue, Identifier, Quantity, Reference,
    Resource,
};

impl Coding {
    /// A coding from `system` with `code`.
    ///
    /// ```
    /// use fhir_model::Coding;
    /// let c = Coding::new("http://loinc.org", "718-7").with_display("Hemoglobin");
    /// assert_eq!(c.code.as_ref().and_then(|p| p.as_str()), Some("718-7"));
    /// assert_eq!(c.display.as_ref().and_then(|p| p.as_str()), Some("Hemoglobin"));
    /// ```
    pub fn new(system: impl Into<String>, code: impl Into<String>) -> Self {
        Coding { system: Some(system.into().into()), code: Some(code.into().into()), ..Default::default() }
    }

    /// The same coding with a display text.
    #[must_use]
    pub fn with_display(mut self, display: impl Into<String>) -> Self {
        self.display = Some(display.into().into());
        self
    }
}

impl From<Coding> for CodeableConcept {
    /// A concept with one coding.
    ///
    /// ```
    /// use fhir_model::{CodeableConcept, Coding};
    /// let cc = CodeableConcept::from(Coding::new("http://loinc.org", "718-7"));
    /// assert_eq!(cc.coding.len(), 1);
    /// ```
    fn from(coding: Coding) -> Self {
        CodeableConcept { coding: vec![coding], ..Default::default() }
    }
}

impl CodeableConcept {
    /// A concept given only as text.
    ///
    /// ```
    /// let cc = fhir_model::CodeableConcept::text("Hemoglobin");
    /// assert_eq!(cc.text.as_ref().and_then(|p| p.as_str()), Some("Hemoglobin"));
    /// ```
    pub fn text(text: impl Into<String>) -> Self {
        CodeableConcept { text: Some(text.into().into()), ..Default::default() }
    }
}

impl Identifier {
    /// An identifier `value` issued in namespace `system`.
    ///
    /// ```
    /// let id = fhir_model::Identifier::new("urn:oid:2.16.840.1.113883.19.5", "12345");
    /// assert_eq!(id.value.as_ref().and_then(|p| p.as_str()), Some("12345"));
    /// ```
    pub fn new(system: impl Into<String>, value: impl Into<String>) -> Self {
        Identifier { system: Some(system.into().into()), value: Some(value.into().into()), ..Default::default() }
    }
}

impl Reference {
    /// A literal reference (`"Patient/123"`, `"urn:uuid:…"`, `"#contained-id"`).
    ///
    /// ```
    /// let r = fhir_model::Reference::new("Patient/123");
    /// assert_eq!(r.reference.as_ref().and_then(|p| p.as_str()), Some("Patient/123"));
    /// ```
    pub fn new(reference: impl Into<String>) -> Self {
        Reference { reference: Some(reference.into().into()), ..Default::default() }
    }

    /// A relative reference `Type/id` to a resource that has an id.
    ///
    /// ```
    /// use fhir_model::{Patient, Reference, Resource};
    /// let p = Resource::from(Patient { id: Some("p1".into()), ..Default::default() });
    /// assert_eq!(Reference::to(&p).unwrap().reference.unwrap().as_str(), Some("Patient/p1"));
    /// ```
    pub fn to(resource: &Resource) -> Option<Self> {
        resource.id().map(|id| Self::new(format!("{}/{id}", resource.resource_type())))
    }
}

impl Quantity {
    /// A UCUM quantity: `value` in `unit` (the UCUM code doubles as the display unit).
    ///
    /// ```
    /// use fhir_model::{Decimal, Quantity};
    /// let q = Quantity::ucum("13.40".parse::<Decimal>().unwrap(), "g/dL");
    /// assert_eq!(fhir_model::to_json_string(&q).unwrap(),
    ///     r#"{"value":13.40,"unit":"g/dL","system":"http://unitsofmeasure.org","code":"g/dL"}"#);
    /// ```
    pub fn ucum(value: Decimal, unit: &str) -> Self {
        Quantity {
            value: Some(value.into()),
            unit: Some(unit.into()),
            system: Some("http://unitsofmeasure.org".into()),
            code: Some(unit.into()),
            ..Default::default()
        }
    }
}

impl Extension {
    /// An extension `url` with a value.
    ///
    /// ```
    /// use fhir_model::{Extension, ExtensionValue};
    /// let e = Extension::new("http://example.org/ext", ExtensionValue::String("x".into()));
    /// assert_eq!(fhir_model::to_json_string(&e).unwrap(), r#"{"url":"http://example.org/ext","valueString":"x"}"#);
    /// ```
    pub fn new(url: impl Into<String>, value: ExtensionValue) -> Self {
        Extension { url: Some(url.into()), value: Some(value), ..Default::default() }
    }
}

impl Bundle {
    /// An empty Bundle of the given `type` (`"collection"`, `"message"`, `"transaction"`…).
    ///
    /// ```
    /// use fhir_model::{Bundle, Patient};
    /// let mut b = Bundle::of_type("collection");
    /// b.push(Patient { id: Some("p1".into()), ..Default::default() });
    /// assert_eq!(b.entry[0].full_url.as_ref().and_then(|u| u.as_str()), Some("Patient/p1"));
    /// ```
    pub fn of_type(bundle_type: &str) -> Self {
        Bundle { type_: Some(bundle_type.into()), ..Default::default() }
    }

    /// Adds an entry; its `fullUrl` is `Type/id` when the resource has an id.
    pub fn push(&mut self, resource: impl Into<Resource>) {
        let resource = resource.into();
        let full_url = resource.id().map(|id| format!("{}/{id}", resource.resource_type()).into());
        self.entry.push(BundleEntry { full_url, resource: Some(resource), ..Default::default() });
    }
}
