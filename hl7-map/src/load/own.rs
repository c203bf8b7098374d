//! The project's matrix format: one CSV file per map, named after the map, in `messages/`,
//! `segments/`, `datatypes/` and `vocabulary/`; the column names are on row 1 and documented in
//! `hl7-map/mappings/README.md`. Columns not listed there are ignored (analysts' notes).

use std::collections::BTreeMap;
use std::path::Path;

use csv::StringRecord;

use super::{csv_files, parse_records, read_records};
use crate::condition::Condition;
use crate::element::ElementPath;
use crate::error::{MatrixError, MatrixErrorKind};
use crate::matrix::{
    Cardinality, CodeMapping, DatatypeMap, Guard, Lineage, LinkTarget, MapName, MapRow, Matrix, MessageMap, MessageRow,
    SegmentMap, VocabularyMap,
};
use crate::source::{parse_reference, Scope, Source};

const ROW_COLUMNS: &[&str] = &[
    "key",
    "source",
    "v2_type",
    "condition",
    "target",
    "fhir_type",
    "min",
    "max",
    "datatype_map",
    "vocabulary",
    "constant",
    "ig_file",
    "ig_row",
];
const CODE_COLUMNS: &[&str] =
    &["code", "text", "table", "condition", "target_code", "target_display", "target_system", "ig_file", "ig_row"];
const MESSAGE_COLUMNS: &[&str] = &[
    "key",
    "position",
    "syntax",
    "segment",
    "min",
    "max",
    "condition",
    "resource",
    "segment_map",
    "links",
    "ig_file",
    "ig_row",
];

struct Table<'r> {
    file: &'r str,
    columns: Vec<String>,
}

impl Table<'_> {
    fn col(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    fn require(&self, name: &str) -> Result<usize, MatrixError> {
        self.col(name).ok_or_else(|| MatrixError::new(self.file, Some(1), Some(name), MatrixErrorKind::MissingColumn))
    }

    fn get<'a>(&self, r: &'a StringRecord, name: &str) -> &'a str {
        self.col(name).and_then(|c| r.get(c)).map_or("", str::trim)
    }

    fn fail(&self, row: usize, column: &str, kind: MatrixErrorKind) -> MatrixError {
        MatrixError::new(self.file, Some(row), Some(column), kind)
    }

    fn guard(&self, r: &StringRecord, row: usize, scope: Scope<'_>) -> Result<Option<Guard>, MatrixError> {
        let text = self.get(r, "condition");
        if text.is_empty() {
            return Ok(None);
        }
        Condition::parse(text, scope)
            .map(|condition| Some(Guard { text: text.to_owned(), condition }))
            .map_err(|e| self.fail(row, "condition", MatrixErrorKind::Condition(e)))
    }

    fn cardinality(&self, r: &StringRecord, row: usize) -> Result<Cardinality, MatrixError> {
        let (min, max) = (self.get(r, "min"), self.get(r, "max"));
        Cardinality::parse(min, max)
            .ok_or_else(|| self.fail(row, "min", MatrixErrorKind::BadCardinality(format!("{min}..{max}"))))
    }

    fn implements(&self, r: &StringRecord, row: usize) -> Result<Option<Lineage>, MatrixError> {
        let file = self.get(r, "ig_file");
        if file.is_empty() {
            return Ok(None);
        }
        let n = self.get(r, "ig_row");
        let n = n.parse().map_err(|_| self.fail(row, "ig_row", MatrixErrorKind::BadCardinality(n.to_owned())))?;
        Ok(Some(Lineage { file: file.to_owned(), row: n }))
    }

    fn key(
        &self,
        r: &StringRecord,
        row: usize,
        derived: String,
        seen: &mut BTreeMap<String, usize>,
    ) -> Result<String, MatrixError> {
        let key = match self.get(r, "key") {
            "" => derived,
            k => k.to_owned(),
        };
        if seen.insert(key.clone(), row).is_some() {
            return Err(self.fail(row, "key", MatrixErrorKind::DuplicateKey(key)));
        }
        Ok(key)
    }
}

fn table<'r>(records: &[StringRecord], file: &'r str) -> Table<'r> {
    let columns =
        records.first().map(|h| h.iter().map(|c| c.trim().to_ascii_lowercase()).collect()).unwrap_or_default();
    Table { file, columns }
}

fn stem(file: &str) -> &str {
    file.strip_suffix(".csv").or_else(|| file.strip_suffix(".CSV")).unwrap_or(file)
}

/// Reads a project-format matrix directory into `m`. With `site`, rows replace rows of the same
/// key in maps of the same name, and are added otherwise.
pub(super) fn read_into(dir: &Path, m: &mut Matrix, site: bool) -> Result<(), MatrixError> {
    if !dir.is_dir() {
        return Err(MatrixError::new(
            dir.display().to_string(),
            None,
            None,
            MatrixErrorKind::Io("not a directory".into()),
        ));
    }
    let records = |kind: &str| -> Result<Vec<(String, Vec<StringRecord>)>, MatrixError> {
        let mut out = Vec::new();
        for (file, path) in csv_files(&dir.join(kind))? {
            let r = read_records(&path, &file)?;
            out.push((file, r));
        }
        Ok(out)
    };
    read_from(&records, m, site)
}

/// The files of one folder (`datatypes`, `segments`, `vocabulary`, `messages`) as parsed records.
pub(super) type Folder<'f> = dyn Fn(&str) -> Result<Vec<(String, Vec<StringRecord>)>, MatrixError> + 'f;

/// Reads a project-format matrix, folder by folder, into `m` (see [`read_into`]).
pub(super) fn read_from(records: &Folder<'_>, m: &mut Matrix, site: bool) -> Result<(), MatrixError> {
    for (file, records) in records("datatypes")? {
        let name = MapName::new(stem(&file));
        let rows = read_rows(&records, &file, Scope::Datatype(name.base()))?;
        m.figures.datatype.files += 1;
        m.figures.datatype.compiled += rows.len();
        match m.datatypes.get_mut(name.key()) {
            Some(existing) if site => merge(&mut existing.rows, rows, |r| r.key.clone()),
            _ => {
                m.datatypes.insert(name.key().to_owned(), DatatypeMap { name, file, rows });
            }
        }
    }
    for (file, records) in records("segments")? {
        let name = MapName::new(stem(&file));
        let rows = read_rows(&records, &file, Scope::Segment)?;
        m.figures.segment.files += 1;
        m.figures.segment.compiled += rows.len();
        match m.segments.get_mut(name.key()) {
            Some(existing) if site => merge(&mut existing.rows, rows, |r| r.key.clone()),
            _ => {
                m.segments.insert(name.key().to_owned(), SegmentMap { name, file, rows });
            }
        }
    }
    for (file, records) in records("vocabulary")? {
        let v = vocabulary(&records, &file)?;
        m.figures.vocabulary.files += 1;
        m.figures.vocabulary.compiled += v.codes.len();
        match m.vocabularies.get_mut(v.name.key()) {
            Some(existing) if site => merge(&mut existing.codes, v.codes, CodeMapping::key),
            _ => {
                m.vocabularies.insert(v.name.key().to_owned(), v);
            }
        }
    }
    for (file, records) in records("messages")? {
        let name = MapName::new(stem(&file));
        let rows = read_messages(&records, &file)?;
        m.figures.message.files += 1;
        m.figures.message.compiled += rows.len();
        match m.messages.get_mut(name.key()) {
            Some(existing) if site => merge(&mut existing.rows, rows, |r| r.key.clone()),
            _ => {
                m.messages.insert(name.key().to_owned(), MessageMap { name, file, rows });
            }
        }
    }
    Ok(())
}

/// Site rows replace base rows of the same key, in place; new keys are appended in file order.
fn merge<T>(base: &mut Vec<T>, site: Vec<T>, key: impl Fn(&T) -> String) {
    for row in site {
        let k = key(&row);
        match base.iter_mut().find(|b| key(b) == k) {
            Some(slot) => *slot = row,
            None => base.push(row),
        }
    }
}

fn read_rows(records: &[StringRecord], file: &str, scope: Scope<'_>) -> Result<Vec<MapRow>, MatrixError> {
    let t = table(records, file);
    t.require("source")?;
    t.require("target")?;
    let mut seen = BTreeMap::new();
    let mut out = Vec::new();
    for (n, r) in records.iter().enumerate().skip(1) {
        let row = n + 1;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let src = t.get(r, "source");
        let ((Some(source @ Source::Path(_)), Scope::Segment)
        | (Some(source @ (Source::Component { .. } | Source::Own)), Scope::Datatype(_))) =
            (parse_reference(src, scope), scope)
        else {
            return Err(t.fail(row, "source", MatrixErrorKind::BadSource(src.to_owned())));
        };
        let condition = t.guard(r, row, scope)?;
        let (target, assigned) = ElementPath::parse(t.get(r, "target"))
            .map_err(|e| t.fail(row, "target", MatrixErrorKind::ElementPath(e)))?;
        let constant = match t.get(r, "constant") {
            "" => assigned,
            c => Some(c.to_owned()),
        };
        out.push(MapRow {
            key: t.key(r, row, format!("{src}>{target}"), &mut seen)?,
            source,
            v2_type: t.get(r, "v2_type").to_owned(),
            condition,
            target,
            fhir_type: t.get(r, "fhir_type").to_owned(),
            cardinality: t.cardinality(r, row)?,
            datatype_map: opt_name(t.get(r, "datatype_map")),
            vocabulary: opt_name(t.get(r, "vocabulary")),
            constant,
            lineage: Lineage { file: file.to_owned(), row },
            implements: t.implements(r, row)?,
        });
    }
    Ok(out)
}

fn opt_name(text: &str) -> Option<MapName> {
    (!text.is_empty()).then(|| MapName::new(text))
}

/// Reads one vocabulary file of the project format from text (the map is named after the file).
///
/// ```
/// let m = hl7_map::load::read_vocabulary_csv("LocalSex.csv", "code,table,target_code,target_system\n1,99SEX,male,http://hl7.org/fhir/administrative-gender\n")?;
/// assert_eq!(m.name.as_str(), "LocalSex");
/// assert_eq!(m.lookup("1", "99SEX").unwrap().target_code, "male");
/// let e = hl7_map::load::read_vocabulary_csv("Bad.csv", "code,table\n1,99SEX\n").unwrap_err();
/// assert_eq!((e.row(), e.column()), (Some(1), Some("target_code")));
/// # Ok::<(), hl7_map::error::MatrixError>(())
/// ```
pub fn read_vocabulary_csv(file: &str, text: &str) -> Result<VocabularyMap, MatrixError> {
    vocabulary(&parse_records(text.as_bytes(), file)?, file)
}

fn vocabulary(records: &[StringRecord], file: &str) -> Result<VocabularyMap, MatrixError> {
    let t = table(records, file);
    t.require("code")?;
    t.require("target_code")?;
    let mut codes = Vec::new();
    for (n, r) in records.iter().enumerate().skip(1) {
        let row = n + 1;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        for required in ["code", "target_code"] {
            if t.get(r, required).is_empty() {
                return Err(t.fail(row, required, MatrixErrorKind::Empty));
            }
        }
        let code = CodeMapping {
            code: t.get(r, "code").to_owned(),
            text: t.get(r, "text").to_owned(),
            table: t.get(r, "table").to_owned(),
            condition: t.guard(r, row, Scope::Segment)?,
            target_code: t.get(r, "target_code").to_owned(),
            target_display: t.get(r, "target_display").to_owned(),
            target_system: t.get(r, "target_system").to_owned(),
            lineage: Lineage { file: file.to_owned(), row },
            implements: t.implements(r, row)?,
        };
        // A code may appear twice (the IG has such rows); lookups take the first.
        codes.push(code);
    }
    Ok(VocabularyMap { name: MapName::new(stem(file)), file: file.to_owned(), codes })
}

fn read_messages(records: &[StringRecord], file: &str) -> Result<Vec<MessageRow>, MatrixError> {
    let t = table(records, file);
    t.require("position")?;
    t.require("resource")?;
    let mut seen = BTreeMap::new();
    let mut out = Vec::new();
    for (n, r) in records.iter().enumerate().skip(1) {
        let row = n + 1;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let position = t.get(r, "position").to_owned();
        let (resource, _) = ElementPath::parse(t.get(r, "resource"))
            .map_err(|e| t.fail(row, "resource", MatrixErrorKind::ElementPath(e)))?;
        let links = super::ig::links_of(t.get(r, "links")).map_err(|k| t.fail(row, "links", k))?;
        let syntax = t.get(r, "syntax").to_owned();
        let segment = match t.get(r, "segment") {
            "" => super::ig::segment_of(&syntax),
            s => Some(s.to_owned()),
        };
        out.push(MessageRow {
            key: t.key(r, row, format!("{position}>{resource}"), &mut seen)?,
            position,
            segment,
            syntax,
            cardinality: t.cardinality(r, row)?,
            condition: t.guard(r, row, Scope::Segment)?,
            resource,
            segment_map: opt_name(t.get(r, "segment_map")),
            links,
            lineage: Lineage { file: file.to_owned(), row },
            implements: t.implements(r, row)?,
        });
    }
    Ok(out)
}

fn source_text(s: &Source, base: &str) -> String {
    match s {
        Source::Own => base.to_owned(),
        Source::Component { component, subcomponent: None } => format!("{base}.{component}"),
        Source::Component { component, subcomponent: Some(x) } => format!("{base}.{component}.{x}"),
        other => other.to_string(),
    }
}

fn implements_cells(own: &Lineage, implements: Option<&Lineage>, from_ig: bool) -> [String; 2] {
    match implements.or(from_ig.then_some(own)) {
        Some(l) => [l.file.clone(), l.row.to_string()],
        None => [String::new(), String::new()],
    }
}

fn max_text(c: Cardinality) -> String {
    c.max.map_or_else(|| "*".to_owned(), |m| m.to_string())
}

fn cond_text(g: Option<&Guard>) -> String {
    g.map(|g| g.text.clone()).unwrap_or_default()
}

fn name_text(n: Option<&MapName>) -> String {
    n.map(ToString::to_string).unwrap_or_default()
}

fn links_text(row: &MessageRow) -> String {
    row.links
        .iter()
        .map(|l| match &l.to {
            LinkTarget::Resource(p) => format!("{}={p}", l.from),
            LinkTarget::Constant(c) => format!("{}=\"{c}\"", l.from),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn writer(dir: &Path, kind: &str, name: &MapName) -> Result<csv::Writer<std::fs::File>, MatrixError> {
    let io = |e: std::io::Error| MatrixError::new(name.as_str(), None, None, MatrixErrorKind::Io(e.kind().to_string()));
    if name.as_str().contains(['/', '\\']) || name.as_str().starts_with('.') {
        return Err(MatrixError::new(name.as_str(), None, None, MatrixErrorKind::BadMapName(name.to_string())));
    }
    let sub = dir.join(kind);
    std::fs::create_dir_all(&sub).map_err(io)?;
    let file = std::fs::File::create(sub.join(format!("{name}.csv"))).map_err(io)?;
    Ok(csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(file))
}

fn write_err(name: &MapName) -> impl Fn(csv::Error) -> MatrixError + '_ {
    move |e| MatrixError::new(name.as_str(), None, None, MatrixErrorKind::Csv(super::csv_reason(&e)))
}

fn write_rows(dir: &Path, kind: &str, name: &MapName, rows: &[MapRow], base: &str) -> Result<(), MatrixError> {
    let mut w = writer(dir, kind, name)?;
    let e = write_err(name);
    w.write_record(ROW_COLUMNS).map_err(&e)?;
    for r in rows {
        let [ig_file, ig_row] = implements_cells(&r.lineage, r.implements.as_ref(), r.lineage.file.starts_with("HL7 "));
        w.write_record([
            r.key.clone(),
            source_text(&r.source, base),
            r.v2_type.clone(),
            cond_text(r.condition.as_ref()),
            r.target.to_string(),
            r.fhir_type.clone(),
            r.cardinality.min.to_string(),
            max_text(r.cardinality),
            name_text(r.datatype_map.as_ref()),
            name_text(r.vocabulary.as_ref()),
            r.constant.clone().unwrap_or_default(),
            ig_file,
            ig_row,
        ])
        .map_err(&e)?;
    }
    w.flush().map_err(|x| e(x.into()))
}

pub(super) fn write_dir(m: &Matrix, dir: &Path) -> Result<(), MatrixError> {
    for s in m.segments.values() {
        write_rows(dir, "segments", &s.name, &s.rows, "")?;
    }
    for d in m.datatypes.values() {
        write_rows(dir, "datatypes", &d.name, &d.rows, d.name.base())?;
    }
    for v in m.vocabularies.values() {
        let mut w = writer(dir, "vocabulary", &v.name)?;
        let e = write_err(&v.name);
        w.write_record(CODE_COLUMNS).map_err(&e)?;
        for c in &v.codes {
            let [ig_file, ig_row] =
                implements_cells(&c.lineage, c.implements.as_ref(), c.lineage.file.starts_with("HL7 "));
            w.write_record([
                c.code.clone(),
                c.text.clone(),
                c.table.clone(),
                cond_text(c.condition.as_ref()),
                c.target_code.clone(),
                c.target_display.clone(),
                c.target_system.clone(),
                ig_file,
                ig_row,
            ])
            .map_err(&e)?;
        }
        w.flush().map_err(|x| e(x.into()))?;
    }
    for g in m.messages.values() {
        let mut w = writer(dir, "messages", &g.name)?;
        let e = write_err(&g.name);
        w.write_record(MESSAGE_COLUMNS).map_err(&e)?;
        for r in &g.rows {
            let [ig_file, ig_row] =
                implements_cells(&r.lineage, r.implements.as_ref(), r.lineage.file.starts_with("HL7 "));
            w.write_record([
                r.key.clone(),
                r.position.clone(),
                r.syntax.clone(),
                r.segment.clone().unwrap_or_default(),
                r.cardinality.min.to_string(),
                max_text(r.cardinality),
                cond_text(r.condition.as_ref()),
                r.resource.to_string(),
                name_text(r.segment_map.as_ref()),
                links_text(r),
                ig_file,
                ig_row,
            ])
            .map_err(&e)?;
        }
        w.flush().map_err(|x| e(x.into()))?;
    }
    Ok(())
}
