//! The engine: a [`Matrix`] run on a message. Every segment that has a segment map gives one
//! resource per occurrence (`MSH[MessageHeader]` first), filled by the map's rows through the
//! datatype and vocabulary maps; a row that steps into another resource
//! (`sender(Organization)`, `assigner(Organization)`) fills a resource of its own, created once per
//! referring element and referenced by its `urn:uuid:` fullUrl. The result is a `message` Bundle:
//! the `MessageHeader` first, then the resources in segment order. Ids are UUID-shaped hashes of
//! MSH-10, the segment position and the referring element: the same input gives the same bytes.
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
//! let out = engine.convert_with(&msg, ConvertOptions { lineage: true })?;
//! let types: Vec<&str> = out.bundle.entry.iter().filter_map(|e| e.resource.as_ref()).map(|r| r.resource_type()).collect();
//! // MSH → MessageHeader (MSH-4 → its sender Organization); PID → Patient (PID-3.4 → assigner).
//! assert_eq!(types, ["MessageHeader", "Organization", "Patient", "Organization"]);
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
use hl7_messaging::text::TextDecoder;
use serde_json::{Map, Value};

use crate::condition::{Condition, Operand};
use crate::datatypes::{MissingZone, ToFhirDate, ToFhirDateTime};
use crate::element::{ElementPath, Index};
use crate::error::MatrixError;
use crate::eval::{Context, Node};
use crate::matrix::{Lineage, MapRow, Matrix, VocabularyMap};
use crate::source::{parse_reference, Scope, Source};

/// The built-in matrix files: (path under `mappings/`, text).
const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// Deepest datatype-map nesting followed (load guarantees no cycle; this bounds the work).
const MAX_NESTING: usize = 8;

/// A compiled engine.
pub struct Engine {
    matrix: Matrix,
    shapes: RwLock<HashMap<String, Shape>>,
}

/// What a conversion may add.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConvertOptions {
    /// Record lineage.
    pub lineage: bool,
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
    Num,
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
    /// # Errors
    /// [`MapError::Output`] when the assembled output is not FHIR R4.
    pub fn convert_with(&self, msg: &Message<'_>, options: ConvertOptions) -> Result<Conversion, MapError> {
        let decoder = TextDecoder::new(msg);
        let control = msg.query("MSH-10").ok().flatten().map(|v| decoder.value(v).into_owned()).unwrap_or_default();
        let mut entries = Vec::new();
        let mut issues = Vec::new();
        let mut lineage = options.lineage.then(Vec::new);
        for (index, seg) in msg.segments().enumerate() {
            for map in self.matrix.segments.values().filter(|m| m.name.base().as_bytes() == seg.id()) {
                let Some(resource) = map.name.target() else { continue };
                let seed = format!("{control}\u{1f}{index}");
                let id = uuid(&[control.as_bytes(), index.to_string().as_bytes(), resource.as_bytes()]);
                let main = Sink {
                    resource: resource.to_owned(),
                    id,
                    root: Obj::default(),
                    traced: Vec::new(),
                    referrer: None,
                    key: String::new(),
                };
                let mut run = Run { engine: self, seed, sinks: vec![main], issues: Vec::new() };
                for row in &map.rows {
                    run.segment_row(row, Context::new(seg, &decoder));
                }
                run.link();
                let header = resource == "MessageHeader";
                for (n, sink) in run.sinks.iter_mut().enumerate() {
                    if sink.root.0.is_empty() && n > 0 {
                        continue;
                    }
                    let typed = prune(&mut sink.root, &sink.resource, &sink.id, &sink.traced, &mut run.issues)?;
                    if let Some(all) = lineage.as_mut() {
                        for (segs, source, span, row, from_source) in &sink.traced {
                            if let (true, Some(element)) = (*from_source, sink.root.position(segs)) {
                                let element = format!("{}.{element}", sink.resource);
                                all.push(LineageEntry {
                                    element,
                                    source: *source,
                                    span: span.clone(),
                                    row: row.clone(),
                                });
                            }
                        }
                    }
                    let entry = BundleEntry {
                        full_url: Some(format!("urn:uuid:{}", sink.id).as_str().into()),
                        resource: Some(typed),
                        ..BundleEntry::default()
                    };
                    entries.push((!header || n > 0, index, n, entry));
                }
                issues.extend(run.issues);
            }
        }
        entries.sort_by_key(|(h, i, n, _)| (*h, *i, *n));
        let bundle = Bundle {
            id: Some(uuid(&[control.as_bytes(), b"Bundle"])),
            type_: Some("message".into()),
            entry: entries.into_iter().map(|(_, _, _, e)| e).collect(),
            ..Bundle::default()
        };
        Ok(Conversion { bundle, issues, lineage })
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
                Shape::Prims(Prim::Num)
            } else {
                Shape::Prims(Prim::Str)
            }
        } else if probe("{}").is_ok() {
            Shape::Object
        } else if probe("true").is_ok() {
            Shape::Prim(Prim::Bool)
        } else if probe("1").is_ok() {
            Shape::Prim(Prim::Num)
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
                out.segs.last_mut()?.key.push(n);
                continue;
            }
            if !(i == 0 && out.segs.last().is_some_and(|l| l.name == step.name())) {
                let mut key = seg_key(step.index());
                if let (Some(r), true) = (rep, out.segs.is_empty() && out.sink == 0) {
                    key.push(r);
                }
                out.segs.push(Seg { name: step.name().to_owned(), key });
            }
            if let Some(r) = step.reference() {
                let resource = r.types().first()?.clone();
                let path: Vec<String> = out.segs.iter().map(|s| format!("{}{:?}", s.name, s.key)).collect();
                let key = format!("{}|{}|{resource}{}", out.sink, path.join("."), r.index());
                let sink = if let Some(n) = self.sinks.iter().position(|s| s.key == key) {
                    n
                } else {
                    let id = uuid(&[self.seed.as_bytes(), key.as_bytes()]);
                    let referrer = Some((out.sink, out.segs.clone(), row.lineage.clone(), origin.clone()));
                    self.sinks.push(Sink { resource, id, root: Obj::default(), traced: Vec::new(), referrer, key });
                    self.sinks.len() - 1
                };
                let inner = self.join(&Loc { sink, segs: Vec::new() }, r.path(), row, origin, None)?;
                out = inner;
            }
        }
        Some(out)
    }

    /// Writes each referred resource's reference into its referrer (last created first, so a
    /// chain resolves); a resource nothing was written into is dropped with its reference.
    fn link(&mut self) {
        for n in (1..self.sinks.len()).rev() {
            let Some(sink) = self.sinks.get(n) else { continue };
            let Some((parent, segs, row, origin)) = sink.referrer.clone() else { continue };
            if sink.root.0.is_empty() {
                continue;
            }
            let value = Value::String(format!("urn:uuid:{}", sink.id));
            let mut segs = segs;
            segs.push(Seg { name: "reference".into(), key: vec![0] });
            let Some(resource) = self.sinks.get(parent).map(|p| p.resource.clone()) else { continue };
            let names: Vec<&str> = segs.iter().map(|s| s.name.as_str()).collect();
            let shapes = self.engine.shapes_of(&resource, &names);
            let ok = !shapes.contains(&Shape::Unknown)
                && self.sinks.get_mut(parent).is_some_and(|p| p.root.set(&segs, &shapes, value).is_ok());
            if !ok {
                let element = format!("{resource}.{}", names.join("."));
                self.issues.push(MapIssue {
                    kind: IssueKind::UnknownElement(element),
                    source: origin.0,
                    span: origin.1,
                    row,
                });
                if let Some(s) = self.sinks.get_mut(n) {
                    s.root = Obj::default();
                }
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
        let Some(f) = p.field_number() else { return };
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
            let Some(base) = self.join(&Loc { sink: 0, segs: Vec::new() }, &row.target, row, &origin, rep_key) else {
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
        let Some(base) = self.join(&Loc { sink: 0, segs: Vec::new() }, &row.target, row, &(path, end..end), Some(1))
        else {
            return;
        };
        self.write(row, &base, &Value::String(constant.clone()), (path, end..end), false);
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
            let Some(text) = expression(constant, &cx) else {
                return self.issue(IssueKind::UnsupportedRow, &node, row);
            };
            return self.write(row, at, &Value::String(text), (node.path(), node.span()), false);
        }
        if let Some(dm) = row.datatype_map.as_ref().and_then(|d| engine.matrix.datatypes.get(d.key())) {
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
            for sub in &dm.rows {
                let mut inner = cx;
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
                let Some(loc) = self.join(&base, &sub.target, sub, &(child.path(), child.span()), None) else {
                    self.issue(IssueKind::UnsupportedRow, &child, sub);
                    continue;
                };
                if sub.target.is_empty() {
                    self.issue(IssueKind::UnsupportedRow, &child, sub);
                    continue;
                }
                let pass =
                    if sub.target.steps().first().is_some_and(|s| s.name() == "$value") { vocabulary } else { None };
                self.apply(sub, child, &loc, inner, pass, depth + 1);
            }
            let scalar = dm.rows.iter().any(|r| r.target.steps().first().is_some_and(|s| s.name() == "$value"));
            if let (Some(v), false) = (cx.vocabulary, scalar) {
                self.translated_coding(row, v, node, at, &cx);
            }
            return;
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
            None => text,
        };
        let rendered = match row.fhir_type.as_str() {
            "date" | "dateTime" | "instant" => match Dtm::parse(text.as_bytes()) {
                Ok(d) if row.fhir_type == "date" => d.to_fhir_date().as_str().to_owned(),
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
        let names: Vec<&str> = at.segs.iter().map(|s| s.name.as_str()).collect();
        let Some(resource) = self.sinks.get(at.sink).map(|s| s.resource.clone()) else { return };
        let shapes = self.engine.shapes_of(&resource, &names);
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
            },
            _ => None,
        };
        let Some(value) = value else {
            return self.issue_at(IssueKind::InvalidValue { fhir_type: row.fhir_type.clone() }, origin, row);
        };
        let Some(sink) = self.sinks.get_mut(at.sink) else { return };
        match sink.root.set(&at.segs, &shapes, value) {
            Ok(()) => sink.traced.push((at.segs.clone(), origin.0, origin.1, row.lineage.clone(), from_source)),
            Err(()) => self.issue_at(IssueKind::Conflict(names.join(".")), origin, row),
        }
    }
}

impl Obj {
    fn set(&mut self, at: &[Seg], shapes: &[Shape], value: Value) -> Result<(), ()> {
        let (Some((seg, rest)), Some((shape, more))) = (at.split_first(), shapes.split_first()) else {
            return Err(());
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
                } else {
                    Err(())
                }
            }
            Val::Obj(o) if !last => o.set(rest, more, value),
            _ => Err(()),
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
