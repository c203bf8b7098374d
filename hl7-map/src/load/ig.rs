//! The IG CSV tree as published: two header rows (a group row, then column names), column names
//! that vary between files (`Sort Order`/`Display Sequence`, `Cardinality - Min`/`- Minimum`,
//! `Computable ANTLR`/`Computable - ANTLR`/`Computable`, `FHIR Attribute`/`FHIR Attribute/ Data
//! Type`, `Assignment`/`Derived Mapping`, the vocabulary header with a line break or a blank), the
//! same name twice (`Data Type`, `Code`, `Code System`: the v2 side first, FHIR second), and one
//! file whose first six column names are blank (the standard positions are used there).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use csv::StringRecord;

use super::{csv_files, read_records};
use crate::condition::Condition;
use crate::element::ElementPath;
use crate::error::{MatrixError, MatrixErrorKind};
use crate::matrix::{
    Cardinality, CodeMapping, DatatypeMap, Guard, Lineage, LinkTarget, MapName, MapRow, Matrix, MessageMap, MessageRow,
    ResourceLink, SegmentMap, Tally, VocabularyMap,
};
use crate::source::{parse_reference, Scope, Source};

pub(super) fn load(dir: &Path) -> Result<Matrix, MatrixError> {
    if !dir.is_dir() {
        return Err(MatrixError::new(
            dir.display().to_string(),
            None,
            None,
            MatrixErrorKind::Io("not a directory".into()),
        ));
    }
    let mut m = Matrix::default();
    for (file, path) in csv_files(&dir.join("segments"))? {
        let name = map_name(&file, "HL7 Segment - FHIR R4_ ");
        let records = read_records(&path, &file)?;
        let rows = rows_of(&records, &file, name.base(), Scope::Segment, &mut m.reported, &mut m.figures.segment);
        m.segments.insert(name.key().to_owned(), SegmentMap { name, file, rows });
    }
    for (file, path) in csv_files(&dir.join("datatypes"))? {
        let name = map_name(&file, "HL7 Data Type - FHIR R4_ ");
        let base = name.base().to_owned();
        let records = read_records(&path, &file)?;
        let rows = rows_of(&records, &file, &base, Scope::Datatype(&base), &mut m.reported, &mut m.figures.datatype);
        m.datatypes.insert(name.key().to_owned(), DatatypeMap { name, file, rows });
    }
    for (file, path) in csv_files(&dir.join("codesystems"))? {
        let name = map_name(&file, "HL7 Concept Map_ ");
        let codes = codes_of(&read_records(&path, &file)?, &file, &mut m.reported, &mut m.figures.vocabulary);
        m.vocabularies.insert(name.key().to_owned(), VocabularyMap { name, file, codes });
    }
    for (file, path) in csv_files(&dir.join("messages"))? {
        let name = map_name(&file, "HL7 Message - FHIR R4_ ");
        let rows = messages_of(&read_records(&path, &file)?, &file, &mut m.reported, &mut m.figures.message);
        m.messages.insert(name.key().to_owned(), MessageMap { name, file, rows });
    }
    // References to nothing and cycles: reported, and the rows leave the matrix.
    let dangling = m.dangling();
    let mut gone: BTreeSet<(String, usize)> = BTreeSet::new();
    for e in &dangling {
        if let Some(row) = e.row() {
            gone.insert((e.file().to_owned(), row));
        }
    }
    let keep = |l: &Lineage| !gone.contains(&(l.file.clone(), l.row));
    for s in m.segments.values_mut() {
        let before = s.rows.len();
        s.rows.retain(|r| keep(&r.lineage));
        m.figures.segment.compiled -= before - s.rows.len();
        m.figures.segment.reported += before - s.rows.len();
    }
    for d in m.datatypes.values_mut() {
        let before = d.rows.len();
        d.rows.retain(|r| keep(&r.lineage));
        m.figures.datatype.compiled -= before - d.rows.len();
        m.figures.datatype.reported += before - d.rows.len();
    }
    for g in m.messages.values_mut() {
        let before = g.rows.len();
        g.rows.retain(|r| keep(&r.lineage));
        m.figures.message.compiled -= before - g.rows.len();
        m.figures.message.reported += before - g.rows.len();
    }
    m.reported.extend(dangling);
    Ok(m)
}

/// `HL7 Segment - FHIR R4_ PID[Patient] - PID.csv` → `PID[Patient]` (the sheet name after the
/// last ` - ` is dropped).
fn map_name(file: &str, prefix: &str) -> MapName {
    let stem = file.strip_suffix(".csv").unwrap_or(file);
    let stem = stem.strip_prefix(prefix).unwrap_or(stem);
    let stem = stem.rsplit_once(" - ").map_or(stem, |(a, _)| a);
    MapName::new(stem)
}

fn norm(h: &str) -> String {
    h.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// The column names, read from the row that carries them.
struct Header {
    names: Vec<String>,
    row: usize,
}

impl Header {
    fn find(records: &[StringRecord]) -> Option<Header> {
        records.iter().take(4).enumerate().find_map(|(n, r)| {
            r.iter()
                .any(|h| norm(h).starts_with("computable"))
                .then(|| Header { names: r.iter().map(norm).collect(), row: n })
        })
    }

    /// The `nth` column (0 = first) whose name is one of `names`, at or after column `from`.
    fn col(&self, names: &[&str], nth: usize, from: usize) -> Option<usize> {
        self.names
            .iter()
            .enumerate()
            .skip(from)
            .filter(|(_, h)| {
                names.iter().any(|n| h.as_str() == *n || (n.ends_with('*') && h.starts_with(n.trim_end_matches('*'))))
            })
            .nth(nth)
            .map(|(i, _)| i)
    }

    /// A column by name, or its standard position when that column's name is blank.
    fn col_or(&self, names: &[&str], standard: usize) -> Option<usize> {
        self.col(names, 0, 0).or_else(|| self.names.get(standard).filter(|h| h.is_empty()).map(|_| standard))
    }
}

fn cell(r: &StringRecord, col: Option<usize>) -> &str {
    col.and_then(|c| r.get(c)).map_or("", str::trim)
}

fn report(
    reported: &mut Vec<MatrixError>,
    tally: &mut Tally,
    file: &str,
    row: usize,
    column: &str,
    kind: MatrixErrorKind,
) {
    tally.reported += 1;
    reported.push(MatrixError::new(file, Some(row), Some(column), kind));
}

fn guard(text: &str, scope: Scope<'_>) -> Result<Option<Guard>, MatrixErrorKind> {
    if text.is_empty() {
        return Ok(None);
    }
    Condition::parse(text, scope)
        .map(|condition| Some(Guard { text: text.to_owned(), condition }))
        .map_err(MatrixErrorKind::Condition)
}

fn unquote(text: &str) -> &str {
    let t = text.trim();
    t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(t)
}

fn opt_name(text: &str) -> Option<MapName> {
    (!text.is_empty()).then(|| MapName::new(text))
}

struct Keys(BTreeMap<String, usize>);

impl Keys {
    /// `source>target`, with `#n` from the second use on.
    fn next(&mut self, base: String) -> String {
        let n = self.0.entry(base.clone()).or_insert(0);
        *n += 1;
        if *n == 1 {
            base
        } else {
            format!("{base}#{n}")
        }
    }
}

fn rows_of(
    records: &[StringRecord],
    file: &str,
    base: &str,
    scope: Scope<'_>,
    reported: &mut Vec<MatrixError>,
    tally: &mut Tally,
) -> Vec<MapRow> {
    tally.files += 1;
    let Some(h) = Header::find(records) else {
        reported.push(MatrixError::new(file, None, Some("Computable ANTLR"), MatrixErrorKind::MissingColumn));
        return Vec::new();
    };
    let identifier = h.col_or(&["identifier"], 1);
    let v2_type = h.col_or(&["datatype"], 3);
    let condition = h.col(&["computableantlr", "computable"], 0, 0);
    let target = h.col(&["fhirattribute*"], 0, 0);
    let after = target.unwrap_or(0);
    let fhir_type = h.col(&["datatype"], 0, after + 1);
    let fhir_min = h.col(&["cardinalitymin", "cardinalityminimum"], 0, after + 1);
    let fhir_max = h.col(&["cardinalitymax", "cardinalitymaximum"], 0, after + 1);
    let dt_map = h.col(&["datatypemapping"], 0, 0);
    let vocab = h.col(&["vocabularymapping*"], 0, 0);
    let assignment = h.col(&["assignment", "derivedmapping"], 0, 0);
    let mut keys = Keys(BTreeMap::new());
    let mut out = Vec::new();
    for (n, r) in records.iter().enumerate().skip(h.row + 1) {
        let row = n + 1;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let (target_text, constant_text) = (cell(r, target), cell(r, assignment));
        let (dt_text, vocab_text) = (cell(r, dt_map), cell(r, vocab));
        if target_text.is_empty() && constant_text.is_empty() && dt_text.is_empty() {
            tally.unmapped += 1;
            continue;
        }
        let id = cell(r, identifier);
        // A row without an identifier sets something on the whole produced resource or value
        // (`status` = "active"): its source is the segment or the value itself.
        let id = if id.is_empty() { base } else { id };
        let source = match parse_reference(id, scope) {
            Some(s @ Source::Path(_)) if scope == Scope::Segment => s,
            Some(s @ (Source::Component { .. } | Source::Own)) if scope != Scope::Segment => s,
            _ => {
                report(reported, tally, file, row, "Identifier", MatrixErrorKind::BadSource(id.to_owned()));
                continue;
            }
        };
        let condition = match guard(cell(r, condition), scope) {
            Ok(g) => g,
            Err(kind) => {
                report(reported, tally, file, row, "Computable ANTLR", kind);
                continue;
            }
        };
        let (target_path, assigned) = match ElementPath::parse(target_text) {
            Ok(p) => p,
            Err(e) => {
                report(reported, tally, file, row, "FHIR Attribute", MatrixErrorKind::ElementPath(e));
                continue;
            }
        };
        let Some(cardinality) = Cardinality::parse(cell(r, fhir_min), cell(r, fhir_max)) else {
            let text = format!("{}..{}", cell(r, fhir_min), cell(r, fhir_max));
            report(reported, tally, file, row, "Cardinality - Min", MatrixErrorKind::BadCardinality(text));
            continue;
        };
        let constant = (!constant_text.is_empty()).then(|| unquote(constant_text).trim().to_owned()).or(assigned);
        tally.compiled += 1;
        out.push(MapRow {
            key: keys.next(format!("{id}>{target_path}")),
            source,
            v2_type: cell(r, v2_type).to_owned(),
            condition,
            target: target_path,
            fhir_type: cell(r, fhir_type).to_owned(),
            cardinality,
            datatype_map: opt_name(dt_text),
            vocabulary: opt_name(vocab_text),
            constant,
            lineage: Lineage { file: file.to_owned(), row },
            implements: None,
        });
    }
    out
}

fn codes_of(
    records: &[StringRecord],
    file: &str,
    reported: &mut Vec<MatrixError>,
    tally: &mut Tally,
) -> Vec<CodeMapping> {
    tally.files += 1;
    let Some(h) = Header::find(records) else {
        reported.push(MatrixError::new(file, None, Some("Computable ANTLR"), MatrixErrorKind::MissingColumn));
        return Vec::new();
    };
    let cond = h.col(&["computableantlr", "computable"], 0, 0);
    let code = h.col(&["code"], 0, 0);
    let text = h.col(&["text"], 0, 0);
    let table = h.col(&["codesystem"], 0, 0);
    let after = cond.unwrap_or(0);
    let target_code = h.col(&["code"], 0, after + 1);
    let display = h.col(&["display"], 0, after + 1);
    let system = h.col(&["codesystem"], 0, after + 1);
    let mut out = Vec::new();
    for (n, r) in records.iter().enumerate().skip(h.row + 1) {
        let row = n + 1;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let (v2, fhir) = (cell(r, code), cell(r, target_code));
        if fhir.is_empty() {
            tally.unmapped += 1;
            continue;
        }
        // FHIR codes listed without a v2 code (the reverse direction) map nothing from v2.
        if v2.is_empty() {
            tally.unmapped += 1;
            continue;
        }
        let condition = match guard(cell(r, cond), Scope::Segment) {
            Ok(g) => g,
            Err(kind) => {
                report(reported, tally, file, row, "Computable ANTLR", kind);
                continue;
            }
        };
        tally.compiled += 1;
        out.push(CodeMapping {
            code: v2.to_owned(),
            text: cell(r, text).to_owned(),
            table: cell(r, table).to_owned(),
            condition,
            target_code: fhir.to_owned(),
            target_display: cell(r, display).to_owned(),
            target_system: cell(r, system).to_owned(),
            lineage: Lineage { file: file.to_owned(), row },
            implements: None,
        });
    }
    out
}

/// The segment id in a syntax cell (`[{ SFT }]` → `SFT`), when there is exactly one.
pub(super) fn segment_of(syntax: &str) -> Option<String> {
    let mut ids = syntax.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| {
        w.len() == 3
            && w.starts_with(|c: char| c.is_ascii_uppercase())
            && w.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    });
    let first = ids.next()?;
    ids.next().is_none().then(|| first.to_owned())
}

/// The IG's `Patient[PID]` (the Patient the PID made) as `Patient` (the nearest Patient).
fn segment_indexes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let (head, tail) = rest.split_at(open);
        out.push_str(head);
        let id = tail.get(1..4).unwrap_or_default();
        let segment = tail.get(4..5) == Some("]")
            && id.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
            && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if segment {
            rest = tail.get(5..).unwrap_or_default();
        } else {
            out.push('[');
            rest = tail.get(1..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    out
}

/// `A.b=C[1].id; D.e="x"` (also one per line).
pub(super) fn links_of(text: &str) -> Result<Vec<ResourceLink>, MatrixErrorKind> {
    let mut out = Vec::new();
    for part in text.split([';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let Some((from, to)) = part.split_once('=') else {
            return Err(MatrixErrorKind::BadLink(part.to_owned()));
        };
        let (from, _) = ElementPath::parse(from).map_err(MatrixErrorKind::ElementPath)?;
        let to = to.trim();
        let to = if to.starts_with('"') {
            LinkTarget::Constant(unquote(to).to_owned())
        } else {
            LinkTarget::Resource(ElementPath::parse(to).map_err(MatrixErrorKind::ElementPath)?.0)
        };
        out.push(ResourceLink { from, to });
    }
    Ok(out)
}

fn messages_of(
    records: &[StringRecord],
    file: &str,
    reported: &mut Vec<MatrixError>,
    tally: &mut Tally,
) -> Vec<MessageRow> {
    tally.files += 1;
    let Some(h) = Header::find(records) else {
        reported.push(MatrixError::new(file, None, Some("Computable ANTLR"), MatrixErrorKind::MissingColumn));
        return Vec::new();
    };
    let identifier = h.col_or(&["identifier"], 1);
    let syntax = h.col_or(&["syntax"], 2);
    let min = h.col(&["cardinalitymin", "cardinalityminimum"], 0, 0);
    let max = h.col(&["cardinalitymax", "cardinalitymaximum"], 0, 0);
    let cond = h.col(&["computableantlr", "computable"], 0, 0);
    let target = h.col(&["primarytarget"], 0, 0);
    let seg_map = h.col(&["segmentmap"], 0, 0);
    let refs = h.col(&["references"], 0, 0);
    let mut keys = Keys(BTreeMap::new());
    let mut out = Vec::new();
    for (n, r) in records.iter().enumerate().skip(h.row + 1) {
        let row = n + 1;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let (target_text, map_text) = (cell(r, target), cell(r, seg_map));
        if target_text.is_empty() && map_text.is_empty() {
            tally.unmapped += 1;
            continue;
        }
        let condition = match guard(cell(r, cond), Scope::Segment) {
            Ok(g) => g,
            Err(kind) => {
                report(reported, tally, file, row, "Computable ANTLR", kind);
                continue;
            }
        };
        // `Specimen[n]`: one instance per occurrence, as `[each]`.
        let target_text = &target_text.replace("[n]", "[each]");
        let resource = match ElementPath::parse(target_text) {
            Ok((p, _)) => p,
            Err(e) => {
                report(reported, tally, file, row, "Primary Target", MatrixErrorKind::ElementPath(e));
                continue;
            }
        };
        // A link that does not compile is reported; the row keeps the others (the resource it
        // makes does not depend on its links).
        let mut links = Vec::new();
        for part in cell(r, refs).split([';', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
            match links_of(&segment_indexes(&part.replace("[n]", "[each]"))) {
                Ok(l) => links.extend(l),
                Err(kind) => reported.push(MatrixError::new(file, Some(row), Some("References"), kind)),
            }
        }
        let Some(cardinality) = Cardinality::parse(cell(r, min), cell(r, max)) else {
            let text = format!("{}..{}", cell(r, min), cell(r, max));
            report(reported, tally, file, row, "Cardinality - Min", MatrixErrorKind::BadCardinality(text));
            continue;
        };
        let position = cell(r, identifier).to_owned();
        tally.compiled += 1;
        out.push(MessageRow {
            key: keys.next(format!("{position}>{resource}")),
            segment: segment_of(cell(r, syntax)),
            syntax: cell(r, syntax).to_owned(),
            position,
            cardinality,
            condition,
            resource,
            segment_map: opt_name(map_text),
            links,
            lineage: Lineage { file: file.to_owned(), row },
            implements: None,
        });
    }
    out
}
