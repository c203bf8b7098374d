//! The structure table (`data/structures.txt`): versions, definitions, trigger events.
//!
//! Maintainer note: the table is read once per process, at the first lookup (`CATALOG`, a
//! `LazyLock`), not by a build script: the data file stays the only source, the reader is the same
//! nom grammar the tests exercise, and a bad line is reported by [`check_table`] (a test) with its
//! line number. Lookups after the first cost a hash of the structure id or message code and a scan
//! of the few version ranges under it; a [`Structure`] borrows its syntax tree from the catalog.

use alloc::vec::Vec;
use core::fmt;
use std::collections::HashMap;
use std::sync::LazyLock;

use super::syntax::{self, Element};
use super::StructureError;
use hl7_core::types::Msg;
use hl7_core::Message;

/// The table, embedded at build time and read once, at first use (`CATALOG`).
const TABLE: &str = include_str!("../../data/structures.txt");

/// An HL7 v2 version (`2.5.1` is major 2, minor 5, patch 1), as sent in MSH-12.1.
///
/// ```
/// use hl7_messaging::structure::Version;
/// let v = Version::parse(b"2.5.1").unwrap();
/// assert_eq!((v.major(), v.minor(), v.patch()), (2, 5, 1));
/// assert_eq!(v.to_string(), "2.5.1");
/// assert!(Version::parse(b"v2").is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    major: u8,
    minor: u8,
    patch: u8,
}

impl Version {
    /// A version from its parts.
    pub const fn new(major: u8, minor: u8, patch: u8) -> Version {
        Version { major, minor, patch }
    }

    /// Reads `2.5` / `2.5.1`; `None` for anything else.
    pub fn parse(bytes: &[u8]) -> Option<Version> {
        let mut parts = bytes.split(|&b| b == b'.');
        let num = |p: Option<&[u8]>| -> Option<u8> {
            let p = p?;
            if p.is_empty() || p.len() > 2 || !p.iter().all(u8::is_ascii_digit) {
                return None;
            }
            p.iter().try_fold(0u8, |n, d| n.checked_mul(10)?.checked_add(d - b'0'))
        };
        let major = num(parts.next())?;
        let minor = num(parts.next())?;
        let patch = match parts.next() {
            None => 0,
            some => num(some)?,
        };
        parts.next().is_none().then_some(Version { major, minor, patch })
    }

    /// The version a message declares in MSH-12.1, if it reads as one.
    pub fn of_message(msg: &Message<'_>) -> Option<Version> {
        let vid = msg.segment(b"MSH")?.field(12)?.repetition(1)?.component(1)?;
        Version::parse(vid.as_bytes())
    }

    /// Major number (2).
    pub fn major(&self) -> u8 {
        self.major
    }

    /// Minor number (5 in 2.5.1).
    pub fn minor(&self) -> u8 {
        self.minor
    }

    /// Patch number (1 in 2.5.1; 0 when absent).
    pub fn patch(&self) -> u8 {
        self.patch
    }

    /// The version whose rules apply: versions before 2.3 use 2.3's, after 2.8 use 2.8's.
    pub(crate) fn clamped(self) -> (u8, u8) {
        (self.major, self.minor).clamp((2, 3), (2, 8))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)?;
        if self.patch != 0 {
            write!(f, ".{}", self.patch)?;
        }
        Ok(())
    }
}

/// `2.5`, `2.3-2.4`, `2.5+` → inclusive (major, minor) bounds; `None` when malformed.
pub(crate) fn parse_range(text: &str) -> Option<((u8, u8), (u8, u8))> {
    let mm = |t: &str| Version::parse(t.as_bytes()).map(|v| (v.major, v.minor));
    if let Some(lo) = text.strip_suffix('+') {
        return Some((mm(lo)?, (u8::MAX, u8::MAX)));
    }
    match text.split_once('-') {
        Some((lo, hi)) => Some((mm(lo)?, mm(hi)?)),
        None => mm(text).map(|v| (v, v)),
    }
}

/// Inclusive (major, minor) bounds of a version range, as [`parse_range`] reads them.
type Range = ((u8, u8), (u8, u8));

/// A definition line (`STRUCTURE VERSIONS = syntax`), parsed once.
struct Definition {
    id: &'static str,
    versions: &'static str,
    /// `None` when the versions text is malformed (the line then applies to no version).
    range: Option<Range>,
    /// The syntax tree, or why the line does not parse.
    root: Result<Element, syntax::SyntaxError>,
    line: usize,
}

/// An event line (`EVENT CODE TRIGGER VERSIONS STRUCTURE`), read once.
struct Event {
    trigger: &'static str,
    range: Option<Range>,
    structure: &'static str,
    line: usize,
}

/// The structure table read once, at first use: every definition parsed, indexed by structure id,
/// and the event table indexed by message code. Lookups then cost a hash and a short scan.
struct Catalog {
    /// In table order.
    definitions: Vec<Definition>,
    /// Structure id → positions in `definitions`, in table order.
    by_id: HashMap<&'static str, Vec<usize>>,
    /// In table order.
    events: Vec<Event>,
    /// Message code → positions in `events`, in table order.
    events_by_code: HashMap<&'static str, Vec<usize>>,
}

impl Catalog {
    fn load() -> Catalog {
        let mut catalog = Catalog {
            definitions: Vec::new(),
            by_id: HashMap::new(),
            events: Vec::new(),
            events_by_code: HashMap::new(),
        };
        for (i, line) in TABLE.lines().enumerate() {
            let mut words = line.split_whitespace();
            if words.next() == Some("EVENT") {
                if let (Some(code), Some(trigger), Some(versions), Some(structure)) =
                    (words.next(), words.next(), words.next(), words.next())
                {
                    catalog.events_by_code.entry(code).or_default().push(catalog.events.len());
                    let range = parse_range(versions);
                    catalog.events.push(Event { trigger, range, structure, line: i + 1 });
                }
            }
            let Some((head, text)) = line.split_once('=') else { continue };
            let mut words = head.split_whitespace();
            let (Some(id), Some(versions)) = (words.next(), words.next()) else { continue };
            if id.starts_with('#') {
                continue;
            }
            catalog.by_id.entry(id).or_default().push(catalog.definitions.len());
            let root = syntax::parse(id, text);
            catalog.definitions.push(Definition { id, versions, range: parse_range(versions), root, line: i + 1 });
        }
        catalog
    }

    /// The first definition of `id` whose range holds `at` (clamped version).
    fn definition(&self, id: &str, at: (u8, u8)) -> Option<&Definition> {
        let positions = self.by_id.get(id)?;
        positions.iter().filter_map(|&i| self.definitions.get(i)).find(|d| in_range(d.range, at))
    }
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::load);

fn in_range(range: Option<Range>, at: (u8, u8)) -> bool {
    range.is_some_and(|(lo, hi)| lo <= at && at <= hi)
}

/// A value as trimmed text; `None` when absent, empty or not UTF-8.
fn text(v: Option<hl7_core::Value<'_>>) -> Option<&str> {
    v.and_then(|v| core::str::from_utf8(v.as_bytes()).ok().map(str::trim)).filter(|s| !s.is_empty())
}

/// A message structure of one HL7 version range (e.g. `ORU_R01` for 2.5–2.7), read from the table.
/// Cheap to copy: the syntax tree is the table's, parsed once for the whole process.
///
/// ```
/// use hl7_messaging::structure::{Structure, Version};
/// let oru = Structure::find("ORU_R01", Version::new(2, 5, 1)).unwrap();
/// assert_eq!(oru.id(), "ORU_R01");
/// assert!(oru.segment_ids().any(|id| &id == b"OBX"));
/// assert!(Structure::find("XYZ_Z99", Version::new(2, 5, 1)).is_none());
/// ```
#[derive(Clone, Copy)]
pub struct Structure {
    pub(crate) id: &'static str,
    pub(crate) versions: &'static str,
    pub(crate) root: &'static Element,
}

impl fmt::Debug for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Structure").field("id", &self.id).field("versions", &self.versions).finish_non_exhaustive()
    }
}

impl Structure {
    /// The structure `id` (`ADT_A01`, `ORU_R01`, `ACK`…) that applies to `version` (before 2.3 the
    /// 2.3 rules, after 2.8 the 2.8 rules); `None` when the table has no such structure.
    pub fn find(id: &str, version: Version) -> Option<Structure> {
        let d = CATALOG.definition(id, version.clamped())?;
        let root = d.root.as_ref().ok()?;
        Some(Structure { id: d.id, versions: d.versions, root })
    }

    /// The structure of a message: MSH-9.3 when it names a known structure, else the trigger event
    /// (MSH-9.1 + MSH-9.2) looked up for the version in MSH-12 (2.5 when MSH-12 is unreadable).
    ///
    /// ```
    /// use hl7_core::Message;
    /// use hl7_messaging::structure::Structure;
    /// let msg = Message::parse(b"MSH|^~\\&|A|B|C|D|20240101||ADT^A08|1|P|2.4\rEVN|A08\r").unwrap();
    /// assert_eq!(Structure::for_message(&msg).unwrap().id(), "ADT_A01");
    /// ```
    pub fn for_message(msg: &Message<'_>) -> Result<Structure, StructureError> {
        let version = Version::of_message(msg).unwrap_or(Version::new(2, 5, 0));
        let msh9 =
            msg.segment(b"MSH").and_then(|s| s.field(9)).map(Msg::from_field).ok_or(StructureError::NoMessageType)?;
        if let Some(declared) = text(msh9.message_structure()) {
            if let Some(found) = Structure::find(declared, version) {
                return Ok(found);
            }
        }
        let code = text(msh9.message_code()).ok_or(StructureError::NoMessageType)?;
        let trigger = text(msh9.trigger_event()).unwrap_or("");
        let id = structure_id_for(code, trigger, version).ok_or(StructureError::UnknownStructure)?;
        Structure::find(id, version).ok_or(StructureError::UnknownStructure)
    }

    /// The structure id (`ADT_A01`).
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The version range the definition covers, as written in the table (`2.5+`, `2.3-2.4`).
    pub fn versions(&self) -> &'static str {
        self.versions
    }

    /// Every segment id the structure mentions, in definition order (repeats included).
    pub fn segment_ids(&self) -> impl Iterator<Item = [u8; 3]> {
        let mut ids = alloc::vec::Vec::new();
        self.root.for_each_segment(&mut |s| ids.push(s));
        ids.into_iter()
    }

    /// Every place a segment can take: the group names around it (message level left out) and the
    /// segment id, in definition order.
    ///
    /// ```
    /// use hl7_messaging::structure::{Structure, Version};
    /// let oru = Structure::find("ORU_R01", Version::new(2, 5, 1)).unwrap();
    /// let obx: Vec<_> = oru.placements().into_iter().filter(|(_, id)| id == b"OBX").map(|(g, _)| g.join(".")).collect();
    /// assert_eq!(obx, ["PATIENT_RESULT.ORDER_OBSERVATION.OBSERVATION", "PATIENT_RESULT.ORDER_OBSERVATION.SPECIMEN"]);
    /// ```
    pub fn placements(&self) -> alloc::vec::Vec<(alloc::vec::Vec<&'static str>, [u8; 3])> {
        let mut out = alloc::vec::Vec::new();
        let mut groups = alloc::vec::Vec::new();
        self.root.for_each_placement(&mut groups, &mut |g, id| {
            // The first name is the structure itself.
            out.push((g.get(1..).unwrap_or_default().to_vec(), id));
        });
        out
    }

    /// Whether the structure mentions segment `id` anywhere.
    pub fn mentions(&self, id: &[u8]) -> bool {
        self.root.mentions(id)
    }
}

/// The structure id a trigger event uses in `version` (`ADT`, `A04`, 2.5 → `ADT_A01`).
///
/// ```
/// use hl7_messaging::structure::{structure_id_for, Version};
/// assert_eq!(structure_id_for("SIU", "S14", Version::new(2, 3, 1)), Some("SIU_S12"));
/// assert_eq!(structure_id_for("ACK", "R01", Version::new(2, 5, 1)), Some("ACK"));
/// assert_eq!(structure_id_for("ZZZ", "Z01", Version::new(2, 5, 1)), None);
/// ```
pub fn structure_id_for(code: &str, trigger: &str, version: Version) -> Option<&'static str> {
    let at = version.clamped();
    let positions = CATALOG.events_by_code.get(code)?;
    positions
        .iter()
        .filter_map(|&i| CATALOG.events.get(i))
        .find(|e| (e.trigger == trigger || e.trigger == "*") && in_range(e.range, at))
        .map(|e| e.structure)
}

/// Checks every line of the table: each definition parses and each event names a structure defined
/// for its versions. Returns the line number of the first bad line.
///
/// ```
/// assert_eq!(hl7_messaging::structure::check_table(), Ok(()));
/// ```
pub fn check_table() -> Result<(), usize> {
    for d in &CATALOG.definitions {
        if d.range.is_none() || d.root.is_err() {
            return Err(d.line);
        }
    }
    for e in &CATALOG.events {
        let (lo, _) = e.range.ok_or(e.line)?;
        if Structure::find(e.structure, Version::new(lo.0, lo.1, 0)).is_none() {
            return Err(e.line);
        }
    }
    Ok(())
}

/// Every structure in the table, one per definition line.
///
/// ```
/// let all: Vec<_> = hl7_messaging::structure::all_structures().collect();
/// assert!(all.iter().any(|s| s.id() == "VXU_V04"));
/// ```
pub fn all_structures() -> impl Iterator<Item = Structure> {
    CATALOG
        .definitions
        .iter()
        .filter_map(|d| d.root.as_ref().ok().map(|root| Structure { id: d.id, versions: d.versions, root }))
}
