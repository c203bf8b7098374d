//! The audit record of a conversion: a FHIR R4 `AuditEvent` saying who sent the message to whom,
//! which patient it was about, which v2 fields were read and whether the conversion went well —
//! the record of PHI access an audit under HIPAA §164.312(b) asks for.
//!
//! Codes chosen (from the R4 value sets of `AuditEvent`; all bindings but `action` and `outcome`
//! are extensible):
//!
//! | element | code | why |
//! |---|---|---|
//! | `type` | `http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle#transform` "Transform/Translate Record Lifecycle Event" | in the `audit-event-type` value set; the event *is* a translation of a record from v2 to FHIR (DICOM `110106` Export / `110107` Import describe moving instances between systems, not changing their form) |
//! | `subtype` | none | the `audit-event-sub-type` codes are DICOM application events and `RESTful` interactions; none fits |
//! | `action` | `E` Execute | a system function run over the message (it neither creates records in a store nor reads one: the caller stores the output) |
//! | `outcome` | `0` Success, `4` Minor failure | `4` when the conversion reported issues (something was not mapped as written); `outcomeDesc` counts them |
//! | `agent` | DICOM `110153` Source Role ID (MSH-3/MSH-4, the requestor), `110152` Destination Role ID (MSH-5/MSH-6), `110150` Application (hl7rs) | the `participation-role-type` value set's DICOM codes, as IHE ATNA uses them |
//! | `source.type` | `security-source-type#4` Application Server | hl7rs runs as a process of an application |
//! | `entity` | the patient (`audit-entity-type#1` Person, `object-role#1` Patient, `what.identifier` = the Patient's first identifier, which comes from `PID-3[1]`); the v2 message (`#2` System Object, `what.identifier` = MSH-10, one `detail` per v2 field read: `type` `v2-field`, `valueString` `PID-5`); the Bundle produced (`resource-types#Bundle`, `what.identifier` = its `urn:uuid:` id, `lifecycle` `transform`) | |
//!
//! `recorded` is the time given by the caller, else MSH-7 when it is an instant (date, time and
//! zone); never the clock. Without either there is no `AuditEvent` (`recorded` is required).
//!
//! ```
//! use hl7_core::Message;
//! use hl7_map::engine::{ConvertOptions, Engine};
//!
//! let msg = Message::parse(b"MSH|^~\\&|APP|FAC|RCV|RFAC|20240131093000-0500||ADT^A01|42|P|2.5.1\rPID|1||123^^^H^MR||Doe^Jane||19800101|F\r")?;
//! let out = Engine::builtin()?.convert_with(&msg, ConvertOptions { audit: true, ..Default::default() })?;
//! let audit = out.audit.unwrap();
//! assert_eq!(audit.recorded.as_ref().and_then(|r| r.value()).unwrap().as_str(), "2024-01-31T09:30:00-05:00");
//! assert!(!fhir_model::Resource::from(audit.clone()).validate().has_errors());
//! let fields: Vec<_> = audit.entity[1].detail.iter().filter_map(|d| match &d.value {
//!     Some(fhir_model::AuditEventEntityDetailValue::String(s)) => s.as_str(),
//!     _ => None,
//! }).collect();
//! assert!(fields.contains(&"PID-5"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;

use fhir_model::{
    AuditEvent, AuditEventAgent, AuditEventEntity, AuditEventEntityDetail, AuditEventEntityDetailValue,
    AuditEventSource, Bundle, CodeableConcept, Coding, Identifier, Instant, Reference, Resource,
};
use hl7_core::types::Dtm;
use hl7_core::Message;
use hl7_messaging::text::TextDecoder;

use crate::datatypes::{MissingZone, ToFhirDateTime};
use crate::engine::{LineageEntry, MapIssue};

const DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";

/// The `AuditEvent` of one conversion: the message, the Bundle made from it, the lineage recorded
/// (its v2 fields become the data elements read; none without lineage) and the issues. `recorded`
/// is the time of the conversion as a FHIR instant; `None` takes MSH-7 when it is an instant.
/// `None` when there is no valid time.
///
/// ```
/// use hl7_core::Message;
/// use hl7_map::audit::audit_event;
///
/// let msg = Message::parse(b"MSH|^~\\&|APP|FAC|||20240131||ADT^A01|42|P|2.5.1\r")?;
/// let bundle = fhir_model::Bundle::default();
/// // MSH-7 has no time: without a time given there is no record.
/// assert!(audit_event(&msg, &bundle, &[], &[], None).is_none());
/// let audit = audit_event(&msg, &bundle, &[], &[], Some("2024-02-01T10:00:00Z")).unwrap();
/// assert_eq!(audit.outcome.as_ref().and_then(|o| o.as_str()), Some("0"));
/// assert_eq!(audit.agent[0].who.as_ref().and_then(|w| w.display.as_ref()).and_then(|d| d.as_str()), Some("APP (FAC)"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn audit_event(
    msg: &Message<'_>,
    bundle: &Bundle,
    lineage: &[LineageEntry],
    issues: &[MapIssue],
    recorded: Option<&str>,
) -> Option<AuditEvent> {
    let decoder = TextDecoder::new(msg);
    let text =
        |p: &str| msg.query(p).ok().flatten().map(|v| decoder.value(v).trim().to_owned()).filter(|t| !t.is_empty());
    let recorded = match recorded {
        Some(r) => r.parse::<Instant>().ok()?,
        None => msh7_instant(msg, &decoder)?,
    };
    let agent = |role: (&str, &str), app: &str, facility: &str, requestor: bool| AuditEventAgent {
        type_: Some(concept(DCM, role.0, role.1)),
        who: Some(Box::new(system_reference(&text, app, facility))),
        requestor: Some(requestor.into()),
        ..Default::default()
    };
    let hl7rs = Reference { display: Some("hl7rs".into()), ..Default::default() };
    let mut entity = Vec::new();
    if let Some(id) = first_patient_identifier(bundle) {
        entity.push(AuditEventEntity {
            what: Some(Box::new(Reference { identifier: Some(Box::new(id)), ..Default::default() })),
            type_: Some(Box::new(coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person"))),
            role: Some(Box::new(coding("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient"))),
            ..Default::default()
        });
    }
    let fields: BTreeSet<String> = lineage.iter().map(field_key).collect();
    let structure = [text("MSH-9.1"), text("MSH-9.2")].into_iter().flatten().collect::<Vec<_>>().join("^");
    entity.push(AuditEventEntity {
        what: text("MSH-10").map(|control| {
            Box::new(Reference {
                identifier: Some(Box::new(Identifier { value: Some(control.as_str().into()), ..Default::default() })),
                ..Default::default()
            })
        }),
        type_: Some(Box::new(coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2", "System Object"))),
        description: Some(format!("HL7 v2 message {structure}").trim_end().into()),
        detail: fields
            .into_iter()
            .map(|f| AuditEventEntityDetail {
                type_: Some("v2-field".into()),
                value: Some(AuditEventEntityDetailValue::String(f.as_str().into())),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    });
    if let Some(id) = bundle.id.as_deref() {
        entity.push(AuditEventEntity {
            what: Some(Box::new(Reference {
                identifier: Some(Box::new(Identifier {
                    system: Some("urn:ietf:rfc:3986".into()),
                    value: Some(format!("urn:uuid:{id}").as_str().into()),
                    ..Default::default()
                })),
                ..Default::default()
            })),
            type_: Some(Box::new(coding("http://hl7.org/fhir/resource-types", "Bundle", "Bundle"))),
            lifecycle: Some(Box::new(lifecycle_transform())),
            ..Default::default()
        });
    }
    Some(AuditEvent {
        id: Some(derived_id(bundle.id.as_deref().unwrap_or_default(), recorded.as_str())),
        type_: Some(Box::new(lifecycle_transform())),
        action: Some("E".into()),
        recorded: Some(recorded.into()),
        outcome: Some(if issues.is_empty() { "0" } else { "4" }.into()),
        outcome_desc: (!issues.is_empty()).then(|| format!("{} mapping issue(s)", issues.len()).as_str().into()),
        agent: vec![
            agent(("110153", "Source Role ID"), "MSH-3", "MSH-4", true),
            agent(("110152", "Destination Role ID"), "MSH-5", "MSH-6", false),
            AuditEventAgent {
                type_: Some(concept(DCM, "110150", "Application")),
                who: Some(Box::new(hl7rs.clone())),
                requestor: Some(false.into()),
                ..Default::default()
            },
        ],
        source: Some(Box::new(AuditEventSource {
            observer: Some(Box::new(hl7rs)),
            type_: vec![coding(
                "http://terminology.hl7.org/CodeSystem/security-source-type",
                "4",
                "Application Server",
            )],
            ..Default::default()
        })),
        entity,
        ..Default::default()
    })
}

/// A UUID-shaped id from the Bundle's id and the time (FNV-1a, two seeds): the same conversion at
/// the same time gives the same id.
fn derived_id(bundle: &str, recorded: &str) -> String {
    let hash = |seed: u64| {
        let mut h = seed;
        for b in bundle.bytes().chain([0x1f]).chain(recorded.bytes()).chain(*b"\x1fAuditEvent") {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    };
    let (a, b) = (hash(0xcbf2_9ce4_8422_2325), hash(0x8422_2325_cbf2_9ce4));
    let hex = format!("{a:016x}{b:016x}");
    let part = |r: std::ops::Range<usize>| hex.get(r).unwrap_or_default().to_owned();
    format!("{}-{}-{}-{}-{}", part(0..8), part(8..12), part(12..16), part(16..20), part(20..32))
}

/// `PID-5` for a lineage entry read from `PID[2]-5[1].1`.
fn field_key(l: &LineageEntry) -> String {
    let id = std::str::from_utf8(l.source.segment()).unwrap_or("???");
    match l.source.field_number() {
        Some(f) => format!("{id}-{f}"),
        None => id.to_owned(),
    }
}

/// An application (HD) and its facility (HD) as a Reference: the identifier from the application's
/// universal id (`urn:oid:` for ISO) or namespace id, the display `APP (FACILITY)`.
fn system_reference(text: &impl Fn(&str) -> Option<String>, app: &str, facility: &str) -> Reference {
    let (namespace, universal, kind) =
        (text(&format!("{app}.1")), text(&format!("{app}.2")), text(&format!("{app}.3")));
    let identifier = match (universal, kind.as_deref()) {
        (Some(u), Some("ISO")) => Some(Identifier {
            system: Some("urn:ietf:rfc:3986".into()),
            value: Some(format!("urn:oid:{u}").as_str().into()),
            ..Default::default()
        }),
        (Some(u), _) => Some(Identifier { value: Some(u.as_str().into()), ..Default::default() }),
        (None, _) => namespace.as_ref().map(|n| Identifier { value: Some(n.as_str().into()), ..Default::default() }),
    };
    let facility = text(&format!("{facility}.1")).or_else(|| text(&format!("{facility}.2")));
    let display = match (namespace, facility) {
        (Some(a), Some(f)) => Some(format!("{a} ({f})")),
        (Some(a), None) => Some(a),
        (None, Some(f)) => Some(format!("({f})")),
        (None, None) => None,
    };
    Reference {
        identifier: identifier.map(Box::new),
        display: display.map(|d| d.as_str().into()),
        ..Default::default()
    }
}

/// The first identifier of the first Patient in the Bundle (mapped from PID-3[1]).
fn first_patient_identifier(bundle: &Bundle) -> Option<Identifier> {
    bundle.entry.iter().find_map(|e| match &e.resource {
        Some(Resource::Patient(p)) => p.identifier.first().cloned(),
        _ => None,
    })
}

fn lifecycle_transform() -> Coding {
    coding(
        "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle",
        "transform",
        "Transform/Translate Record Lifecycle Event",
    )
}

fn coding(system: &str, code: &str, display: &str) -> Coding {
    Coding { system: Some(system.into()), code: Some(code.into()), display: Some(display.into()), ..Default::default() }
}

fn concept(system: &str, code: &str, display: &str) -> CodeableConcept {
    CodeableConcept { coding: vec![coding(system, code, display)], ..Default::default() }
}

/// MSH-7 as an instant, when it has a date, a time with seconds or less, and a zone.
fn msh7_instant(msg: &Message<'_>, decoder: &TextDecoder) -> Option<Instant> {
    let v = msg.query("MSH-7.1").ok().flatten()?;
    let d = Dtm::parse(decoder.value(v).as_bytes()).ok()?;
    let r = d.to_fhir_date_time(MissingZone::TruncateToDate);
    if r.time_dropped().is_some() {
        return None;
    }
    r.as_str().parse::<Instant>().ok()
}
