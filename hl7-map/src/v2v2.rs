//! v2 → v2: the same matrix style, for destinations that are v2 systems. A [`V2Matrix`] is a
//! folder of CSV files: `maps/NAME.csv` (rows, applied file by file in name order, row by row) and
//! `vocabulary/NAME.csv` (the vocabulary format of the FHIR matrices: local code → standard code).
//! A map row moves, reformats or recodes one v2 value:
//!
//! | column | meaning |
//! |---|---|
//! | `key` | row key within the file (blank: `source>target`) |
//! | `source` | **required.** v2 path read from the input (`PID-5`, `PID-3[2].1`, `ZPI` for a segment) |
//! | `target` | v2 path written in the output (`PID-5`, `ZPI-1`; blank: the source) |
//! | `transform` | `;`-separated steps (blank: `copy`): `copy`, `upper`, `lower`, `title`, `name:family-given` (`Smith, John` → `Smith^John`), `name:display` (`SMITH^JOHN` → `SMITH, JOHN`), `date:FORMAT` (`YYYY MM DD HH mm ss` and literal text: `date:YYYY-MM-DD`), or `drop` alone (clears the target; a segment target removes the segment) |
//! | `vocabulary` | a vocabulary map recoding the code (component 1; component 3 is the table), applied before the steps |
//! | `condition` | when the row applies (the FHIR matrices' condition syntax), on the source segment |
//! | `ig_file`, `ig_row` | blank (kept for the common format) |
//!
//! The output starts as the input ([`MessageBuf::from_message`]): every segment and field no row
//! writes keeps its exact bytes. A row applies to each occurrence of its source segment, writing
//! the same occurrence of the target segment (created at the end when absent) unless the target
//! names one; each repetition of the source field goes to the same repetition of the target
//! unless either names one. `copy` alone copies the raw bytes; every other transform works on the
//! decoded text of each component and subcomponent and writes it escaped with the message's
//! delimiters. Rows read the input, never an earlier row's output; when two rows write one place
//! the later wins. Segments dropped are removed after all rows.
//!
//! ```
//! use hl7_core::Message;
//! use hl7_map::v2v2::V2Matrix;
//!
//! let matrix = V2Matrix::from_files(&[
//!     ("maps/PID.csv", "source,target,transform,vocabulary\nPID-5,PID-5,name:family-given;upper,\nPID-8,PID-8,,LocalSex\nPID-19,,drop,\n"),
//!     ("vocabulary/LocalSex.csv", "code,table,target_code\n1,,M\n2,,F\n"),
//! ])?;
//! let msg = Message::parse(b"MSH|^~\\&|A|B\rPID|1||123||Smith, John||19800101|2|||||||||||999-99-9999\r")?;
//! let out = matrix.convert(&msg);
//! assert!(out.issues.is_empty());
//! assert_eq!(out.message.to_bytes(), b"MSH|^~\\&|A|B\rPID|1||123||SMITH^JOHN||19800101|F|||||||||||\r");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Transformed text is written as UTF-8 (a Latin-1 message keeps its bytes only where rows copy).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path as FsPath;

use csv::StringRecord;
use hl7_core::types::Dtm;
use hl7_core::{Message, Path, Segment};
use hl7_messaging::build::{BuildError, MessageBuf};
use hl7_messaging::text::TextDecoder;

use crate::condition::Condition;
use crate::error::{MatrixError, MatrixErrorKind};
use crate::eval::{Context, Node};
use crate::load::{csv_files, parse_records, read_records, read_vocabulary_csv};
use crate::matrix::{Guard, Lineage, MapName, VocabularyMap};
use crate::source::Scope;

/// One step of a transform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The value as it is (alone: its raw bytes).
    Copy,
    /// Upper case.
    Upper,
    /// Lower case.
    Lower,
    /// Each word capitalized (`SMITH, JOHN` → `Smith, John`).
    Title,
    /// A display name (`Smith, John A`, or `John A Smith`) into XPN components family, given,
    /// further given names.
    NameFamilyGiven,
    /// XPN components into a display name `family, given further`.
    NameDisplay,
    /// A DTM reformatted with the pattern (`YYYY`, `MM`, `DD`, `HH`, `mm`, `ss`; other text literal).
    Date(String),
    /// Clears the target (a segment target: removes the segment).
    Drop,
}

/// A compiled v2 → v2 row.
#[derive(Clone, Debug)]
pub struct V2Row {
    /// The row key.
    pub key: String,
    /// The v2 value read.
    pub source: Path,
    /// The v2 value written.
    pub target: Path,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The vocabulary map recoding the value (its normalized key).
    pub vocabulary: Option<String>,
    /// When the row applies.
    pub condition: Option<Guard>,
    /// Where it came from.
    pub lineage: Lineage,
}

/// A v2 → v2 matrix: rows and the vocabulary maps they use.
///
/// ```
/// let m = hl7_map::v2v2::V2Matrix::from_files(&[("maps/a.csv", "source,target\nPID-19,ZPI-1\n")])?;
/// assert_eq!(m.rows().len(), 1);
/// # Ok::<(), hl7_map::error::MatrixError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct V2Matrix {
    rows: Vec<V2Row>,
    vocabularies: BTreeMap<String, VocabularyMap>,
}

/// What a row could not do for one value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum V2IssueKind {
    /// The code is not in the vocabulary map; the value was not written.
    UnmappedCode {
        /// The vocabulary map.
        vocabulary: String,
    },
    /// The value does not fit the transform (a date that does not parse, or lacks a part the
    /// pattern asks for); not written.
    InvalidValue {
        /// The step.
        transform: String,
    },
    /// The condition cannot be decided; the row was not applied to this segment.
    ConditionUndecided,
    /// The edit was refused (a structured value into a component, a path past the limits).
    Write(BuildError),
}

/// An issue: what, the v2 value (path only) and the matrix row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V2Issue {
    /// What.
    pub kind: V2IssueKind,
    /// The v2 value read.
    pub source: Path,
    /// The matrix row.
    pub row: Lineage,
}

impl fmt::Display for V2Issue {
    /// Kind, path and row; never a value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            V2IssueKind::UnmappedCode { vocabulary } => write!(f, "code not in {vocabulary}")?,
            V2IssueKind::InvalidValue { transform } => write!(f, "value does not fit {transform}")?,
            V2IssueKind::ConditionUndecided => f.write_str("condition undecided")?,
            V2IssueKind::Write(e) => write!(f, "not written: {e}")?,
        }
        write!(f, " at {}, row {}", self.source, self.row)
    }
}

/// The result of a v2 → v2 conversion.
#[derive(Debug)]
pub struct V2Conversion {
    /// The output message (`to_bytes()` for ER7).
    pub message: MessageBuf,
    /// What could not be done.
    pub issues: Vec<V2Issue>,
}

const MAPS: &str = "maps";
const VOCABULARY: &str = "vocabulary";

impl V2Matrix {
    /// Loads `maps/*.csv` and `vocabulary/*.csv` under `dir`; every row must compile and every
    /// vocabulary named must exist, or the error names file, row and column.
    ///
    /// ```
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/v2v2");
    /// let m = hl7_map::v2v2::V2Matrix::from_dir(dir.as_ref())?;
    /// assert!(m.vocabulary("LocalSex").is_some());
    /// # Ok::<(), hl7_map::error::MatrixError>(())
    /// ```
    pub fn from_dir(dir: &FsPath) -> Result<V2Matrix, MatrixError> {
        let mut maps = Vec::new();
        for (name, path) in csv_files(&dir.join(MAPS))? {
            maps.push((name.clone(), read_records(&path, &name)?));
        }
        let mut vocabularies = Vec::new();
        for (name, path) in csv_files(&dir.join(VOCABULARY))? {
            let io = |e: std::io::Error| MatrixError::new(&name, None, None, MatrixErrorKind::Io(e.kind().to_string()));
            if std::fs::metadata(&path).map_err(io)?.len() > crate::load::MAX_FILE_BYTES {
                return Err(MatrixError::new(&name, None, None, MatrixErrorKind::FileTooLarge));
            }
            let bytes = std::fs::read(&path).map_err(io)?;
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| MatrixError::new(&name, None, None, MatrixErrorKind::Csv("invalid UTF-8".into())))?;
            vocabularies.push(read_vocabulary_csv(&name, text)?);
        }
        V2Matrix::build(maps, vocabularies)
    }

    /// Loads from files held in memory, each named by its path under the matrix directory
    /// (`maps/PID.csv`, `vocabulary/LocalSex.csv`); other paths are ignored.
    ///
    /// ```
    /// use hl7_map::error::MatrixErrorKind;
    /// let e = hl7_map::v2v2::V2Matrix::from_files(&[("maps/a.csv", "source,target,transform\nPID-5,PID-5,shout\n")]).unwrap_err();
    /// assert_eq!((e.file(), e.row(), e.column()), ("a.csv", Some(2), Some("transform")));
    /// assert!(matches!(e.kind(), MatrixErrorKind::BadTransform(_)));
    /// ```
    pub fn from_files(files: &[(&str, &str)]) -> Result<V2Matrix, MatrixError> {
        let (mut maps, mut vocabularies) = (Vec::new(), Vec::new());
        let mut sorted: Vec<&(&str, &str)> = files.iter().collect();
        sorted.sort_by_key(|(p, _)| *p);
        for (path, text) in sorted {
            let Some((kind, file)) = path.split_once('/') else { continue };
            if !FsPath::new(file).extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")) {
                continue;
            }
            if text.len() as u64 > crate::load::MAX_FILE_BYTES {
                return Err(MatrixError::new(file, None, None, MatrixErrorKind::FileTooLarge));
            }
            match kind {
                MAPS => maps.push((file.to_owned(), parse_records(text.as_bytes(), file)?)),
                VOCABULARY => vocabularies.push(read_vocabulary_csv(file, text)?),
                _ => {}
            }
        }
        V2Matrix::build(maps, vocabularies)
    }

    fn build(
        maps: Vec<(String, Vec<StringRecord>)>,
        vocabularies: Vec<VocabularyMap>,
    ) -> Result<V2Matrix, MatrixError> {
        let mut m = V2Matrix::default();
        for v in vocabularies {
            m.vocabularies.insert(v.name.key().to_owned(), v);
        }
        for (file, records) in maps {
            m.read_map(&file, &records)?;
        }
        Ok(m)
    }

    fn read_map(&mut self, file: &str, records: &[StringRecord]) -> Result<(), MatrixError> {
        let columns: Vec<String> =
            records.first().map(|h| h.iter().map(|c| c.trim().to_ascii_lowercase()).collect()).unwrap_or_default();
        let col = |name: &str| columns.iter().position(|c| c == name);
        let fail = |row: usize, column: &str, kind| MatrixError::new(file, Some(row), Some(column), kind);
        if col("source").is_none() {
            return Err(MatrixError::new(file, Some(1), Some("source"), MatrixErrorKind::MissingColumn));
        }
        let mut keys = BTreeSet::new();
        for (n, r) in records.iter().enumerate().skip(1) {
            let row = n + 1;
            let get = |name: &str| col(name).and_then(|c| r.get(c)).map_or("", str::trim);
            if r.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let source_text = get("source");
            if source_text.is_empty() {
                return Err(fail(row, "source", MatrixErrorKind::Empty));
            }
            let bad_source = |column: &str, text: &str| fail(row, column, MatrixErrorKind::BadSource(text.to_owned()));
            let source = Path::parse(source_text).map_err(|_| bad_source("source", source_text))?;
            if source.is_all_repetitions() {
                return Err(bad_source("source", source_text));
            }
            let target_text = get("target");
            let target = if target_text.is_empty() {
                source
            } else {
                Path::parse(target_text).map_err(|_| bad_source("target", target_text))?
            };
            if target.is_all_repetitions() {
                return Err(bad_source("target", target_text));
            }
            let steps =
                parse_steps(get("transform")).map_err(|t| fail(row, "transform", MatrixErrorKind::BadTransform(t)))?;
            check_steps(&steps, &source, &target)
                .map_err(|t| fail(row, "transform", MatrixErrorKind::BadTransform(t)))?;
            let vocabulary = match get("vocabulary") {
                "" => None,
                name => {
                    let key = MapName::new(name).key().to_owned();
                    if !self.vocabularies.contains_key(&key) {
                        return Err(fail(row, "vocabulary", MatrixErrorKind::UnknownVocabulary(name.to_owned())));
                    }
                    Some(key)
                }
            };
            let condition = match get("condition") {
                "" => None,
                text => Some(Guard {
                    text: text.to_owned(),
                    condition: Condition::parse(text, Scope::Segment)
                        .map_err(|e| fail(row, "condition", MatrixErrorKind::Condition(e)))?,
                }),
            };
            let key = match get("key") {
                "" => format!("{source}>{target}"),
                k => k.to_owned(),
            };
            if !keys.insert(key.clone()) {
                return Err(fail(row, "key", MatrixErrorKind::DuplicateKey(key)));
            }
            self.rows.push(V2Row {
                key,
                source,
                target,
                steps,
                vocabulary,
                condition,
                lineage: Lineage { file: file.to_owned(), row },
            });
        }
        Ok(())
    }

    /// The rows, in the order they apply.
    pub fn rows(&self) -> &[V2Row] {
        &self.rows
    }

    /// A vocabulary map by name (case, blanks and `/` ignored).
    pub fn vocabulary(&self, name: &str) -> Option<&VocabularyMap> {
        self.vocabularies.get(MapName::new(name).key())
    }

    /// Applies the rows to a message: the input made editable, then every row in order.
    ///
    /// ```
    /// let m = hl7_map::v2v2::V2Matrix::from_files(&[("maps/a.csv", "source,target\nPID-19,ZPI-1\n")])?;
    /// let msg = hl7_core::Message::parse(b"MSH|^~\\&|A\rPID|1||||||||||||||||||x^y\r")?;
    /// assert_eq!(m.convert(&msg).message.to_bytes(), b"MSH|^~\\&|A\rPID|1||||||||||||||||||x^y\rZPI|x^y\r");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn convert(&self, msg: &Message<'_>) -> V2Conversion {
        let decoder = TextDecoder::new(msg);
        let mut run = Run { out: MessageBuf::from_message(msg), issues: Vec::new(), removals: BTreeSet::new() };
        for row in &self.rows {
            let vocabulary = row.vocabulary.as_ref().and_then(|k| self.vocabularies.get(k));
            let mut occurrence = 0;
            for seg in msg.segments().filter(|s| s.id() == row.source.segment()) {
                occurrence += 1;
                run.apply(row, vocabulary, &seg, occurrence, &decoder);
            }
        }
        for (id, n) in run.removals.iter().rev() {
            if let Ok(id) = std::str::from_utf8(id) {
                // Occurrences from last to first, so that each number still names its segment.
                let _ = run.out.remove_segment(id, *n);
            }
        }
        V2Conversion { message: run.out, issues: run.issues }
    }
}

struct Run {
    out: MessageBuf,
    issues: Vec<V2Issue>,
    removals: BTreeSet<(Vec<u8>, usize)>,
}

/// A value as decoded text: components of subcomponents.
type Parts = Vec<Vec<String>>;

impl Run {
    fn issue(&mut self, row: &V2Row, source: Path, kind: V2IssueKind) {
        self.issues.push(V2Issue { kind, source, row: row.lineage.clone() });
    }

    fn apply(
        &mut self,
        row: &V2Row,
        vocabulary: Option<&VocabularyMap>,
        seg: &Segment<'_>,
        occurrence: usize,
        decoder: &TextDecoder,
    ) {
        let source_at = row.source.occurrence(occurrence);
        if row.source.segment_index().is_some_and(|n| n != occurrence) {
            return;
        }
        if let Some(guard) = &row.condition {
            match Context::new(*seg, decoder).evaluate(&guard.condition) {
                Some(true) => {}
                Some(false) => return,
                None => return self.issue(row, source_at, V2IssueKind::ConditionUndecided),
            }
        }
        let target = match row.target.segment_index() {
            Some(_) => row.target,
            None => row.target.occurrence(occurrence),
        };
        let Some(field) = row.source.field_number() else {
            // A whole segment: only `drop` (checked at load).
            if row.target.field_number().is_none() {
                self.removals.insert((target.segment().to_vec(), target.segment_index().unwrap_or(occurrence)));
            }
            return;
        };
        if row.steps == [Step::Drop] {
            return self.write(row, source_at, target, b"", false);
        }
        // A whole field copied as it is: every repetition, byte for byte.
        let plain = row.steps.iter().all(|s| *s == Step::Copy) && vocabulary.is_none();
        if plain
            && row.source.repetition_number().is_none()
            && !row.source.is_below_field()
            && !target.is_below_field()
            && target.repetition_number().is_none()
        {
            if let Some(f) = seg.field(field) {
                if !f.as_bytes().is_empty() {
                    self.write(row, source_at, target, f.as_bytes(), false);
                }
            }
            return;
        }
        let reps = seg.field(field).map_or(0, |f| f.repetitions().count());
        let wanted: Vec<usize> = match row.source.repetition_number() {
            Some(r) => vec![r],
            None => (1..=reps).collect(),
        };
        for rep in wanted {
            let Some(node) = Node::field(seg, field, rep).and_then(|n| descend(n, &row.source)) else { continue };
            let source = node.path().occurrence(occurrence);
            if !node.is_valued() {
                continue;
            }
            let at = match (target.repetition_number(), target.field_number()) {
                (Some(_), _) | (_, None) => target,
                (None, Some(_)) => with_repetition(target, rep),
            };
            if plain {
                self.write(row, source, at, node.as_bytes(), false);
                continue;
            }
            let mut parts = decode(node, decoder);
            if let Some(v) = vocabulary {
                if !recode(&mut parts, v) {
                    self.issue(row, source, V2IssueKind::UnmappedCode { vocabulary: v.name.as_str().to_owned() });
                    continue;
                }
            }
            match run_steps(&row.steps, parts) {
                Ok(parts) => self.write_parts(row, source, at, &parts),
                Err(transform) => self.issue(row, source, V2IssueKind::InvalidValue { transform }),
            }
        }
    }

    /// Writes raw (already escaped) bytes, or text to escape.
    fn write(&mut self, row: &V2Row, source: Path, target: Path, value: &[u8], escape: bool) {
        let done = if escape { self.out.set(target, value) } else { self.out.set_raw(target, value) };
        if let Err(e) = done {
            self.issue(row, source, V2IssueKind::Write(e));
        }
    }

    /// Writes decoded parts at the target: the target's level is cleared, then each non-empty
    /// leaf is set (escaped) below it.
    fn write_parts(&mut self, row: &V2Row, source: Path, target: Path, parts: &Parts) {
        let leaves: Vec<(usize, usize, &str)> = parts
            .iter()
            .enumerate()
            .flat_map(|(c, subs)| subs.iter().enumerate().map(move |(s, t)| (c + 1, s + 1, t.as_str())))
            .filter(|(_, _, t)| !t.is_empty())
            .collect();
        let single = leaves.iter().all(|&(c, s, _)| c == 1 && s == 1);
        if single {
            let text = leaves.first().map_or("", |l| l.2);
            return self.write(row, source, target, text.as_bytes(), true);
        }
        if target.subcomponent_number().is_some()
            || (target.component_number().is_some() && leaves.iter().any(|l| l.0 > 1))
        {
            return self.issue(row, source, V2IssueKind::Write(BuildError::RawDelimiter));
        }
        if let Err(e) = self.out.set_raw(target, b"") {
            return self.issue(row, source, V2IssueKind::Write(e));
        }
        for (c, s, text) in leaves {
            let at = match target.component_number() {
                Some(_) => target.subcomponent(s),
                None => target.component(c).subcomponent(s),
            };
            if let Err(e) = self.out.set(at, text) {
                return self.issue(row, source, V2IssueKind::Write(e));
            }
        }
    }
}

/// The same path at repetition `rep` (keeping component and subcomponent).
fn with_repetition(p: Path, rep: usize) -> Path {
    let mut out = Path::new(&seg_id(&p)).field(p.field_number().unwrap_or(1)).repetition(rep);
    if let Some(i) = p.segment_index() {
        out = out.occurrence(i);
    }
    if let Some(c) = p.component_number() {
        out = out.component(c);
    }
    if let Some(s) = p.subcomponent_number() {
        out = out.subcomponent(s);
    }
    out
}

fn seg_id(p: &Path) -> [u8; 3] {
    let s = p.segment();
    let mut id = [b' '; 3];
    for (d, b) in id.iter_mut().zip(s) {
        *d = *b;
    }
    id
}

/// From a field repetition down to the source's component and subcomponent.
fn descend<'a>(node: Node<'a>, source: &Path) -> Option<Node<'a>> {
    let mut n = node;
    if let Some(c) = source.component_number() {
        n = n.child(c)?;
        if let Some(s) = source.subcomponent_number() {
            n = n.child(s)?;
        }
    }
    Some(n)
}

/// The decoded text of every component and subcomponent of a value.
fn decode(node: Node<'_>, decoder: &TextDecoder) -> Parts {
    let path = node.path();
    if path.subcomponent_number().is_some() {
        return vec![vec![node.text(decoder).into_owned()]];
    }
    let subs = |c: Node<'_>| -> Vec<String> {
        (1..).map_while(|s| c.child(s)).map(|s| s.text(decoder).into_owned()).collect()
    };
    if path.component_number().is_some() {
        return vec![subs(node)];
    }
    (1..).map_while(|c| node.child(c)).map(subs).collect()
}

fn leaf(parts: &Parts, c: usize) -> &str {
    parts.get(c).and_then(|s| s.first()).map_or("", String::as_str)
}

/// Recodes component 1 (table: component 3); a coded value (two components or more) also gets
/// the display and the system when the map has them. `false` when the code is not in the map.
fn recode(parts: &mut Parts, vocabulary: &VocabularyMap) -> bool {
    let Some(m) = vocabulary.lookup(leaf(parts, 0), leaf(parts, 2)) else { return false };
    let coded = parts.len() >= 2;
    set_leaf(parts, 0, &m.target_code);
    if coded {
        if !m.target_display.is_empty() {
            set_leaf(parts, 1, &m.target_display);
        }
        if !m.target_system.is_empty() {
            set_leaf(parts, 2, &m.target_system);
        }
    }
    true
}

fn set_leaf(parts: &mut Parts, c: usize, text: &str) {
    while parts.len() <= c {
        parts.push(Vec::new());
    }
    if let Some(subs) = parts.get_mut(c) {
        *subs = vec![text.to_owned()];
    }
}

fn parse_steps(text: &str) -> Result<Vec<Step>, String> {
    if text.is_empty() {
        return Ok(vec![Step::Copy]);
    }
    text.split(';')
        .map(|s| {
            let s = s.trim();
            Ok(match s.to_ascii_lowercase().as_str() {
                "copy" => Step::Copy,
                "upper" => Step::Upper,
                "lower" => Step::Lower,
                "title" => Step::Title,
                "drop" => Step::Drop,
                "name:family-given" => Step::NameFamilyGiven,
                "name:display" => Step::NameDisplay,
                lower if lower.starts_with("date:") && s.len() > 5 => {
                    Step::Date(s.get(5..).unwrap_or_default().to_owned())
                }
                _ => {
                    return Err(format!(
                        "{s:?} (copy, upper, lower, title, name:family-given, name:display, date:FORMAT, drop)"
                    ))
                }
            })
        })
        .collect()
}

fn check_steps(steps: &[Step], source: &Path, target: &Path) -> Result<(), String> {
    if steps.contains(&Step::Drop) && steps.len() > 1 {
        return Err("drop cannot be combined with other steps".into());
    }
    if source.field_number().is_none() && steps != [Step::Drop] {
        return Err("a whole segment can only be dropped".into());
    }
    if steps == [Step::Drop] && (source.field_number().is_none()) != (target.field_number().is_none()) {
        return Err("drop of a segment needs a segment target, of a field a field target".into());
    }
    if target.field_number().is_none() && steps != [Step::Drop] {
        return Err("the target names no field".into());
    }
    if steps.contains(&Step::NameFamilyGiven) && target.component_number().is_some() {
        return Err("name:family-given writes components: the target must be a field or repetition".into());
    }
    Ok(())
}

fn run_steps(steps: &[Step], mut parts: Parts) -> Result<Parts, String> {
    let each = |parts: &mut Parts, f: &dyn Fn(&str) -> String| {
        for t in parts.iter_mut().flatten() {
            *t = f(t);
        }
    };
    for step in steps {
        match step {
            Step::Copy | Step::Drop => {}
            Step::Upper => each(&mut parts, &|t| t.to_uppercase()),
            Step::Lower => each(&mut parts, &|t| t.to_lowercase()),
            Step::Title => each(&mut parts, &title),
            Step::NameFamilyGiven => parts = family_given(leaf(&parts, 0)),
            Step::NameDisplay => parts = vec![vec![display(&parts)]],
            Step::Date(pattern) => {
                let text = reformat(leaf(&parts, 0), pattern).ok_or_else(|| format!("date:{pattern}"))?;
                set_leaf(&mut parts, 0, &text);
            }
        }
    }
    Ok(parts)
}

fn title(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut start = true;
    for ch in t.chars() {
        if start {
            out.extend(ch.to_uppercase());
        } else {
            out.extend(ch.to_lowercase());
        }
        start = !ch.is_alphanumeric() && ch != '\'';
    }
    out
}

/// `Smith, John A` → family `Smith`, given `John`, further `A`; without a comma the last word is
/// the family name (`John A Smith`).
fn family_given(text: &str) -> Parts {
    let (family, rest): (String, Vec<&str>) = if let Some((f, r)) = text.split_once(',') {
        (f.trim().to_owned(), r.split_whitespace().collect())
    } else {
        let mut words: Vec<&str> = text.split_whitespace().collect();
        let family = words.pop().unwrap_or_default().to_owned();
        (family, words)
    };
    let given = rest.first().copied().unwrap_or_default().to_owned();
    let further = rest.get(1..).unwrap_or_default().join(" ");
    let mut parts = vec![vec![family], vec![given], vec![further]];
    while parts.last().is_some_and(|p| p.iter().all(String::is_empty)) {
        parts.pop();
    }
    parts
}

/// XPN components family (1), given (2), further given names (3) → `family, given further`.
fn display(parts: &Parts) -> String {
    let family = leaf(parts, 0);
    let given: Vec<&str> = [leaf(parts, 1), leaf(parts, 2)].into_iter().filter(|t| !t.is_empty()).collect();
    match (family.is_empty(), given.is_empty()) {
        (_, true) => family.to_owned(),
        (true, false) => given.join(" "),
        (false, false) => format!("{family}, {}", given.join(" ")),
    }
}

/// A DTM reformatted with a pattern; `None` when it does not parse or lacks a part the pattern uses.
fn reformat(text: &str, pattern: &str) -> Option<String> {
    let t = Dtm::parse(text.as_bytes()).ok()?;
    let two = |v: Option<u8>| v.map(|v| format!("{v:02}"));
    let mut out = String::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        let (piece, len) = if rest.starts_with("YYYY") {
            (format!("{:04}", t.year()), 4)
        } else if rest.starts_with("MM") {
            (two(t.month())?, 2)
        } else if rest.starts_with("DD") {
            (two(t.day())?, 2)
        } else if rest.starts_with("HH") {
            (two(t.hour())?, 2)
        } else if rest.starts_with("mm") {
            (two(t.minute())?, 2)
        } else if rest.starts_with("ss") {
            (two(t.second())?, 2)
        } else {
            let ch = rest.chars().next()?;
            (ch.to_string(), ch.len_utf8())
        };
        out.push_str(&piece);
        rest = rest.get(len..)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_both_ways() {
        assert_eq!(
            family_given("Smith, John A"),
            vec![vec!["Smith".to_owned()], vec!["John".into()], vec!["A".into()]]
        );
        assert_eq!(family_given("John Smith"), vec![vec!["Smith".to_owned()], vec!["John".into()]]);
        assert_eq!(display(&vec![vec!["SMITH".into()], vec!["JOHN".into()]]), "SMITH, JOHN");
        assert_eq!(title("SMITH, JOHN O'NEIL-KAY"), "Smith, John O'neil-Kay");
    }

    #[test]
    fn dates() {
        assert_eq!(reformat("20240131093000-0500", "YYYY-MM-DD").as_deref(), Some("2024-01-31"));
        assert_eq!(reformat("20240131", "YYYYMMDDHHmm"), None);
        assert_eq!(reformat("2024013", "YYYY"), None);
    }
}
