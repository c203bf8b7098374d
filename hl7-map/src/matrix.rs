//! The mapping matrix as data: message maps, segment maps, datatype maps and vocabulary maps,
//! every row compiled (v2 source as a [`Source`], condition as a [`Condition`] AST, FHIR target as
//! an [`ElementPath`]) and carrying the file and row it came from.
//!
//! Maintainer note: maps are keyed by a normalized name ([`MapName`]) because the IG refers to
//! its own files inconsistently (`CWE[code]` vs file `CWE[Code]`, vocabulary `Yes/NoIndicator` vs
//! file `YesNoIndicator`). Loading ([`crate::load`]) checks every reference once, so the engine
//! can look maps up without a failure path.

use core::fmt;
use std::collections::BTreeMap;

use crate::condition::Condition;
use crate::element::ElementPath;
use crate::error::{MatrixError, MatrixErrorKind};
use crate::source::Source;

/// A map's name as written, and the key it is looked up by: ASCII lower case without blanks and
/// `/` (`Yes/NoIndicator` = `YesNoIndicator`, `CWE[code]` = `CWE[Code]`).
///
/// ```
/// use hl7_map::matrix::MapName;
/// assert_eq!(MapName::new("Yes/NoIndicator"), MapName::new("YesNoIndicator"));
/// assert_eq!(MapName::new("CWE[code]").key(), "cwe[code]");
/// assert_eq!(MapName::new("Contact Role").as_str(), "Contact Role");
/// assert_eq!(MapName::new("XPN[HumanName]").base(), "XPN");
/// ```
#[derive(Clone, Debug, Eq)]
pub struct MapName {
    text: String,
    key: String,
}

impl MapName {
    /// A name as written.
    ///
    /// ```
    /// assert_eq!(hl7_map::matrix::MapName::new(" PID[Patient] ").as_str(), "PID[Patient]");
    /// ```
    pub fn new(text: &str) -> MapName {
        let text = text.trim().to_owned();
        let key = text.chars().filter(|c| !c.is_whitespace() && *c != '/').map(|c| c.to_ascii_lowercase()).collect();
        MapName { text, key }
    }

    /// The name as written.
    ///
    /// ```
    /// assert_eq!(hl7_map::matrix::MapName::new("MaritalStatus").as_str(), "MaritalStatus");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The lookup key.
    ///
    /// ```
    /// assert_eq!(hl7_map::matrix::MapName::new("Contact Role").key(), "contactrole");
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The part before `[`: the v2 segment or datatype of a segment or datatype map.
    ///
    /// ```
    /// assert_eq!(hl7_map::matrix::MapName::new("CX[Identifier]").base(), "CX");
    /// ```
    pub fn base(&self) -> &str {
        self.text.split('[').next().unwrap_or_default().trim()
    }

    /// The part in brackets: the FHIR resource or datatype produced (`Identifier`).
    ///
    /// ```
    /// assert_eq!(hl7_map::matrix::MapName::new("CX[Identifier]").target(), Some("Identifier"));
    /// ```
    pub fn target(&self) -> Option<&str> {
        let (_, rest) = self.text.split_once('[')?;
        rest.strip_suffix(']')
    }
}

impl PartialEq for MapName {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl fmt::Display for MapName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Where a row came from: a file name (relative to its matrix directory) and a 1-based row.
///
/// ```
/// let l = hl7_map::matrix::Lineage { file: "PID[Patient].csv".into(), row: 7 };
/// assert_eq!(l.to_string(), "PID[Patient].csv:7");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Lineage {
    /// File name.
    pub file: String,
    /// Row, 1-based (in the IG files the column names are on row 2).
    pub row: usize,
}

impl fmt::Display for Lineage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.row)
    }
}

/// Minimum and maximum occurrences; `max: None` is unbounded (`-1` or `*` in the files).
///
/// ```
/// let c = hl7_map::matrix::Cardinality::parse("0", "-1").unwrap();
/// assert_eq!((c.min, c.max), (0, None));
/// assert_eq!(c.to_string(), "0..*");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Cardinality {
    /// Minimum.
    pub min: u32,
    /// Maximum, `None` for unbounded.
    pub max: Option<u32>,
}

impl Cardinality {
    /// From the two cells; blank cells are `0` and unbounded; the IG's `0..2` in the min cell is
    /// read as both.
    ///
    /// ```
    /// use hl7_map::matrix::Cardinality;
    /// assert_eq!(Cardinality::parse("0..2", "").unwrap(), Cardinality { min: 0, max: Some(2) });
    /// assert!(Cardinality::parse("x", "1").is_none());
    /// ```
    pub fn parse(min: &str, max: &str) -> Option<Cardinality> {
        let (min, max) = match min.split_once("..") {
            Some((a, b)) if max.trim().is_empty() => (a, b),
            _ => (min, max),
        };
        let min = match min.trim() {
            "" => 0,
            m => m.parse().ok()?,
        };
        let max = match max.trim() {
            "" | "-1" | "*" => None,
            m => Some(m.parse().ok()?),
        };
        Some(Cardinality { min, max })
    }
}

impl fmt::Display for Cardinality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(m) => write!(f, "{}..{m}", self.min),
            None => write!(f, "{}..*", self.min),
        }
    }
}

/// A compiled condition with the text it was compiled from (kept for lineage and for writing the
/// matrix back).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    /// The text as written.
    pub text: String,
    /// The AST.
    pub condition: Condition,
}

/// One row of a segment map or a datatype map: a v2 element to a FHIR element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapRow {
    /// Key within its map; a site row with the same key replaces this row.
    pub key: String,
    /// The v2 element read (a segment path, or a component of the mapped datatype).
    pub source: Source,
    /// The v2 datatype of the source, as written (may be empty).
    pub v2_type: String,
    /// When the row applies.
    pub condition: Option<Guard>,
    /// The FHIR element written.
    pub target: ElementPath,
    /// The FHIR datatype of the target, as written (may be empty).
    pub fhir_type: String,
    /// FHIR cardinality of the target.
    pub cardinality: Cardinality,
    /// The datatype map that renders the source, if any.
    pub datatype_map: Option<MapName>,
    /// The vocabulary map that translates the code, if any.
    pub vocabulary: Option<MapName>,
    /// A constant assigned to the target (the IG's "Assignment" column, unquoted).
    pub constant: Option<String>,
    /// This row's own place.
    pub lineage: Lineage,
    /// The IG row this row implements (project files name it; IG rows are their own).
    pub implements: Option<Lineage>,
}

/// A segment map: one segment → one resource (`PID[Patient]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentMap {
    /// `SEG[Resource]`.
    pub name: MapName,
    /// File it was read from.
    pub file: String,
    /// The rows, in file order.
    pub rows: Vec<MapRow>,
}

/// A datatype map: one v2 datatype → one FHIR datatype or resource (`XPN[HumanName]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatatypeMap {
    /// `DT[Target]`.
    pub name: MapName,
    /// File it was read from.
    pub file: String,
    /// The rows, in file order.
    pub rows: Vec<MapRow>,
}

/// One code of a vocabulary map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeMapping {
    /// The v2 code.
    pub code: String,
    /// The v2 code's text (documentation).
    pub text: String,
    /// The v2 table or code system (`HL70001`).
    pub table: String,
    /// When the mapping applies.
    pub condition: Option<Guard>,
    /// FHIR code.
    pub target_code: String,
    /// FHIR display.
    pub target_display: String,
    /// FHIR code system URI.
    pub target_system: String,
    /// Where it came from.
    pub lineage: Lineage,
    /// The IG row it implements.
    pub implements: Option<Lineage>,
}

impl CodeMapping {
    /// The key a site mapping replaces by: table and code.
    ///
    /// ```
    /// # use hl7_map::matrix::{CodeMapping, Lineage};
    /// let m = CodeMapping { code: "F".into(), text: String::new(), table: "HL70001".into(), condition: None,
    ///     target_code: "female".into(), target_display: String::new(), target_system: String::new(),
    ///     lineage: Lineage { file: "x.csv".into(), row: 2 }, implements: None };
    /// assert_eq!(m.key(), "HL70001|F");
    /// ```
    pub fn key(&self) -> String {
        format!("{}|{}", self.table, self.code)
    }
}

/// A vocabulary map: (v2 code, table) → (FHIR code, display, system).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VocabularyMap {
    /// Name (`AdministrativeSex`).
    pub name: MapName,
    /// File it was read from.
    pub file: String,
    /// The codes, in file order.
    pub codes: Vec<CodeMapping>,
}

impl VocabularyMap {
    /// The mapping for a code of a table (the first unconditional one; the table may be empty in
    /// the call to match any).
    ///
    /// ```
    /// let m = hl7_map::load::read_vocabulary_csv("Sex.csv", "code,table,target_code,target_system\nF,HL70001,female,http://hl7.org/fhir/administrative-gender\n")?;
    /// assert_eq!(m.lookup("F", "HL70001").unwrap().target_code, "female");
    /// assert!(m.lookup("X", "HL70001").is_none());
    /// # Ok::<(), hl7_map::error::MatrixError>(())
    /// ```
    pub fn lookup(&self, code: &str, table: &str) -> Option<&CodeMapping> {
        self.codes.iter().find(|c| c.code == code && (table.is_empty() || c.table.eq_ignore_ascii_case(table)))
    }
}

/// A link the message map asks for between produced resources
/// (`Account.subject.reference=Patient[1].id`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceLink {
    /// The element set, starting with the resource (`Account.subject.reference`).
    pub from: ElementPath,
    /// What it is set to: a resource path (`Patient[1].id`) or a quoted constant.
    pub to: LinkTarget,
}

/// The right side of a [`ResourceLink`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkTarget {
    /// Another produced resource (or its element).
    Resource(ElementPath),
    /// A constant.
    Constant(String),
}

/// One row of a message map: a segment (or group) of a message structure → a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRow {
    /// Key within its map.
    pub key: String,
    /// The structure position (`ADT_A01.PID`).
    pub position: String,
    /// The segment id (`PID`), from the syntax column; `None` for a group row.
    pub segment: Option<String>,
    /// The v2 syntax as written (`[{ SFT }]`).
    pub syntax: String,
    /// v2 cardinality.
    pub cardinality: Cardinality,
    /// When the row applies.
    pub condition: Option<Guard>,
    /// The resource produced, with its instance (`Patient[1]`, `Provenance[1].entity.what(Device)`).
    pub resource: ElementPath,
    /// The segment map that fills it.
    pub segment_map: Option<MapName>,
    /// Links to set between resources.
    pub links: Vec<ResourceLink>,
    /// Where it came from.
    pub lineage: Lineage,
    /// The IG row it implements.
    pub implements: Option<Lineage>,
}

/// A message map: one message structure (`ADT_A01`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageMap {
    /// Name (`ADT_A01`).
    pub name: MapName,
    /// File it was read from.
    pub file: String,
    /// The rows, in file order.
    pub rows: Vec<MessageRow>,
}

/// Rows compiled and rows reported for one kind of table.
///
/// ```
/// let t = hl7_map::matrix::Tally::default();
/// assert_eq!(t.compiled + t.reported + t.unmapped, 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Files read.
    pub files: usize,
    /// Rows compiled into the matrix.
    pub compiled: usize,
    /// Rows that could not be compiled (each has a [`MatrixError`] in [`Matrix::reported`]).
    pub reported: usize,
    /// Rows that map nothing (the IG lists every field, mapped or not).
    pub unmapped: usize,
}

/// Figures of a load, per table kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Message maps.
    pub message: Tally,
    /// Segment maps.
    pub segment: Tally,
    /// Datatype maps.
    pub datatype: Tally,
    /// Vocabulary maps.
    pub vocabulary: Tally,
}

/// A whole matrix: every map by name, and what loading it reported.
///
/// ```
/// let m = hl7_map::matrix::Matrix::default();
/// assert!(m.segment_map("PID[Patient]").is_none());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Matrix {
    /// Message maps by key.
    pub messages: BTreeMap<String, MessageMap>,
    /// Segment maps by key.
    pub segments: BTreeMap<String, SegmentMap>,
    /// Datatype maps by key.
    pub datatypes: BTreeMap<String, DatatypeMap>,
    /// Vocabulary maps by key.
    pub vocabularies: BTreeMap<String, VocabularyMap>,
    /// Rows the loader could not compile (IG tables only: project files fail instead).
    pub reported: Vec<MatrixError>,
    /// Figures of the load.
    pub figures: Figures,
}

impl Matrix {
    /// A message map by name (any case).
    ///
    /// ```
    /// assert!(hl7_map::matrix::Matrix::default().message_map("ADT_A01").is_none());
    /// ```
    pub fn message_map(&self, name: &str) -> Option<&MessageMap> {
        self.messages.get(MapName::new(name).key())
    }

    /// A segment map by name (any case).
    ///
    /// ```
    /// assert!(hl7_map::matrix::Matrix::default().segment_map("pid[patient]").is_none());
    /// ```
    pub fn segment_map(&self, name: &str) -> Option<&SegmentMap> {
        self.segments.get(MapName::new(name).key())
    }

    /// A datatype map by name (any case).
    ///
    /// ```
    /// assert!(hl7_map::matrix::Matrix::default().datatype_map("CX[Identifier]").is_none());
    /// ```
    pub fn datatype_map(&self, name: &str) -> Option<&DatatypeMap> {
        self.datatypes.get(MapName::new(name).key())
    }

    /// A vocabulary map by name (any case, `/` and blanks ignored).
    ///
    /// ```
    /// assert!(hl7_map::matrix::Matrix::default().vocabulary("Yes/NoIndicator").is_none());
    /// ```
    pub fn vocabulary(&self, name: &str) -> Option<&VocabularyMap> {
        self.vocabularies.get(MapName::new(name).key())
    }

    /// Every reference to a map that does not exist, and every cycle between datatype maps, as
    /// errors at the referring row and column (empty when the matrix is whole).
    ///
    /// ```
    /// assert!(hl7_map::matrix::Matrix::default().dangling().is_empty());
    /// ```
    pub fn dangling(&self) -> Vec<MatrixError> {
        let mut out = Vec::new();
        let rows = self
            .segments
            .values()
            .flat_map(|m| m.rows.iter().map(move |r| (&m.file, r)))
            .chain(self.datatypes.values().flat_map(|m| m.rows.iter().map(move |r| (&m.file, r))));
        for (_, row) in rows {
            if let Some(d) = &row.datatype_map {
                if !self.datatypes.contains_key(d.key()) {
                    out.push(at(&row.lineage, "datatype_map", MatrixErrorKind::UnknownDatatypeMap(d.to_string())));
                }
            }
            if let Some(v) = &row.vocabulary {
                if !self.vocabularies.contains_key(v.key()) {
                    out.push(at(&row.lineage, "vocabulary", MatrixErrorKind::UnknownVocabulary(v.to_string())));
                }
            }
        }
        for m in self.messages.values() {
            for row in &m.rows {
                if let Some(s) = &row.segment_map {
                    if !self.segments.contains_key(s.key()) {
                        out.push(at(&row.lineage, "segment_map", MatrixErrorKind::UnknownSegmentMap(s.to_string())));
                    }
                }
            }
        }
        out.extend(self.datatype_cycles());
        out
    }

    /// Cycles between datatype maps (a map whose rows lead back to itself), each reported once at
    /// the row that closes it.
    fn datatype_cycles(&self) -> Vec<MatrixError> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Open,
            Done,
        }
        let mut marks: BTreeMap<&str, Mark> = self.datatypes.keys().map(|k| (k.as_str(), Mark::New)).collect();
        let mut out = Vec::new();
        // Iterative depth-first search: a hostile matrix can chain thousands of maps.
        for start in self.datatypes.keys() {
            if marks.get(start.as_str()) != Some(&Mark::New) {
                continue;
            }
            let mut stack: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
            marks.insert(start, Mark::Open);
            while let Some((key, next)) = stack.last().copied() {
                let rows = self.datatypes.get(key).map_or(&[][..], |m| &m.rows[..]);
                let Some(row) = rows.get(next) else {
                    marks.insert(key, Mark::Done);
                    stack.pop();
                    continue;
                };
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                let Some(child) = row.datatype_map.as_ref().map(MapName::key) else { continue };
                match marks.get(child) {
                    Some(Mark::New) => {
                        marks.insert(child, Mark::Open);
                        stack.push((child, 0));
                    }
                    Some(Mark::Open) => {
                        let from = stack.iter().position(|(k, _)| *k == child).unwrap_or(0);
                        let mut names: Vec<String> = stack
                            .iter()
                            .skip(from)
                            .filter_map(|(k, _)| self.datatypes.get(*k).map(|m| m.name.to_string()))
                            .collect();
                        names.push(self.datatypes.get(child).map(|m| m.name.to_string()).unwrap_or_default());
                        out.push(at(&row.lineage, "datatype_map", MatrixErrorKind::DatatypeCycle(names)));
                    }
                    _ => {}
                }
            }
        }
        out
    }
}

fn at(l: &Lineage, column: &str, kind: MatrixErrorKind) -> MatrixError {
    MatrixError::new(l.file.clone(), Some(l.row), Some(column), kind)
}
