//! The engine: a [`Matrix`] run on a message. The message map of the message's structure drives
//! it: each segment is placed in the structure's groups, and every message-map row for its
//! position fills the resource instance it names (`Patient[1]`, `Observation[2]`) through the
//! segment, datatype and vocabulary maps; a row that steps into another resource
//! (`sender(Organization)`, `assigner(Organization)`) fills a resource of its own, created once per
//! referring element and referenced by its `urn:uuid:` fullUrl. The message map's links
//! (`Observation[2].subject.reference=Patient[1].id`) are resolved once all segments are mapped.
//! The result is a `message` Bundle: the `MessageHeader` first, then the resources in the order
//! they were made. Ids are UUID-shaped hashes of MSH-10, the segment position and the instance or
//! referring element: the same input gives the same bytes.
//!
//! Each resource is built as a JSON tree keyed by the rows' element paths and then read *strictly*
//! into its typed fhir-model resource (an unknown element is an error, never passed through), so
//! the output is valid FHIR JSON by construction; the typed resources are then validated (elements
//! fhir-model rejects are removed and reported) and put into a typed Bundle. Whether an
//! element repeats, is a primitive, or exists at all is asked of fhir-model itself (a probe read,
//! cached per element), so no FHIR shape is hard-coded here either.
//!
//! ```
//! use hl7_core::Message;
//! use hl7_map::engine::{ConvertOptions, Engine};
//!
//! let engine = Engine::builtin()?;
//! let msg = Message::parse(b"MSH|^~\\&|APP|FAC|||20240131093000-0500||ADT^A01|42|P|2.5.1\rPID|1||123^^^H^MR||Doe^Jane||19800101|F\r")?;
//! let out = engine.convert_with(&msg, ConvertOptions { lineage: true, ..Default::default() })?;
//! let types: Vec<&str> = out.bundle.entry.iter().filter_map(|e| e.resource.as_ref()).map(|r| r.resource_type()).collect();
//! // MSH → MessageHeader first (MSH-4 → its sender Organization), the source and transformation
//! // Provenances (hl7rs as the assembling Device); PID → Patient (PID-3.4 → assigner).
//! assert_eq!(types[0], "MessageHeader");
//! for t in ["Organization", "Provenance", "Device", "Patient"] {
//!     assert!(types.contains(&t), "{t}");
//! }
//! let lineage = out.lineage.unwrap();
//! let family = lineage.iter().find(|l| l.element == "Patient.name[0].family").unwrap();
//! assert_eq!(&msg.as_bytes()[family.span.clone()], b"Doe");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::sync::RwLock;

use fhir_model::json::JsonErrorKind;
use fhir_model::report::{IssueSeverity, IssueType};
use fhir_model::{from_json_slice, Bundle, BundleEntry, ReadMode};
use hl7_core::types::Dtm;
use hl7_core::{Message, Path};
use hl7_messaging::structure::{structure_id_for, Version};
use hl7_messaging::text::TextDecoder;
use serde_json::{Map, Value};

use crate::condition::{Condition, Operand};
use crate::datatypes::{MissingZone, ToFhirDate, ToFhirDateTime};
use crate::element::{ElementPath, Index};
use crate::error::MatrixError;
use crate::eval::{Context, Node};
use crate::matrix::{Lineage, LinkTarget, MapRow, Matrix, MessageMap, ResourceLink, VocabularyMap};
use crate::placement::{Grouping, Placement};
use crate::source::{parse_reference, Scope, Source};

/// The built-in matrix files: (path under `mappings/`, text).
const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// The key of the Device standing for hl7rs in the transformation Provenance.
const TRANSFORMER: &str = "hl7rs-transformer";

/// Deepest datatype-map nesting followed (load guarantees no cycle; this bounds the work).
const MAX_NESTING: usize = 8;

/// A compiled engine.
pub struct Engine {
    matrix: Matrix,
    shapes: RwLock<HashMap<String, Shape>>,
}

/// What a conversion may add.
///
/// ```
/// let o = hl7_map::engine::ConvertOptions { lineage: true, ..Default::default() };
/// assert!(o.recorded.is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct ConvertOptions {
    /// Record lineage.
    pub lineage: bool,
    /// The transformation time for the IG's `/timestamp of transformation/` (the transformation
    /// Provenance's `recorded`), as a FHIR instant. `None`: MSH-7 when it is an instant (date,
    /// time and zone), so the same input gives the same output; without one the transformation
    /// Provenance is left out and [`IssueKind::ResourceDropped`] says so. Never the clock
    /// unless the caller passes it.
    pub recorded: Option<String>,
    /// List the valued v2 leaves no row consumed ([`Conversion::coverage`]). Lineage is recorded
    /// for it internally (and for `audit`), but returned only when `lineage` is set.
    pub coverage: bool,
    /// Make the conversion's `AuditEvent` ([`Conversion::audit`], time as for `recorded`).
    pub audit: bool,
}

/// The result of a conversion.
#[derive(Debug)]
pub struct Conversion {
    /// The `message` Bundle.
    pub bundle: Bundle,
    /// What could not be mapped as written.
    pub issues: Vec<MapIssue>,
    /// Lineage, when asked for.
    pub lineage: Option<Vec<LineageEntry>>,
    /// The valued v2 leaves no row consumed, when asked for ([`crate::coverage`]).
    pub coverage: Option<Vec<crate::coverage::Uncovered>>,
    /// The audit record, when asked for and a time is known ([`crate::audit`]).
    pub audit: Option<fhir_model::AuditEvent>,
}

/// One produced element and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineageEntry {
    /// The FHIR element (`Patient.name[0].family`, 0-based indexes).
    pub element: String,
    /// The v2 value read.
    pub source: Path,
    /// Its byte span in the input.
    pub span: Range<usize>,
    /// The matrix row.
    pub row: Lineage,
}

/// What went wrong with a value or a row.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IssueKind {
    /// The code is not in the vocabulary map; the element is left out.
    UnmappedCode {
        /// The vocabulary map.
        vocabulary: String,
        /// The v2 code.
        code: String,
    },
    /// The value does not parse as its FHIR type; left out.
    InvalidValue {
        /// The FHIR type expected.
        fhir_type: String,
    },
    /// A datetime without a zone: the time was dropped, the date kept.
    TimeDropped,
    /// The row's condition cannot be decided here; the row was not applied.
    ConditionUndecided,
    /// The row needs something this engine does not do yet (another resource, an expression).
    UnsupportedRow,
    /// The row's target is not a FHIR R4 element.
    UnknownElement(String),
    /// Two rows set one element to different values; the first is kept.
    Conflict(String),
    /// An element FHIR requires had no v2 source: a `status` was set to its code system's own
    /// `unknown`, a `CodeableConcept`/`Coding` (`DiagnosticReport.code`, `Encounter.class`) got
    /// only the data-absent-reason extension (`unknown`). Never a guessed value.
    RequiredAbsent {
        /// The element (`DiagnosticReport.status`).
        element: String,
    },
    /// No message map for the message's structure: only MSH and PID were mapped.
    NoMessageMap {
        /// The structure (MSH-9.3, or MSH-9.1_MSH-9.2).
        structure: String,
    },
    /// A produced resource lacked what FHIR requires of it (a Provenance without `recorded`) and
    /// was left out, with every reference to it.
    ResourceDropped {
        /// The resource type.
        resource: String,
        /// fhir-model's message (never quotes a value).
        reason: String,
    },
    /// fhir-model rejected a produced element (a code outside the element's required value set, an
    /// extension left without its `url`); it was removed from the output.
    Rejected {
        /// The element removed (`Patient.telecom[0].system`).
        element: String,
        /// fhir-model's message (never quotes a value).
        reason: String,
    },
}

/// An issue, with the v2 source and the matrix row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapIssue {
    /// What.
    pub kind: IssueKind,
    /// The v2 value.
    pub source: Path,
    /// Its byte span.
    pub span: Range<usize>,
    /// The matrix row.
    pub row: Lineage,
}

/// A conversion that produced no Bundle.
#[derive(Debug)]
#[non_exhaustive]
pub enum MapError {
    /// The matrix did not load.
    Matrix(MatrixError),
    /// The assembled output was not FHIR (a defect of the matrix or engine).
    Output(String),
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::Matrix(e) => write!(f, "matrix: {e}"),
            MapError::Output(e) => write!(f, "output is not FHIR R4: {e}"),
        }
    }
}

impl std::error::Error for MapError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prim {
    Str,
    Bool,
    /// A decimal.
    Num,
    /// An integer (`integer`, `positiveInt`, `unsignedInt`: 32-bit).
    Int,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Object,
    Objects,
    Prim(Prim),
    Prims(Prim),
    Unknown,
}

#[derive(Clone, Debug)]
struct Seg {
    name: String,
    key: Vec<u32>,
}

enum Val {
    Prim(Value),
    Obj(Obj),
}

enum Elem {
    One(Val),
    Many(BTreeMap<Vec<u32>, Val>),
}

#[derive(Default)]
struct Obj(BTreeMap<String, Elem>);

/// A written element before its array positions are known (and whether it holds a source value
/// rather than a constant).
type Traced = (Vec<Seg>, Path, Range<usize>, Lineage, bool);

/// One resource being built: the segment's own (sink 0) or one a row refers to
/// (`assigner(Organization)`), created on first use.
struct Sink {
    resource: String,
    id: String,
    root: Obj,
    traced: Vec<Traced>,
    /// For a referred resource: the sink and element holding the reference, and the row that
    /// asked for it.
    referrer: Option<Referrer>,
    /// The key it is found by (`sink|element path|type`).
    key: String,
    /// For a message-map instance: what it was made for.
    instance: Option<Instance>,
    /// For the 2nd… resource a datatype map makes at one place: the first one's sink and `n`.
    family: Option<(usize, u32)>,
    /// For the first: the others, by `n`.
    members: Vec<(u32, usize)>,
    /// Kept in the output although nothing was written into it (a Patient others refer to).
    keep: bool,
}

impl Sink {
    fn new(resource: impl Into<String>, id: String, key: impl Into<String>) -> Sink {
        Sink {
            resource: resource.into(),
            id,
            root: Obj::default(),
            traced: Vec::new(),
            referrer: None,
            key: key.into(),
            instance: None,
            family: None,
            members: Vec::new(),
            keep: false,
        }
    }

    fn referred_from(mut self, referrer: Option<Referrer>) -> Sink {
        self.referrer = referrer;
        self
    }

    fn instance_of(mut self, instance: Option<Instance>) -> Sink {
        self.instance = instance;
        self
    }

    fn member_of(mut self, family: Option<(usize, u32)>) -> Sink {
        self.family = family;
        self
    }
}

/// A resource instance a message-map row made (`Patient[1]` of one group instance).
struct Instance {
    /// `Patient[1]`.
    name: String,
    /// The group instances of the segment that made it (outermost first).
    scope: Vec<usize>,
    /// The structure position (or segment map) of the row that made it.
    position: String,
    /// The segment that made it (0-based).
    segment: usize,
}

/// A link of a message-map row, resolved once every segment is mapped.
struct PendingLink {
    /// The sink the row filled.
    sink: usize,
    scope: Vec<usize>,
    link: ResourceLink,
    row: Lineage,
    origin: Origin,
}

/// The v2 value a write or an issue comes from, and its byte span.
type Origin = (Path, Range<usize>);

/// Who refers to a sink: the referring sink and element, the row and the v2 value.
type Referrer = (usize, Vec<Seg>, Lineage, Origin);

/// A place to write: a sink and an element path in it.
#[derive(Clone, Debug)]
struct Loc {
    sink: usize,
    segs: Vec<Seg>,
}

struct Run<'e> {
    engine: &'e Engine,
    seed: String,
    sinks: Vec<Sink>,
    issues: Vec<MapIssue>,
    /// The sink the current segment map fills.
    main: usize,
    links: Vec<PendingLink>,
    /// The transformation time, for the IG's prose assignment.
    recorded: Option<String>,
    /// The canonical URL of the message map applied (the transformation's policy).
    policy: Option<String>,
    /// MSH-10 (ids are derived from it).
    control: String,
    /// References between members of a family: (from sink, element, to sink).
    family: Vec<(usize, Vec<Seg>, usize)>,
    /// Instances filled by maps that read v2 fields (as opposed to the constants-only maps of the
    /// transformation Provenance).
    data_maps: Vec<usize>,
    link_count: usize,
}

impl Engine {
    /// Compiles an engine from a matrix.
    ///
    /// ```
    /// let m = hl7_map::matrix::Matrix::default();
    /// let _ = hl7_map::engine::Engine::new(m);
    /// ```
    pub fn new(matrix: Matrix) -> Engine {
        Engine { matrix, shapes: RwLock::new(HashMap::new()) }
    }

    /// The built-in matrices (`hl7-map/mappings`, embedded at build time by `build.rs`).
    ///
    /// # Errors
    /// When the built-in files do not load (a defect caught by the tests).
    ///
    /// ```
    /// let engine = hl7_map::engine::Engine::builtin()?;
    /// assert!(engine.matrix().segment_map("PID[Patient]").is_some());
    /// # Ok::<(), hl7_map::engine::MapError>(())
    /// ```
    pub fn builtin() -> Result<Engine, MapError> {
        Matrix::from_files(BUILTIN).map(Engine::new).map_err(MapError::Matrix)
    }

    /// The matrix this engine runs.
    ///
    /// ```
    /// assert!(hl7_map::engine::Engine::new(Default::default()).matrix().segments.is_empty());
    /// ```
    pub fn matrix(&self) -> &Matrix {
        &self.matrix
    }

    /// Converts a message without lineage.
    ///
    /// # Errors
    /// [`MapError::Output`] when the assembled output is not FHIR R4.
    pub fn convert(&self, msg: &Message<'_>) -> Result<Conversion, MapError> {
        self.convert_with(msg, ConvertOptions::default())
    }

    /// Converts a message.
    ///
    /// The message map is the one for the message's structure (MSH-9.3, else the structure its
    /// event uses in its version: `ADT^A04` → `ADT_A01`); each segment is placed in the
    /// structure's groups and every row for its position fills the resource instance it names.
    /// An instance (`Patient[1]`, `DiagnosticReport[1]`) is one resource within its group: the
    /// PD1 row adds to the Patient its PID made, the OBR row to the `DiagnosticReport` of its ORC,
    /// while each OBX of its own `OBSERVATION` group makes its own Observation. Links
    /// (`Observation[2].subject.reference=Patient[1].id`) are resolved after all segments, to the
    /// nearest instance around. Without a message map for the structure, MSH and PID alone are
    /// mapped and [`IssueKind::NoMessageMap`] says so.
    ///
    /// # Errors
    /// [`MapError::Output`] when the assembled output is not FHIR R4.
    pub fn convert_with(&self, msg: &Message<'_>, options: ConvertOptions) -> Result<Conversion, MapError> {
        let decoder = TextDecoder::new(msg);
        let control = msg.query("MSH-10").ok().flatten().map(|v| decoder.value(v).into_owned()).unwrap_or_default();
        let ConvertOptions { lineage, recorded, coverage, audit } = options;
        let extras = crate::extras::Extras { lineage, coverage, audit, recorded: recorded.clone() };
        let mut run = Run {
            engine: self,
            seed: String::new(),
            sinks: Vec::new(),
            issues: Vec::new(),
            main: 0,
            links: Vec::new(),
            recorded,
            policy: None,
            control: control.clone(),
            link_count: 0,
            family: Vec::new(),
            data_maps: Vec::new(),
        };
        if run.recorded.is_none() {
            run.recorded = transformation_time(msg, &decoder);
        }
        let map = self.message_map_for(msg, &decoder);
        let grouping = map.and_then(|m| Grouping::new(msg, m));
        if let (Some(map), Some(grouping)) = (map, grouping.as_ref()) {
            run.policy = Some(policy_uri(map.name.key()));
            for p in grouping.place(map) {
                run.place(&p, &decoder, &control);
            }
        } else {
            let msh = msg.segments().next();
            if let Some(msh) = msh {
                let structure = message_structure(msg, &decoder);
                run.issues.push(MapIssue {
                    kind: IssueKind::NoMessageMap { structure },
                    source: Path::new(b"MSH").field(9),
                    span: msh.offset()..msh.offset() + msh.as_bytes().len(),
                    row: Lineage { file: String::new(), row: 0 },
                });
            }
            for (index, seg) in msg.segments().enumerate() {
                let name = match seg.id() {
                    b"MSH" => "MSH[MessageHeader]",
                    b"PID" => "PID[Patient]",
                    _ => continue,
                };
                let Some(map) = self.matrix.segment_map(name) else { continue };
                let resource = map.name.target().unwrap_or_default().to_owned();
                let instance = format!("{resource}[1]");
                let sink = run.instance(&resource, &instance, &[0], name, index, &control);
                run.main = sink;
                run.seed = format!("{control}\u{1f}{index}");
                for row in &map.rows {
                    run.segment_row(row, Context::new(seg, &decoder));
                }
            }
        }
        run.drop_data_less();
        run.finish_links();
        run.family_links();
        run.complete();
        run.link();
        let out = run.assemble(&control, extras.needs_lineage())?;
        Ok(extras.finish(msg, out))
    }

    /// The message map for a message: MSH-9.3 when a map has that name, else the structure the
    /// event uses in the message's version.
    fn message_map_for(&self, msg: &Message<'_>, decoder: &TextDecoder) -> Option<&MessageMap> {
        let text = |p: &str| msg.query(p).ok().flatten().map(|v| decoder.value(v).into_owned()).unwrap_or_default();
        let declared = text("MSH-9.3");
        if let Some(m) = (!declared.is_empty()).then(|| self.matrix.message_map(&declared)).flatten() {
            return Some(m);
        }
        let (code, event) = (text("MSH-9.1"), text("MSH-9.2"));
        let version = Version::of_message(msg).unwrap_or(Version::new(2, 5, 1));
        let id =
            structure_id_for(&code, &event, version).or_else(|| structure_id_for(&code, &event, Version::new(2, 5, 1)));
        id.and_then(|id| self.matrix.message_map(id))
    }

    /// The shapes of an element path and all its prefixes (one cache lookup each, one key built).
    fn shapes_of(&self, resource: &str, names: &[&str]) -> Vec<Shape> {
        let mut out = Vec::with_capacity(names.len());
        let mut key = String::with_capacity(64);
        key.push_str(resource);
        if let Ok(cache) = self.shapes.read() {
            for n in names {
                key.push('.');
                key.push_str(n);
                match cache.get(&key) {
                    Some(s) => out.push(*s),
                    None => break,
                }
            }
        }
        for n in out.len() + 1..=names.len() {
            out.push(self.shape(resource, names.get(..n).unwrap_or_default()));
        }
        out
    }

    /// The shape of an element (`Patient.name.family`), asked of fhir-model and cached.
    fn shape(&self, resource: &str, names: &[&str]) -> Shape {
        let key = format!("{resource}.{}", names.join("."));
        if let Some(s) = self.shapes.read().ok().and_then(|m| m.get(&key).copied()) {
            return s;
        }
        let mut prefix = Vec::new();
        for n in 1..names.len() {
            prefix.push(self.shape(resource, names.get(..n).unwrap_or_default()));
        }
        let probe = |leaf: &str| -> Result<(), JsonErrorKind> {
            let mut text = String::new();
            let mut close = String::new();
            for (name, shape) in names.iter().zip(&prefix) {
                let (n, open, end) = match shape {
                    Shape::Object => ((*name).to_owned(), "{", "}"),
                    Shape::Objects => ((*name).to_owned(), "[{", "}]"),
                    Shape::Prim(_) => (format!("_{name}"), "{", "}"),
                    Shape::Prims(_) => (format!("_{name}"), "[{", "}]"),
                    Shape::Unknown => return Err(JsonErrorKind::UnknownElement),
                };
                text.push('"');
                text.push_str(&n);
                text.push_str("\":");
                text.push_str(open);
                close.insert_str(0, end);
            }
            let last = names.last().copied().unwrap_or_default();
            let json = format!("{{\"resourceType\":\"{resource}\",{text}\"{last}\":{leaf}{close}}}");
            from_json_slice::<fhir_model::Resource>(json.as_bytes(), ReadMode::Strict).map(|_| ()).map_err(|e| e.kind())
        };
        let shape = if probe("[]").is_ok() {
            if probe("[{}]").is_ok() {
                Shape::Objects
            } else if probe("[true]").is_ok() {
                Shape::Prims(Prim::Bool)
            } else if probe("[1]").is_ok() {
                Shape::Prims(if probe("[1.5]").is_ok() { Prim::Num } else { Prim::Int })
            } else {
                Shape::Prims(Prim::Str)
            }
        } else if probe("{}").is_ok() {
            Shape::Object
        } else if probe("true").is_ok() {
            Shape::Prim(Prim::Bool)
        } else if probe("1").is_ok() {
            Shape::Prim(if probe("1.5").is_ok() { Prim::Num } else { Prim::Int })
        } else if probe("{}") == Err(JsonErrorKind::UnknownElement) {
            Shape::Unknown
        } else {
            Shape::Prim(Prim::Str)
        };
        if let Ok(mut m) = self.shapes.write() {
            m.insert(key, shape);
        }
        shape
    }
}

/// Whether a condition tests that the row's own source is not valued.
fn asks_absence(c: &Condition, own: &Source) -> bool {
    match c {
        Condition::NotValued(Operand::Source(s)) => *s == Source::Own || s == own,
        Condition::And(cs) | Condition::Or(cs) => cs.iter().any(|c| asks_absence(c, own)),
        _ => false,
    }
}

/// The FHIR path `value.ofType(CodeableConcept)` as the JSON name `valueCodeableConcept`.
fn choice_names(path: &str) -> String {
    let mut out = path.to_owned();
    while let Some(at) = out.find(".ofType(") {
        let Some(end) = out.get(at..).and_then(|t| t.find(')')) else { break };
        let ty = out.get(at + 8..at + end).unwrap_or_default().to_owned();
        out.replace_range(at..=at + end, &ty);
    }
    out
}

fn resource_json(root: &Obj, resource: &str, id: &str) -> Map<String, Value> {
    let mut json = root.to_json();
    json.insert("resourceType".into(), Value::String(resource.to_owned()));
    json.insert("id".into(), Value::String(id.to_owned()));
    json
}

/// Reads the resource strictly and validates it; elements fhir-model rejects that can be removed
/// on their own (a code outside a required value set; an array entry without a required element,
/// such as an extension without `url`) are removed
/// and reported. Returns the typed resource.
fn prune(
    root: &mut Obj,
    resource: &str,
    id: &str,
    traced: &[Traced],
    issues: &mut Vec<MapIssue>,
) -> Result<fhir_model::Resource, MapError> {
    let read = |root: &Obj| -> Result<fhir_model::Resource, MapError> {
        let bytes =
            serde_json::to_vec(&resource_json(root, resource, id)).map_err(|e| MapError::Output(e.to_string()))?;
        from_json_slice(&bytes, ReadMode::Strict).map_err(|e| MapError::Output(e.to_string()))
    };
    for _ in 0..4 {
        let typed = read(root)?;
        let report = typed.validate();
        if !report.has_errors() {
            return Ok(typed);
        }
        let positions: Vec<(String, &Traced)> =
            traced.iter().filter_map(|t| Some((format!("{resource}.{}", root.position(&t.0)?), t))).collect();
        let mut changed = false;
        for i in report.issues().iter().filter(|i| i.severity() == IssueSeverity::Error) {
            let location = choice_names(&i.location().to_string());
            let target = match i.code() {
                IssueType::CodeInvalid | IssueType::Value => location.clone(),
                // A repeating element's entry that lacks a required element (an extension without
                // `url`, a `communication` without `language`) goes as a whole.
                IssueType::Required => match location.rsplit_once('.') {
                    Some((parent, _)) if parent.ends_with(']') => parent.to_owned(),
                    _ => continue,
                },
                _ => continue,
            };
            let Some(rel) = target.strip_prefix(resource).and_then(|t| t.strip_prefix('.')) else { continue };
            if !root.remove(rel) {
                continue;
            }
            changed = true;
            if let Some((_, t)) = positions.iter().find(|(e, _)| *e == target || e.starts_with(&format!("{target}."))) {
                issues.push(MapIssue {
                    kind: IssueKind::Rejected { element: target.clone(), reason: i.message().to_string() },
                    source: t.1,
                    span: t.2.clone(),
                    row: t.3.clone(),
                });
            }
        }
        if !changed {
            return Ok(typed);
        }
    }
    read(root)
}

/// A constant, or the IG's concatenation (`"urn:oid:"+HD.2`, `MSG.1+"^"+MSG.2`) of quoted
/// literals and v2 references. `None` for prose (`/…/`) or a reference that does not resolve.
fn expression(text: &str, cx: &Context<'_, '_>) -> Option<String> {
    if text.starts_with('/') {
        return None;
    }
    if !text.contains('+') {
        return Some(text.to_owned());
    }
    let mut out = String::new();
    let mut rest = text.trim();
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"')?;
            out.push_str(quoted.get(..end)?);
            rest = quoted.get(end + 1..)?.trim_start();
        } else {
            let end = rest.find('+').unwrap_or(rest.len());
            let token = rest.get(..end)?.trim();
            let name: String = token.chars().take_while(char::is_ascii_alphanumeric).collect();
            let scope = if cx.datatype.is_some() { Scope::Datatype(&name) } else { Scope::Segment };
            let node = cx.resolve(&parse_reference(token, scope)?);
            if let Some(n) = node {
                out.push_str(&n.text(cx.decoder()));
            }
            rest = rest.get(end..)?.trim_start();
        }
        match rest.strip_prefix('+') {
            Some(r) => rest = r.trim_start(),
            None if rest.is_empty() => return Some(out),
            None => return None,
        }
    }
}

/// A sink read, pruned and validated: `None` when it is still invalid (it is then emptied, and
/// reported unless the matrix's constants alone made it: the IG's optional `DocumentReference` of
/// the original message loses no v2 data).
fn checked(
    engine: &Engine,
    sink: &mut Sink,
    issues: &mut Vec<MapIssue>,
) -> Result<Option<fhir_model::Resource>, MapError> {
    let mut t = prune(&mut sink.root, &sink.resource, &sink.id, &sink.traced, issues)?;
    let mut report = t.validate();
    // A required singular element left without a value (MSH-24's endpoint rejected as no URL):
    // present with only the data-absent-reason extension, reported, rather than the resource lost.
    for _ in 0..3 {
        if !report.has_errors() {
            return Ok(Some(t));
        }
        let mut repaired = false;
        for i in report.issues().iter().filter(|i| i.severity() == IssueSeverity::Error) {
            if i.code() != IssueType::Required {
                continue;
            }
            let location = i.location().to_string();
            let Some(rel) = location.strip_prefix(sink.resource.as_str()).and_then(|l| l.strip_prefix('.')) else {
                continue;
            };
            if rel.contains(['[', '(']) {
                continue;
            }
            let names: Vec<&str> = rel.split('.').collect();
            let shapes = engine.shapes_of(&sink.resource, &names);
            if !matches!(shapes.last(), Some(Shape::Prim(_) | Shape::Object)) || shapes.contains(&Shape::Objects) {
                continue;
            }
            let seg = |n: &str| Seg { name: n.to_owned(), key: vec![0] };
            let mut url_at: Vec<Seg> = names.iter().map(|n| seg(n)).collect();
            url_at.extend([seg("extension"), seg("url")]);
            let mut code_at = url_at.clone();
            if let Some(l) = code_at.last_mut() {
                l.name = "valueCode".into();
            }
            let url_names: Vec<&str> = url_at.iter().map(|s| s.name.as_str()).collect();
            let code_names: Vec<&str> = code_at.iter().map(|s| s.name.as_str()).collect();
            let (us, cs) =
                (engine.shapes_of(&sink.resource, &url_names), engine.shapes_of(&sink.resource, &code_names));
            let url = Value::String("http://hl7.org/fhir/StructureDefinition/data-absent-reason".into());
            if sink.root.set(&url_at, &us, url).is_ok()
                && sink.root.set(&code_at, &cs, Value::String("unknown".into())).is_ok()
            {
                repaired = true;
                if let Some(t) = sink.traced.first() {
                    issues.push(MapIssue {
                        kind: IssueKind::RequiredAbsent { element: location.clone() },
                        source: t.1,
                        span: t.2.clone(),
                        row: t.3.clone(),
                    });
                }
            }
        }
        if !repaired {
            break;
        }
        t = prune(&mut sink.root, &sink.resource, &sink.id, &sink.traced, issues)?;
        report = t.validate();
    }
    if !report.has_errors() {
        return Ok(Some(t));
    }
    let reason = report
        .issues()
        .iter()
        .find(|i| i.severity() == IssueSeverity::Error)
        .map(|i| format!("{}: {}", i.location(), i.message()))
        .unwrap_or_default();
    if let Some(t) = sink.traced.iter().find(|t| t.4) {
        issues.push(MapIssue {
            kind: IssueKind::ResourceDropped { resource: sink.resource.clone(), reason },
            source: t.1,
            span: t.2.clone(),
            row: t.3.clone(),
        });
    }
    sink.root = Obj::default();
    Ok(None)
}

/// A row writing a coding's `system` from a v2 coding-system name (`CWE.3` → `coding[1].system`).
fn is_coding_system(row: &MapRow) -> bool {
    matches!(row.v2_type.as_str(), "ID" | "IS")
        && row.target.steps().last().is_some_and(|s| s.name() == "system")
        && matches!(row.source, Source::Component { .. })
}

/// Whether fhir-model has this resource type (rows naming another one are reported, not run).
fn supported(resource: &str) -> bool {
    fhir_model::RESOURCE_TYPES.contains(&resource)
}

/// The path naming a whole segment (`MSH`).
fn segment_path(seg: &hl7_core::Segment<'_>) -> Path {
    let id: [u8; 3] = seg.id().try_into().unwrap_or(*b"???");
    Path::new(&id)
}

/// MSH-7 as a FHIR instant, when it has a date, a time and a zone.
fn transformation_time(msg: &Message<'_>, decoder: &TextDecoder) -> Option<String> {
    let v = msg.query("MSH-7.1").ok().flatten()?;
    let text = decoder.value(v);
    let d = Dtm::parse(text.as_bytes()).ok()?;
    let r = d.to_fhir_date_time(MissingZone::TruncateToDate);
    (r.time_dropped().is_none() && r.as_str().contains('T')).then(|| r.as_str().to_owned())
}

/// The IG's canonical URL for a message map (`ORU_R01` →
/// `http://hl7.org/fhir/uv/v2mappings/message-oru-r01-to-bundle`).
fn policy_uri(map: &str) -> String {
    format!("http://hl7.org/fhir/uv/v2mappings/message-{}-to-bundle", map.to_ascii_lowercase().replace('_', "-"))
}

/// MSH-9.3, else MSH-9.1_MSH-9.2 (for a report; codes, never content).
fn message_structure(msg: &Message<'_>, decoder: &TextDecoder) -> String {
    let text = |p: &str| msg.query(p).ok().flatten().map(|v| decoder.value(v).into_owned()).unwrap_or_default();
    let s = text("MSH-9.3");
    if s.is_empty() {
        format!("{}_{}", text("MSH-9.1"), text("MSH-9.2"))
    } else {
        s
    }
}

/// A deterministic UUID-shaped id from the parts (FNV-1a, two seeds).
fn uuid(parts: &[&[u8]]) -> String {
    let hash = |seed: u64| {
        let mut h = seed;
        for p in parts {
            for b in p.iter().chain(b"\x1f") {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    };
    let (a, b) = (hash(0xcbf2_9ce4_8422_2325), hash(0x8422_2325_cbf2_9ce4));
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or_default(),
        hex.get(8..12).unwrap_or_default(),
        hex.get(12..16).unwrap_or_default(),
        hex.get(16..20).unwrap_or_default(),
        hex.get(20..32).unwrap_or_default()
    )
}

fn seg_key(index: Index) -> Vec<u32> {
    match index {
        Index::Nth(n) | Index::Range(n, _) => vec![n],
        Index::Unspecified | Index::Each => vec![0],
    }
}

/// Joins a row's target to the location it is applied at. `$value` is the location itself; a
/// leading `[n]` is the n-th instance the map produces there; a first step that repeats the
/// location's own name (`family` under `[1].family`) names the location again.
impl<'e> Run<'e> {
    /// Joins a row's target to the location it is applied at. `$value` is the location itself; a
    /// leading `[n]` is the n-th instance the map produces there; a first step that repeats the
    /// location's own name (`family` under `[1].family`) names the location again; a step into
    /// another resource (`assigner(Organization)`) continues in that resource, created once per
    /// referring element.
    ///
    /// `rep` (segment rows) is the field repetition, added to the first element's key so that each
    /// repetition fills its own instance.
    fn join(
        &mut self,
        base: &Loc,
        target: &ElementPath,
        row: &MapRow,
        origin: &Origin,
        rep: Option<u32>,
    ) -> Option<Loc> {
        let mut out = base.clone();
        for (i, step) in target.steps().iter().enumerate() {
            if step.slice().is_some() {
                return None;
            }
            if step.name() == "$value" {
                continue;
            }
            if step.name().is_empty() {
                let Index::Nth(n) = step.index() else { return None };
                if out.segs.is_empty() {
                    // `[4].identifier` at a resource the map makes (`PL[Location]`): the 4th of
                    // the resources it makes there (bed, room, … facility).
                    out.sink = self.member(out.sink, n);
                    continue;
                }
                out.segs.last_mut()?.key.push(n);
                continue;
            }
            if !(i == 0 && out.segs.last().is_some_and(|l| l.name == step.name())) {
                let mut key = seg_key(step.index());
                if let (Some(r), true) = (rep, out.segs.is_empty() && out.sink == self.main) {
                    key.push(r);
                }
                out.segs.push(Seg { name: step.name().to_owned(), key });
            }
            if let Some(r) = step.reference() {
                // The first allowed type fhir-model has (`Organization|Device`).
                let resource = r.types().iter().find(|t| supported(t))?.clone();
                let path: Vec<String> = out.segs.iter().map(|s| format!("{}{:?}", s.name, s.key)).collect();
                let key = format!("{}|{}|{resource}{}", out.sink, path.join("."), r.index());
                let sink = if let Some(n) = self.sinks.iter().position(|s| s.key == key) {
                    n
                } else {
                    let id = uuid(&[self.seed.as_bytes(), key.as_bytes()]);
                    let referrer = Some((out.sink, out.segs.clone(), row.lineage.clone(), origin.clone()));
                    self.sinks.push(Sink::new(resource, id, key).referred_from(referrer));
                    self.sinks.len() - 1
                };
                let inner = self.join(&Loc { sink, segs: Vec::new() }, r.path(), row, origin, None)?;
                out = inner;
            }
        }
        Some(out)
    }

    /// The resource of type `resource` referenced from `at` (an element of type Reference), made
    /// once per referring element; `at` itself when it is no Reference.
    fn referred(&mut self, at: &Loc, resource: &str, row: &MapRow, origin: &Origin) -> Loc {
        let Some(owner) = self.sinks.get(at.sink).map(|s| s.resource.clone()) else { return at.clone() };
        let mut names: Vec<&str> = at.segs.iter().map(|s| s.name.as_str()).collect();
        names.push("reference");
        if !matches!(self.engine.shapes_of(&owner, &names).last(), Some(Shape::Prim(Prim::Str))) {
            return at.clone();
        }
        let path: Vec<String> = at.segs.iter().map(|s| format!("{}{:?}", s.name, s.key)).collect();
        let key = format!("{}|{}|{resource}", at.sink, path.join("."));
        let sink = if let Some(n) = self.sinks.iter().position(|s| s.key == key) {
            n
        } else {
            let id = uuid(&[self.seed.as_bytes(), key.as_bytes()]);
            let referrer = Some((at.sink, at.segs.clone(), row.lineage.clone(), origin.clone()));
            self.sinks.push(Sink::new(resource.to_owned(), id, key).referred_from(referrer));
            self.sinks.len() - 1
        };
        Loc { sink, segs: Vec::new() }
    }

    /// A row `[1].partOf.reference(Location[2])` inside a map that makes a family of resources of
    /// that type: noted for [`Run::family_links`]. Returns whether the row was one.
    fn family_row(&mut self, base: &Loc, row: &MapRow) -> bool {
        let steps = row.target.steps();
        let Some((last, _)) = steps.split_last() else { return false };
        let Some(r) = last.reference() else { return false };
        let (Index::Nth(k), true) = (r.index(), r.path().is_empty()) else { return false };
        let Some(resource) = self.sinks.get(base.sink).map(|s| s.resource.clone()) else { return false };
        if !base.segs.is_empty() || r.types() != [resource] {
            return false;
        }
        let mut from = base.sink;
        let mut segs = Vec::new();
        for s in steps {
            if s.name().is_empty() {
                if let Index::Nth(n) = s.index() {
                    from = self.member(from, n);
                }
                continue;
            }
            segs.push(Seg { name: s.name().to_owned(), key: vec![0] });
        }
        if segs.last().is_none_or(|s| s.name != "reference") {
            segs.push(Seg { name: "reference".into(), key: vec![0] });
        }
        let to = self.member(base.sink, k);
        self.family.push((from, segs, to));
        true
    }

    /// What the IG's maps leave out but FHIR requires, filled without inventing data:
    /// - a required `status` with no source becomes `unknown` where the code system has it
    ///   (reported as [`IssueKind::RequiredAbsent`]), a required code (`DiagnosticReport.code`,
    ///   `Encounter.class`) gets only the data-absent-reason extension (reported too);
    /// - a resource about a patient with no `subject`/`patient` link in the map (the IG's `ORU_R01`
    ///   map gives `ServiceRequest` none) refers to the nearest Patient of the message.
    fn complete(&mut self) {
        const STATUS_UNKNOWN: &[&str] =
            &["DiagnosticReport", "Observation", "ServiceRequest", "Procedure", "Encounter", "MedicationRequest"];
        const SUBJECT: &[&str] = &[
            "ServiceRequest",
            "DiagnosticReport",
            "Observation",
            "Specimen",
            "Condition",
            "Procedure",
            "Encounter",
            "DocumentReference",
            "MedicationRequest",
            "MedicationAdministration",
            "ChargeItem",
        ];
        const PATIENT: &[&str] = &["Immunization", "AllergyIntolerance", "EpisodeOfCare", "RelatedPerson"];
        for n in 0..self.sinks.len() {
            let Some(sink) = self.sinks.get(n) else { continue };
            if sink.root.0.is_empty() {
                continue;
            }
            let resource = sink.resource.clone();
            let scope = sink.instance.as_ref().map_or_else(|| vec![0], |i| i.scope.clone());
            let origin = sink.traced.first().map(|t| (t.1, t.2.clone(), t.3.clone()));
            if STATUS_UNKNOWN.contains(&resource.as_str()) && !sink.root.0.contains_key("status") {
                let segs = [Seg { name: "status".into(), key: vec![0] }];
                let shapes = self.engine.shapes_of(&resource, &["status"]);
                if let Some(s) = self.sinks.get_mut(n) {
                    if s.root.set(&segs, &shapes, Value::String("unknown".into())).is_ok() {
                        if let Some((source, span, row)) = origin.clone() {
                            self.issues.push(MapIssue {
                                kind: IssueKind::RequiredAbsent { element: format!("{resource}.status") },
                                source,
                                span,
                                row,
                            });
                        }
                    }
                }
            }
            // Required codes with no source: present, with only the data-absent-reason extension.
            for (r, element) in
                [("DiagnosticReport", "code"), ("Observation", "code"), ("Encounter", "class"), ("Procedure", "code")]
            {
                if resource != r || self.sinks.get(n).is_none_or(|s| s.root.0.contains_key(element)) {
                    continue;
                }
                let names = [element, "extension", "url"];
                let url_shapes = self.engine.shapes_of(&resource, &names);
                let code_shapes = self.engine.shapes_of(&resource, &[element, "extension", "valueCode"]);
                if url_shapes.contains(&Shape::Unknown) || code_shapes.contains(&Shape::Unknown) {
                    continue;
                }
                let seg = |name: &str| Seg { name: name.into(), key: vec![0] };
                if let Some(s) = self.sinks.get_mut(n) {
                    let url = Value::String("http://hl7.org/fhir/StructureDefinition/data-absent-reason".into());
                    let _ = s.root.set(&[seg(element), seg("extension"), seg("url")], &url_shapes, url);
                    let code = Value::String("unknown".into());
                    let _ = s.root.set(&[seg(element), seg("extension"), seg("valueCode")], &code_shapes, code);
                }
                if let Some((source, span, row)) = origin.clone() {
                    let kind = IssueKind::RequiredAbsent { element: format!("{resource}.{element}") };
                    self.issues.push(MapIssue { kind, source, span, row });
                }
            }
            let element = if SUBJECT.contains(&resource.as_str()) {
                "subject"
            } else if PATIENT.contains(&resource.as_str()) {
                "patient"
            } else {
                continue;
            };
            if self.sinks.get(n).is_some_and(|s| s.root.0.contains_key(element)) {
                continue;
            }
            // The PID is there, so the patient is, even when no field of it maps (`PID|1`).
            let patient = self.nearest("Patient", &scope).or_else(|| {
                let shared = |i: &Instance| i.scope.iter().zip(&scope).take_while(|(a, b)| a == b).count();
                let candidates = self.sinks.iter().enumerate().filter(|(_, s)| s.resource == "Patient");
                candidates
                    .filter_map(|(k, s)| s.instance.as_ref().map(|i| (shared(i), k)))
                    .max_by_key(|(depth, k)| (*depth, std::cmp::Reverse(*k)))
                    .map(|(_, k)| k)
            });
            let Some(patient) = patient else { continue };
            if let Some(p) = self.sinks.get_mut(patient) {
                p.keep = true;
            }
            let Some(url) = self.sinks.get(patient).map(|p| format!("urn:uuid:{}", p.id)) else { continue };
            let segs = [Seg { name: element.into(), key: vec![0] }, Seg { name: "reference".into(), key: vec![0] }];
            let shapes = self.engine.shapes_of(&resource, &[element, "reference"]);
            if !shapes.contains(&Shape::Unknown) {
                if let Some(s) = self.sinks.get_mut(n) {
                    let _ = s.root.set(&segs, &shapes, Value::String(url));
                }
            }
        }
    }

    /// An HL7 table 0396 coding-system name as a FHIR `system` URI: the `CodingSystem` vocabulary
    /// (LN → `http://loinc.org`), `HL7nnnn` → the THO v2 table; an URI or OID is kept.
    fn coding_system(&self, name: &str) -> Option<String> {
        if name.contains(':') {
            return Some(name.to_owned());
        }
        if let Some(m) = self.engine.matrix.vocabulary("CodingSystem").and_then(|v| v.lookup(name, "")) {
            return Some(m.target_code.clone());
        }
        let digits = name.strip_prefix("HL7").filter(|d| d.len() == 4 && d.bytes().all(|b| b.is_ascii_digit()))?;
        Some(format!("http://terminology.hl7.org/CodeSystem/v2-{digits}"))
    }

    /// An instance of a map that reads v2 fields, into which no v2 value was written (only the
    /// map's constants: `PID[Account]`'s `status = active` without a PID-18), is no resource of
    /// the message: emptied before links are made, so it is left out.
    fn drop_data_less(&mut self) {
        for n in std::mem::take(&mut self.data_maps) {
            if let Some(s) = self.sinks.get_mut(n) {
                if !s.traced.iter().any(|t| t.4) {
                    s.root = Obj::default();
                }
            }
        }
    }

    /// The `n`-th resource of the family `head` starts (a datatype map that makes several
    /// resources, `PL[Location]`); the first is `head` itself.
    fn member(&mut self, head: usize, n: u32) -> usize {
        let head = self.sinks.get(head).and_then(|s| s.family).map_or(head, |(h, _)| h);
        if n <= 1 {
            return head;
        }
        if let Some((_, m)) = self.sinks.get(head).and_then(|s| s.members.iter().find(|(k, _)| *k == n)) {
            return *m;
        }
        let Some(h) = self.sinks.get(head) else { return head };
        let (resource, key) = (h.resource.clone(), format!("{}#{n}", h.key));
        let id = uuid(&[self.seed.as_bytes(), key.as_bytes(), h.id.as_bytes()]);
        self.sinks.push(Sink::new(resource, id, key).member_of(Some((head, n))));
        let m = self.sinks.len() - 1;
        if let Some(h) = self.sinks.get_mut(head) {
            h.members.push((n, m));
            h.members.sort_unstable();
        }
        m
    }

    /// The IG's `[1].partOf.reference(Location[2])`: a reference from one member of a family to
    /// another, written once the family is complete (only to a member that holds something).
    fn family_links(&mut self) {
        for (from, segs, to) in std::mem::take(&mut self.family) {
            let Some(target) = self.sinks.get(to).filter(|t| !t.root.0.is_empty()) else { continue };
            let value = Value::String(format!("urn:uuid:{}", target.id));
            let Some(resource) = self.sinks.get(from).map(|s| s.resource.clone()) else { continue };
            let names: Vec<&str> = segs.iter().map(|s| s.name.as_str()).collect();
            let shapes = self.engine.shapes_of(&resource, &names);
            if shapes.contains(&Shape::Unknown) || self.sinks.get(from).is_none_or(|s| s.root.0.is_empty()) {
                continue;
            }
            if let Some(sink) = self.sinks.get_mut(from) {
                let _ = sink.root.set(&segs, &shapes, value);
            }
        }
    }

    /// Writes each referred resource's reference into its referrer (last created first, so a
    /// chain resolves); a resource nothing was written into is dropped with its reference.
    fn link(&mut self) {
        for n in (1..self.sinks.len()).rev() {
            let Some(sink) = self.sinks.get(n) else { continue };
            let Some((parent, segs, row, origin)) = sink.referrer.clone() else { continue };
            // A family head left empty (no PL-3 bed) stands for its first member that holds
            // something (the room, the point of care…).
            let id = if sink.root.0.is_empty() {
                let first = sink.members.iter().find_map(|(_, m)| self.sinks.get(*m).filter(|x| !x.root.0.is_empty()));
                match first {
                    Some(m) => m.id.clone(),
                    None => continue,
                }
            } else {
                sink.id.clone()
            };
            let value = Value::String(format!("urn:uuid:{id}"));
            let mut segs = segs;
            segs.push(Seg { name: "reference".into(), key: vec![0] });
            let Some(resource) = self.sinks.get(parent).map(|p| p.resource.clone()) else { continue };
            let names: Vec<&str> = segs.iter().map(|s| s.name.as_str()).collect();
            let shapes = self.engine.shapes_of(&resource, &names);
            let element = format!("{resource}.{}", names.join("."));
            if shapes.contains(&Shape::Unknown) {
                self.issues.push(MapIssue {
                    kind: IssueKind::UnknownElement(element),
                    source: origin.0,
                    span: origin.1,
                    row,
                });
                if let Some(s) = self.sinks.get_mut(n) {
                    s.root = Obj::default();
                }
                continue;
            }
            // A singular reference two repetitions fill (OBR-10 → `collection.collector`): the
            // first repetition wins (this loop runs backwards), the other is left out, reported.
            let Some(old) = self.sinks.get_mut(parent).and_then(|p| p.root.put(&segs, &shapes, value, true).err())
            else {
                continue;
            };
            let Some(loser) = self.sinks.iter().position(|s| Some(format!("urn:uuid:{}", s.id)) == old) else {
                continue;
            };
            let lost = self.sinks.get(loser).and_then(|s| s.referrer.clone());
            if let Some(s) = self.sinks.get_mut(loser) {
                s.root = Obj::default();
            }
            if let Some((_, _, row, origin)) = lost {
                self.issues.push(MapIssue {
                    kind: IssueKind::Conflict(element),
                    source: origin.0,
                    span: origin.1,
                    row,
                });
            }
        }
    }

    fn issue(&mut self, kind: IssueKind, node: &Node<'_>, row: &MapRow) {
        self.issue_at(kind, (node.path(), node.span()), row);
    }

    fn issue_at(&mut self, kind: IssueKind, (source, span): (Path, Range<usize>), row: &MapRow) {
        self.issues.push(MapIssue { kind, source, span, row: row.lineage.clone() });
    }

    fn segment_row<'a, 'v>(&mut self, row: &MapRow, mut cx: Context<'a, 'v>)
    where
        'e: 'v,
    {
        let Source::Path(p) = &row.source else { return };
        let Some(f) = p.field_number() else { return self.segment_level_row(row, cx) };
        let reps = cx.segment().field(f).map_or(0, |x| x.repetitions().count());
        let valued = (1..=reps).any(|r| Node::field(cx.segment(), f, r).is_some_and(|n| n.is_valued()));
        if !valued {
            return self.absent_field_row(row, *p, cx);
        }
        for rep in 1..=reps {
            let Some(mut node) = Node::field(cx.segment(), f, rep) else { continue };
            if let Some(c) = p.component_number() {
                let Some(n) = node.child(c) else { continue };
                node = n;
                if let Some(s) = p.subcomponent_number() {
                    let Some(n) = node.child(s) else { continue };
                    node = n;
                }
            }
            if !node.is_valued() {
                continue;
            }
            cx.current = Some((f, rep));
            cx.own = Some(node);
            cx.own_set = true;
            cx.datatype = None;
            let rep_key = Some(u32::try_from(rep).unwrap_or(u32::MAX));
            let origin = (node.path(), node.span());
            let Some(base) = self.join(&Loc { sink: self.main, segs: Vec::new() }, &row.target, row, &origin, rep_key)
            else {
                self.issue(IssueKind::UnsupportedRow, &node, row);
                continue;
            };
            if row.target.is_empty() {
                self.issue(IssueKind::UnsupportedRow, &node, row);
                continue;
            }
            self.apply(row, node, &base, cx, None, 0);
        }
    }

    /// Applies the message-map rows of one placed segment.
    fn place(&mut self, p: &Placement<'_, '_, '_>, decoder: &TextDecoder, control: &str) {
        let engine: &'e Engine = self.engine;
        for row in &p.rows {
            let Some(map) = row.segment_map.as_ref().and_then(|n| engine.matrix.segments.get(n.key())) else {
                continue;
            };
            let mut cx = Context::new(p.segment, decoder);
            cx.around = &p.chain;
            let span = p.segment.offset()..p.segment.offset() + p.segment.as_bytes().len();
            let origin: Origin = (segment_path(&p.segment), span);
            if let Some(g) = &row.condition {
                match cx.evaluate(&g.condition) {
                    Some(true) => {}
                    Some(false) => continue,
                    None => {
                        let (source, span) = origin;
                        self.issues.push(MapIssue {
                            kind: IssueKind::ConditionUndecided,
                            source,
                            span,
                            row: row.lineage.clone(),
                        });
                        continue;
                    }
                }
            }
            // `Provenance[1].entity.what(Device)`: a Device, referenced from that element.
            let steps = row.resource.steps();
            let Some(first) = steps.first() else { continue };
            let inner = steps.iter().find_map(|s| s.reference());
            let resource = match inner {
                Some(r) => r.types().first().cloned().unwrap_or_default(),
                None => first.name().to_owned(),
            };
            let instance = match (inner, first.index()) {
                (Some(_), _) => row.resource.to_string(),
                (None, Index::Nth(n)) => format!("{resource}[{n}]"),
                (None, _) => resource.clone(),
            };
            if !supported(&resource) {
                let (source, span) = origin;
                self.issues.push(MapIssue {
                    kind: IssueKind::UnknownElement(resource),
                    source,
                    span,
                    row: row.lineage.clone(),
                });
                continue;
            }
            let sink = self.instance(&resource, &instance, &p.scope, row.position.trim(), p.index, control);
            self.main = sink;
            self.seed = format!("{control}\u{1f}{}", p.index);
            if map.rows.iter().any(|r| r.source.path().is_some_and(|p| p.field_number().is_some())) {
                self.data_maps.push(sink);
            }
            for r in &map.rows {
                self.segment_row(r, cx);
            }
            if inner.is_some() {
                let mut names: Vec<String> = Vec::new();
                for s in steps {
                    names.push(s.name().to_owned());
                    if s.reference().is_some() {
                        break;
                    }
                }
                let owner = match first.index() {
                    Index::Nth(n) => format!("{}[{n}]", first.name()),
                    _ => first.name().to_owned(),
                };
                let from_text = format!("{owner}.{}.reference", names.get(1..).unwrap_or_default().join("."));
                if let Ok((from, _)) = ElementPath::parse(&from_text) {
                    let to = LinkTarget::Resource(ElementPath::of(&[&instance, "id"]));
                    self.links.push(PendingLink {
                        sink,
                        scope: p.scope.clone(),
                        link: ResourceLink { from, to },
                        row: row.lineage.clone(),
                        origin: origin.clone(),
                    });
                }
            }
            for link in &row.links {
                self.links.push(PendingLink {
                    sink,
                    scope: p.scope.clone(),
                    link: link.clone(),
                    row: row.lineage.clone(),
                    origin: origin.clone(),
                });
            }
        }
    }

    /// The sink of a resource instance: an existing one of the same name made by another
    /// position's row (or by this very segment) in this group instance, below it, or in an
    /// enclosing group's own segments; else a new one.
    fn instance(
        &mut self,
        resource: &str,
        name: &str,
        scope: &[usize],
        position: &str,
        segment: usize,
        control: &str,
    ) -> usize {
        let found = self.sinks.iter().rposition(|s| {
            s.instance.as_ref().is_some_and(|i| {
                i.name == name
                    && (i.position != position || i.segment == segment)
                    && (i.scope.starts_with(scope) || scope.starts_with(&i.scope))
            })
        });
        if let Some(n) = found {
            return n;
        }
        let id = uuid(&[control.as_bytes(), segment.to_string().as_bytes(), name.as_bytes()]);
        let instance =
            Instance { name: name.to_owned(), scope: scope.to_vec(), position: position.to_owned(), segment };
        self.sinks.push(Sink::new(resource, id, String::new()).instance_of(Some(instance)));
        self.sinks.len() - 1
    }

    /// The nearest instance a link names, seen from `scope`: `Patient[1]` by name, `DiagnosticReport`
    /// by type; in the innermost group instance first, then outwards; the latest made wins.
    fn nearest(&self, name: &str, scope: &[usize]) -> Option<usize> {
        let by_type = !name.contains('[');
        for depth in (1..=scope.len()).rev() {
            let prefix = scope.get(..depth).unwrap_or_default();
            let hit = self.sinks.iter().rposition(|s| {
                s.instance.as_ref().is_some_and(|i| {
                    (if by_type { s.resource == name } else { i.name == name }) && i.scope.starts_with(prefix)
                }) && !s.root.0.is_empty()
            });
            if hit.is_some() {
                return hit;
            }
        }
        None
    }

    /// Resolves the message-map links: `From.element.reference=To.id` writes a reference to the
    /// nearest `To` into the nearest `From` (the row's own resource when it is one of those);
    /// a quoted constant is written as it is. A link whose resources were not made (no PV1, no
    /// Encounter) does not apply.
    fn finish_links(&mut self) {
        let links = std::mem::take(&mut self.links);
        for l in links {
            if self.sinks.get(l.sink).is_none_or(|s| s.root.0.is_empty()) {
                continue;
            }
            let own_type = self.sinks.get(l.sink).map(|s| s.resource.clone()).unwrap_or_default();
            let own_name =
                self.sinks.get(l.sink).and_then(|s| s.instance.as_ref()).map(|i| i.name.clone()).unwrap_or_default();
            let resolve = |run: &Run<'_>, step: &crate::element::Step| -> Option<usize> {
                let name = match step.index() {
                    Index::Nth(n) => format!("{}[{n}]", step.name()),
                    _ => step.name().to_owned(),
                };
                if name == own_name || (step.name() == own_type && !name.contains('[')) {
                    return Some(l.sink);
                }
                run.nearest(&name, &l.scope).or_else(|| (step.name() == own_type).then_some(l.sink))
            };
            let steps = l.link.from.steps();
            let Some(head) = steps.first() else { continue };
            let Some(from) = resolve(self, head) else { continue };
            let mut names: Vec<&str> = steps.iter().skip(1).map(crate::element::Step::name).collect();
            let value = match &l.link.to {
                LinkTarget::Constant(c) => Value::String(c.clone()),
                LinkTarget::Resource(to) => {
                    let Some(t) = to.steps().first() else { continue };
                    if t.name() == "Bundle" {
                        // The Bundle is no entry of itself; in a FHIR message the MessageHeader
                        // stands for the message, so `Bundle.id` names it.
                        let Some(h) = self.sinks.iter().find(|s| s.resource == "MessageHeader" && !s.root.0.is_empty())
                        else {
                            continue;
                        };
                        Value::String(format!("urn:uuid:{}", h.id))
                    } else {
                        let Some(to) = resolve(self, t) else { continue };
                        if to == from {
                            continue;
                        }
                        let Some(target) = self.sinks.get(to) else { continue };
                        Value::String(format!("urn:uuid:{}", target.id))
                    }
                }
            };
            if names.last() == Some(&"id") {
                continue;
            }
            if matches!(l.link.to, LinkTarget::Resource(_)) && names.last() != Some(&"reference") {
                names.push("reference");
            }
            let key = u32::try_from(self.links_written(from)).unwrap_or(u32::MAX);
            let segs: Vec<Seg> = names.iter().map(|n| Seg { name: (*n).to_owned(), key: vec![key] }).collect();
            let Some(resource) = self.sinks.get(from).map(|s| s.resource.clone()) else { continue };
            let shapes = self.engine.shapes_of(&resource, &names);
            if shapes.contains(&Shape::Unknown) {
                let (source, span) = l.origin.clone();
                self.issues.push(MapIssue {
                    kind: IssueKind::UnknownElement(format!("{resource}.{}", names.join("."))),
                    source,
                    span,
                    row: l.row.clone(),
                });
                continue;
            }
            if let Some(sink) = self.sinks.get_mut(from) {
                // A singular element already set keeps its first value (the IG lists one link per
                // candidate; the first that resolves wins).
                let _ = sink.root.set(&segs, &shapes, value);
            }
        }
    }

    /// A number that differs for each link written (array positions of links, after the
    /// positions rows write).
    fn links_written(&mut self, _sink: usize) -> usize {
        self.link_count += 1;
        1_000_000 + self.link_count
    }

    /// A row on the segment itself (`MSH` → `activity.coding.code`): its constant, when its
    /// condition holds. Rows without a constant there are the IG's narrative; nothing to map.
    fn segment_level_row<'a, 'v>(&mut self, row: &MapRow, mut cx: Context<'a, 'v>)
    where
        'e: 'v,
    {
        let Some(constant) = &row.constant else { return };
        cx.own = None;
        cx.own_set = true;
        cx.current = None;
        let seg = *cx.segment();
        let origin: Origin = (segment_path(&seg), seg.offset()..seg.offset() + seg.as_bytes().len());
        if let Some(g) = &row.condition {
            match cx.evaluate(&g.condition) {
                Some(true) => {}
                Some(false) => return,
                None => return self.issue_at(IssueKind::ConditionUndecided, origin, row),
            }
        }
        if constant.to_ascii_lowercase().contains("performing the transformation") {
            return self.transformer(row, origin);
        }
        let text = match self.prose(constant) {
            Some(t) => t,
            None if constant.starts_with('/') => return,
            None => match expression(constant, &cx) {
                Some(t) => t,
                None => return self.issue_at(IssueKind::UnsupportedRow, origin, row),
            },
        };
        let Some(base) = self.join(&Loc { sink: self.main, segs: Vec::new() }, &row.target, row, &origin, None) else {
            return self.issue_at(IssueKind::UnsupportedRow, origin, row);
        };
        self.write(row, &base, &Value::String(text), origin, false);
    }

    /// The IG's `/the organization owning or device performing the transformation/`: a Device for
    /// hl7rs itself (name and version), made once per conversion and referenced from the row's
    /// target (`agent[1].who`).
    fn transformer(&mut self, row: &MapRow, origin: Origin) {
        let text = row.target.to_string();
        let Some(open) = text.find('(') else { return };
        let Ok((path, _)) = ElementPath::parse(&format!("{}.reference", text.get(..open).unwrap_or_default())) else {
            return;
        };
        let device = if let Some(n) = self.sinks.iter().position(|s| s.key == TRANSFORMER) {
            n
        } else {
            let id = uuid(&[self.control.as_bytes(), TRANSFORMER.as_bytes()]);
            self.sinks.push(Sink::new("Device", id, TRANSFORMER));
            let n = self.sinks.len() - 1;
            for (element, value) in [
                ("deviceName.name", "hl7rs"),
                ("deviceName.type", "model-name"),
                ("version.value", env!("CARGO_PKG_VERSION")),
            ] {
                let Ok((p, _)) = ElementPath::parse(element) else { continue };
                if let Some(loc) = self.join(&Loc { sink: n, segs: Vec::new() }, &p, row, &origin, None) {
                    self.write(row, &loc, &Value::String(value.into()), origin.clone(), false);
                }
            }
            n
        };
        let Some(url) = self.sinks.get(device).map(|d| format!("urn:uuid:{}", d.id)) else { return };
        if let Some(base) = self.join(&Loc { sink: self.main, segs: Vec::new() }, &path, row, &origin, None) {
            self.write(row, &base, &Value::String(url), origin, false);
        }
    }

    /// The IG's two prose assignments this engine can fill: the transformation time and the
    /// policy (the canonical URL of the message map applied).
    fn prose(&self, constant: &str) -> Option<String> {
        let t = constant.to_ascii_lowercase();
        if !t.starts_with('/') {
            return None;
        }
        if t.contains("timestamp of tran") {
            return self.recorded.clone();
        }
        if t.contains("uri of the policy") {
            return self.policy.clone();
        }
        None
    }

    /// Reads every sink into its typed resource and builds the Bundle: `MessageHeader` first, then
    /// the resources in the order they were made. A resource still invalid after pruning (a
    /// required element missing) is left out with every reference to it, and reported.
    fn assemble(mut self, control: &str, lineage: bool) -> Result<Conversion, MapError> {
        let engine: &Engine = self.engine;
        let mut lineage = lineage.then(Vec::new);
        let mut bundle_root = None;
        let mut typed: Vec<Option<fhir_model::Resource>> = Vec::with_capacity(self.sinks.len());
        let mut dropped = Vec::new();
        for sink in &mut self.sinks {
            if sink.resource == "Bundle" || (sink.root.0.is_empty() && !sink.keep) {
                if sink.resource == "Bundle" {
                    bundle_root = Some(std::mem::take(&mut sink.root));
                }
                typed.push(None);
                continue;
            }
            let t = checked(engine, sink, &mut self.issues)?;
            if t.is_none() {
                dropped.push(format!("urn:uuid:{}", sink.id));
            }
            typed.push(t);
        }
        // Leaving a resource out removes the references to it; a resource that needed one (a
        // Provenance's only target) goes too, and so on (bounded: each round drops one more).
        let mut rounds = 0;
        while !dropped.is_empty() && rounds < 8 {
            rounds += 1;
            let mut next = Vec::new();
            for (n, sink) in self.sinks.iter_mut().enumerate() {
                let mut changed = false;
                if typed.get(n).is_some_and(Option::is_some) {
                    for d in &dropped {
                        changed |= sink.root.remove_reference(d);
                    }
                }
                if !changed {
                    continue;
                }
                let slot = checked(engine, sink, &mut self.issues)?;
                if slot.is_none() {
                    next.push(format!("urn:uuid:{}", sink.id));
                }
                if let Some(s) = typed.get_mut(n) {
                    *s = slot;
                }
            }
            dropped = next;
        }
        let mut entries = Vec::new();
        for (n, (sink, t)) in self.sinks.iter().zip(typed).enumerate() {
            let Some(t) = t else { continue };
            if let Some(all) = lineage.as_mut() {
                for (segs, source, span, row, from_source) in &sink.traced {
                    if let (true, Some(element)) = (*from_source, sink.root.position(segs)) {
                        all.push(LineageEntry {
                            element: format!("{}.{element}", sink.resource),
                            source: *source,
                            span: span.clone(),
                            row: row.clone(),
                        });
                    }
                }
            }
            let entry = BundleEntry {
                full_url: Some(format!("urn:uuid:{}", sink.id).as_str().into()),
                resource: Some(t),
                ..BundleEntry::default()
            };
            entries.push((sink.resource != "MessageHeader", n, entry));
        }
        entries.sort_by_key(|(h, n, _)| (*h, *n));
        let id = self
            .sinks
            .iter()
            .find(|s| s.resource == "Bundle")
            .map_or_else(|| uuid(&[control.as_bytes(), b"Bundle"]), |s| s.id.clone());
        let mut root = bundle_root.unwrap_or_default();
        let mut bundle = match prune(&mut root, "Bundle", &id, &[], &mut self.issues)? {
            fhir_model::Resource::Bundle(b) => *b,
            _ => Bundle::default(),
        };
        bundle.id = Some(id.as_str().into());
        if bundle.type_.is_none() {
            bundle.type_ = Some("message".into());
        }
        bundle.entry = entries.into_iter().map(|(_, _, e)| e).collect();
        Ok(Conversion { bundle, issues: self.issues, lineage, coverage: None, audit: None })
    }

    /// A row whose field is absent applies only as a literal constant whose condition asks for
    /// that absence (`IF MSH-24 NOT VALUED AND MSH-3 NOT VALUED` → a data-absent-reason).
    fn absent_field_row(&mut self, row: &MapRow, path: Path, mut cx: Context<'_, '_>) {
        let Some(constant) = row.constant.as_ref().filter(|c| !c.contains('+') && !c.starts_with('/')) else { return };
        if !row.condition.as_ref().is_some_and(|g| asks_absence(&g.condition, &row.source)) {
            return;
        }
        cx.current = path.field_number().map(|f| (f, 1));
        cx.own = None;
        cx.own_set = true;
        cx.datatype = None;
        if row.condition.as_ref().and_then(|g| cx.evaluate(&g.condition)) != Some(true) {
            return;
        }
        let end = cx.segment().offset() + cx.segment().as_bytes().len();
        let Some(base) =
            self.join(&Loc { sink: self.main, segs: Vec::new() }, &row.target, row, &(path, end..end), Some(1))
        else {
            return;
        };
        self.write(row, &base, &Value::String(constant.clone()), (path, end..end), false);
    }

    /// A row with a datatype map: the map's rows applied to the value at `at`.
    #[allow(clippy::too_many_arguments)]
    fn apply_map<'a, 'v>(
        &mut self,
        dm: &'e crate::matrix::DatatypeMap,
        row: &MapRow,
        node: Node<'a>,
        at: &Loc,
        cx: &Context<'a, 'v>,
        vocabulary: Option<&'v VocabularyMap>,
        depth: usize,
    ) where
        'e: 'v,
    {
        if depth >= MAX_NESTING {
            return self.issue(IssueKind::UnsupportedRow, &node, row);
        }
        // `HD[MessageHeader.source-endpoint]`: the rows are relative to `source`, wherever the
        // row that applies the map points inside it.
        let anchor = dm.name.target().and_then(|t| t.split_once('.')).and_then(|(_, e)| e.split('-').next());
        let base = match anchor.and_then(|a| at.segs.iter().rposition(|s| s.name == a)) {
            Some(i) => Loc { sink: at.sink, segs: at.segs.get(..=i).unwrap_or(&at.segs).to_vec() },
            None => at.clone(),
        };
        // `XCN[Practitioner]` applied at a Reference (`requester(PractitionerRole.practitioner)`):
        // its rows fill a Practitioner of their own, referenced from there.
        let base = match dm.name.target().filter(|t| supported(t)) {
            Some(t) if !base.segs.is_empty() => self.referred(&base, t, row, &(node.path(), node.span())),
            _ => base,
        };
        for sub in &dm.rows {
            let mut inner = *cx;
            inner.datatype = Some(node);
            inner.own = None;
            inner.own_set = false;
            let resolved = inner.resolve(&sub.source);
            // An absent component is mapped only by a literal constant whose condition asks for its
            // absence (`IF NOT VALUED`).
            let literal = sub.constant.as_ref().is_some_and(|c| !c.contains('+'));
            let asks_absence = sub.condition.as_ref().is_some_and(|g| asks_absence(&g.condition, &sub.source));
            let valued = resolved.is_some_and(|c| c.is_valued());
            if !(valued || (literal && asks_absence)) {
                continue;
            }
            let child = resolved.unwrap_or(node);
            inner.own = resolved;
            inner.own_set = true;
            if self.family_row(&base, sub) {
                continue;
            }
            let Some(loc) = self.join(&base, &sub.target, sub, &(child.path(), child.span()), None) else {
                self.issue(IssueKind::UnsupportedRow, &child, sub);
                continue;
            };
            if sub.target.is_empty() {
                self.issue(IssueKind::UnsupportedRow, &child, sub);
                continue;
            }
            let pass = if sub.target.steps().first().is_some_and(|s| s.name() == "$value") { vocabulary } else { None };
            self.apply(sub, child, &loc, inner, pass, depth + 1);
        }
        let scalar = dm.rows.iter().any(|r| r.target.steps().first().is_some_and(|s| s.name() == "$value"));
        if let (Some(v), false) = (cx.vocabulary, scalar) {
            self.translated_coding(row, v, node, at, cx);
        }
    }

    fn apply<'a, 'v>(
        &mut self,
        row: &MapRow,
        node: Node<'a>,
        at: &Loc,
        mut cx: Context<'a, 'v>,
        inherited: Option<&'v VocabularyMap>,
        depth: usize,
    ) where
        'e: 'v,
    {
        let engine: &'e Engine = self.engine;
        cx.vocabulary = row.vocabulary.as_ref().and_then(|v| engine.matrix.vocabularies.get(v.key()));
        if let Some(g) = &row.condition {
            match cx.evaluate(&g.condition) {
                Some(true) => {}
                Some(false) => return,
                None => return self.issue(IssueKind::ConditionUndecided, &node, row),
            }
        }
        let vocabulary = cx.vocabulary.or(inherited);
        if let Some(constant) = &row.constant {
            let Some(text) = self.prose(constant).or_else(|| expression(constant, &cx)) else {
                return self.issue(IssueKind::UnsupportedRow, &node, row);
            };
            return self.write(row, at, &Value::String(text), (node.path(), node.span()), false);
        }
        if let Some(dm) = row.datatype_map.as_ref().and_then(|d| engine.matrix.datatypes.get(d.key())) {
            return self.apply_map(dm, row, node, at, &cx, vocabulary, depth);
        }
        let leaf = node.leaf();
        let text = node.text(cx.decoder()).into_owned();
        let text = match vocabulary {
            Some(v) => match v.lookup(&text, "") {
                Some(m) => m.target_code.clone(),
                None => {
                    return self.issue(
                        IssueKind::UnmappedCode { vocabulary: v.name.to_string(), code: text },
                        &leaf,
                        row,
                    )
                }
            },
            None if is_coding_system(row) => {
                if let Some(uri) = self.coding_system(&text) {
                    uri
                } else {
                    // Kept as sent (the receiver may know it), and reported.
                    let kind = IssueKind::UnmappedCode { vocabulary: "CodingSystem".into(), code: text.clone() };
                    self.issue(kind, &leaf, row);
                    text
                }
            }
            None => text,
        };
        // A row that leaves the FHIR type blank renders a v2 date/time as a dateTime.
        let fhir_type = match (row.fhir_type.as_str(), row.v2_type.as_str()) {
            ("", "DTM" | "TS" | "DT" | "DTN") => "dateTime",
            (t, _) => t,
        };
        let rendered = match fhir_type {
            "date" | "dateTime" | "instant" => match Dtm::parse(text.as_bytes()) {
                Ok(d) if fhir_type == "date" => d.to_fhir_date().as_str().to_owned(),
                Ok(d) if fhir_type == "instant" => {
                    let r = d.to_fhir_date_time(MissingZone::TruncateToDate);
                    if r.time_dropped().is_some() || !r.as_str().contains('T') {
                        return self.issue(IssueKind::InvalidValue { fhir_type: row.fhir_type.clone() }, &leaf, row);
                    }
                    r.as_str().to_owned()
                }
                Ok(d) => {
                    let r = d.to_fhir_date_time(MissingZone::TruncateToDate);
                    if r.time_dropped().is_some() {
                        self.issue(IssueKind::TimeDropped, &leaf, row);
                    }
                    r.as_str().to_owned()
                }
                Err(_) => return self.issue(IssueKind::InvalidValue { fhir_type: row.fhir_type.clone() }, &leaf, row),
            },
            _ => text,
        };
        self.write(row, at, &Value::String(rendered), (leaf.path(), leaf.span()), true);
    }

    /// A row with a vocabulary map whose datatype map builds a `CodeableConcept`: the vocabulary's
    /// (code, display, system) is added as one more `coding`, first; an unmapped code is reported
    /// (the v2 codings stay).
    fn translated_coding(&mut self, row: &MapRow, v: &VocabularyMap, node: Node<'_>, at: &Loc, cx: &Context<'_, '_>) {
        let Some(code) = node.child(1).filter(Node::is_valued) else { return };
        let mut names: Vec<&str> = at.segs.iter().map(|s| s.name.as_str()).collect();
        names.push("coding");
        let resource = self.sinks.get(at.sink).map(|s| s.resource.as_str()).unwrap_or_default();
        if self.engine.shapes_of(resource, &names).last() != Some(&Shape::Objects) {
            return;
        }
        let text = code.text(cx.decoder());
        let Some(m) = v.lookup(&text, "") else {
            let kind = IssueKind::UnmappedCode { vocabulary: v.name.to_string(), code: text.into_owned() };
            return self.issue(kind, &code.leaf(), row);
        };
        let mut base = at.clone();
        base.segs.push(Seg { name: "coding".into(), key: vec![0] });
        for (element, value, traced) in
            [("code", &m.target_code, true), ("display", &m.target_display, false), ("system", &m.target_system, false)]
        {
            if value.is_empty() {
                continue;
            }
            let mut loc = base.clone();
            loc.segs.push(Seg { name: element.into(), key: vec![0] });
            self.write(row, &loc, &Value::String(value.clone()), (code.leaf().path(), code.leaf().span()), traced);
        }
    }

    fn write(&mut self, row: &MapRow, at: &Loc, value: &Value, origin: (Path, Range<usize>), from_source: bool) {
        let Some(resource) = self.sinks.get(at.sink).map(|s| s.resource.clone()) else { return };
        let mut names: Vec<&str> = at.segs.iter().map(|s| s.name.as_str()).collect();
        let mut shapes = self.engine.shapes_of(&resource, &names);
        // The IG names a choice element without its type (`occurred`): the value's type decides.
        let choice;
        let mut at = at;
        let renamed;
        if shapes.last() == Some(&Shape::Unknown) && !shapes.iter().rev().skip(1).any(|s| *s == Shape::Unknown) {
            if let (Some(last), Value::String(v)) = (names.last().copied(), value) {
                let b = v.as_bytes();
                let date = b.len() >= 4
                    && b.iter().take(4).all(u8::is_ascii_digit)
                    && (b.len() == 4 || b.get(4) == Some(&b'-'));
                let ty = if date { "DateTime" } else { "String" };
                choice = format!("{last}{ty}");
                let mut n = names.clone();
                if let Some(l) = n.last_mut() {
                    *l = &choice;
                }
                let s = self.engine.shapes_of(&resource, &n);
                if !s.contains(&Shape::Unknown) {
                    let mut loc = at.clone();
                    if let Some(seg) = loc.segs.last_mut() {
                        seg.name.clone_from(&choice);
                    }
                    renamed = loc;
                    at = &renamed;
                    names = n;
                    shapes = s;
                }
            }
        }
        if shapes.contains(&Shape::Unknown) {
            return self.issue_at(IssueKind::UnknownElement(names.join(".")), origin, row);
        }
        let value = match (shapes.last(), value) {
            (Some(Shape::Prim(p) | Shape::Prims(p)), Value::String(s)) => match p {
                Prim::Str => Some(value.clone()),
                Prim::Bool => match s.as_str() {
                    "true" | "Y" => Some(Value::Bool(true)),
                    "false" | "N" => Some(Value::Bool(false)),
                    _ => None,
                },
                Prim::Num => serde_json::from_str::<serde_json::Number>(s.trim()).ok().map(Value::Number),
                Prim::Int => s.trim().parse::<i32>().ok().map(|i| Value::Number(i.into())),
            },
            _ => None,
        };
        let Some(value) = value else {
            return self.issue_at(IssueKind::InvalidValue { fhir_type: row.fhir_type.clone() }, origin, row);
        };
        let Some(sink) = self.sinks.get_mut(at.sink) else { return };
        if sink.root.set(&at.segs, &shapes, value.clone()).is_ok() {
            sink.traced.push((at.segs.clone(), origin.0, origin.1, row.lineage.clone(), from_source));
            return;
        }
        // Two v2 values sent to one entry of a repeating element (the IG's FN map sends FN.4
        // and FN.5 both to `family.extension[3]`): the later value gets an entry of its own,
        // keyed by its source position, instead of being lost.
        let last = shapes.len().saturating_sub(1);
        if let Some(i) = shapes.iter().take(last).rposition(|s| *s == Shape::Objects) {
            let mut segs = at.segs.clone();
            if let Some(seg) = segs.get_mut(i) {
                seg.key.push(u32::try_from(origin.1.start).unwrap_or(u32::MAX));
            }
            if sink.root.set(&segs, &shapes, value).is_ok() {
                sink.traced.push((segs, origin.0, origin.1, row.lineage.clone(), from_source));
                return;
            }
        }
        self.issue_at(IssueKind::Conflict(names.join(".")), origin, row);
    }
}

impl Obj {
    fn set(&mut self, at: &[Seg], shapes: &[Shape], value: Value) -> Result<(), ()> {
        self.put(at, shapes, value, false).map_err(|_| ())
    }

    /// Sets a value; an occupied place keeps its value (`Err(None)`), or with `force` takes the
    /// new one and returns the old (`Err(Some(old))`, a string value).
    fn put(&mut self, at: &[Seg], shapes: &[Shape], value: Value, force: bool) -> Result<(), Option<String>> {
        let (Some((seg, rest)), Some((shape, more))) = (at.split_first(), shapes.split_first()) else {
            return Err(None);
        };
        let last = rest.is_empty();
        let name = match shape {
            Shape::Prim(_) | Shape::Prims(_) if !last => format!("_{}", seg.name),
            _ => seg.name.clone(),
        };
        let many = matches!(shape, Shape::Objects | Shape::Prims(_));
        let elem = self.0.entry(name).or_insert_with(|| {
            if many {
                Elem::Many(BTreeMap::new())
            } else {
                Elem::One(if last { Val::Prim(Value::Null) } else { Val::Obj(Obj::default()) })
            }
        });
        let slot = match elem {
            Elem::One(v) => v,
            Elem::Many(m) => m.entry(seg.key.clone()).or_insert_with(|| {
                if last {
                    Val::Prim(Value::Null)
                } else {
                    Val::Obj(Obj::default())
                }
            }),
        };
        match slot {
            Val::Prim(p) if last => {
                if p.is_null() {
                    *p = value;
                    Ok(())
                } else if *p == value {
                    Ok(())
                } else if force {
                    let old = std::mem::replace(p, value);
                    Err(old.as_str().map(str::to_owned))
                } else {
                    Err(None)
                }
            }
            Val::Obj(o) if !last => o.put(rest, more, value, force),
            _ => Err(None),
        }
    }

    fn position(&self, at: &[Seg]) -> Option<String> {
        let (seg, rest) = at.split_first()?;
        let (name, elem) = self
            .0
            .get(&seg.name)
            .map(|e| (seg.name.clone(), e))
            .or_else(|| self.0.get(&format!("_{}", seg.name)).map(|e| (seg.name.clone(), e)))?;
        let (text, val) = match elem {
            Elem::One(v) => (name, v),
            Elem::Many(m) => {
                let i = m.keys().position(|k| *k == seg.key)?;
                (format!("{name}[{i}]"), m.get(&seg.key)?)
            }
        };
        match (val, rest.is_empty()) {
            (_, true) => Some(text),
            (Val::Obj(o), false) => Some(format!("{text}.{}", o.position(rest)?)),
            _ => None,
        }
    }

    fn to_json(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for (k, e) in &self.0 {
            let v = match e {
                Elem::One(v) => v.to_json(),
                Elem::Many(m) => Value::Array(m.values().map(Val::to_json).collect()),
            };
            out.insert(k.clone(), v);
        }
        out
    }

    /// Removes every element that holds `reference: url` (an array entry, or a singular element),
    /// and elements left empty by that. Returns whether anything was removed.
    fn remove_reference(&mut self, url: &str) -> bool {
        let mut removed = false;
        let holds = |v: &Val| match v {
            Val::Obj(o) => matches!(o.0.get("reference"), Some(Elem::One(Val::Prim(Value::String(s)))) if s == url),
            Val::Prim(_) => false,
        };
        self.0.retain(|_, e| match e {
            Elem::One(v) if holds(v) => {
                removed = true;
                false
            }
            Elem::One(Val::Obj(o)) => {
                removed |= o.remove_reference(url);
                !o.0.is_empty()
            }
            Elem::One(Val::Prim(_)) => true,
            Elem::Many(m) => {
                m.retain(|_, v| {
                    if holds(v) {
                        removed = true;
                        return false;
                    }
                    if let Val::Obj(o) = v {
                        removed |= o.remove_reference(url);
                        return !o.0.is_empty();
                    }
                    true
                });
                !m.is_empty()
            }
        });
        removed
    }

    /// Removes the element at a FHIRPath-like path with 0-based indexes (`telecom[0].system`).
    fn remove(&mut self, path: &str) -> bool {
        let (head, rest) = match path.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (path, None),
        };
        let (name, index) = match head.split_once('[') {
            Some((n, i)) => (n, i.strip_suffix(']').and_then(|i| i.parse::<usize>().ok())),
            None => (head, None),
        };
        let key = if self.0.contains_key(name) || rest.is_none() { name.to_owned() } else { format!("_{name}") };
        let Some(elem) = self.0.get_mut(&key) else { return false };
        let done = match (elem, index, rest) {
            (Elem::One(_), None, None) => {
                self.0.remove(&key);
                return true;
            }
            (Elem::One(Val::Obj(o)), None, Some(r)) => o.remove(r),
            (Elem::Many(m), Some(i), None) => {
                let Some(k) = m.keys().nth(i).cloned() else { return false };
                m.remove(&k);
                true
            }
            (Elem::Many(m), Some(i), Some(r)) => match m.values_mut().nth(i) {
                Some(Val::Obj(o)) => o.remove(r),
                _ => false,
            },
            _ => false,
        };
        if done {
            let empty = match self.0.get(&key) {
                Some(Elem::Many(m)) => m.is_empty(),
                Some(Elem::One(Val::Obj(o))) => o.0.is_empty(),
                _ => false,
            };
            if empty {
                self.0.remove(&key);
            }
        }
        done
    }
}

impl Val {
    fn to_json(&self) -> Value {
        match self {
            Val::Prim(p) => p.clone(),
            Val::Obj(o) => Value::Object(o.to_json()),
        }
    }
}
