//! Loading matrices: the official IG CSV tree as it is ([`Matrix::from_ig_dir`]), the project's
//! own format ([`Matrix::from_dir`], [`Matrix::write_dir`], described in `hl7-map/mappings/README.md`),
//! and a site override layered on top ([`Matrix::with_site`]).
//!
//! The IG tables are informal, so a row of them that cannot be compiled is *reported*
//! ([`Matrix::reported`], with file, row and column) and the rest load. The project's files are
//! ours, so there any such row fails the load. Either way, a reference to a map that does not exist
//! is found here, at load time, never while converting a message.

mod ig;
mod own;

use std::path::Path;

use crate::error::{MatrixError, MatrixErrorKind};
use crate::matrix::{Matrix, VocabularyMap};

pub use own::read_vocabulary_csv;

/// Largest matrix file read (16 MiB; the largest IG file is under 100 KiB). A larger file is a
/// [`MatrixErrorKind::FileTooLarge`] before anything is parsed.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Largest cell, in bytes. Longer cells are refused as [`MatrixErrorKind::Csv`].
pub const MAX_CELL_BYTES: usize = 64 << 10;

impl Matrix {
    /// Loads the IG's CSV tree (`messages/`, `segments/`, `datatypes/`, `codesystems/`), as it is
    /// published. Rows that cannot be compiled are in [`Matrix::reported`]; the figures in
    /// [`Matrix::figures`].
    ///
    /// ```no_run
    /// let m = hl7_map::matrix::Matrix::from_ig_dir("../shared/v2-to-fhir/mappings".as_ref())?;
    /// println!("{} segment rows compiled", m.figures.segment.compiled);
    /// # Ok::<(), hl7_map::error::MatrixError>(())
    /// ```
    pub fn from_ig_dir(dir: &Path) -> Result<Matrix, MatrixError> {
        ig::load(dir)
    }

    /// Loads a matrix in the project's format (see `hl7-map/mappings/README.md`): every row must
    /// compile and every reference must resolve, or the load fails with file, row and column.
    ///
    /// ```
    /// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/mappings");
    /// let m = hl7_map::matrix::Matrix::from_dir(dir.as_ref())?;
    /// assert!(m.segment_map("PID[Patient]").is_some());
    /// # Ok::<(), hl7_map::error::MatrixError>(())
    /// ```
    pub fn from_dir(dir: &Path) -> Result<Matrix, MatrixError> {
        let mut m = Matrix::default();
        own::read_into(dir, &mut m, false)?;
        fail_on_dangling(&m)?;
        Ok(m)
    }

    /// Loads a matrix in the project's format from files held in memory, each named by its path
    /// under the matrix directory (`segments/PID[Patient].csv`); the same checks as
    /// [`Matrix::from_dir`]. [`crate::engine::Engine::builtin`] loads the built-ins this way,
    /// embedded at build time.
    ///
    /// ```
    /// let files = [("vocabulary/Sex.csv", "code,table,target_code\nF,HL70001,female\n")];
    /// let m = hl7_map::matrix::Matrix::from_files(&files)?;
    /// assert_eq!(m.vocabulary("Sex").unwrap().lookup("F", "").unwrap().target_code, "female");
    /// # Ok::<(), hl7_map::error::MatrixError>(())
    /// ```
    pub fn from_files(files: &[(&str, &str)]) -> Result<Matrix, MatrixError> {
        let records = |kind: &str| -> Result<Vec<(String, Vec<csv::StringRecord>)>, MatrixError> {
            let mut out = Vec::new();
            for (path, text) in files {
                let Some((k, file)) = path.split_once('/') else { continue };
                if k == kind && std::path::Path::new(file).extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")) {
                    if text.len() as u64 > MAX_FILE_BYTES {
                        return Err(MatrixError::new(file, None, None, MatrixErrorKind::FileTooLarge));
                    }
                    out.push((file.to_owned(), parse_records(text.as_bytes(), file)?));
                }
            }
            out.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(out)
        };
        let mut m = Matrix::default();
        own::read_from(&records, &mut m, false)?;
        fail_on_dangling(&m)?;
        Ok(m)
    }

    /// Layers a site's matrix (same format) over this one: a row whose key exists replaces it, a
    /// new key is added, a new map (a local code table, a Z-segment map) is added. The result must
    /// be whole: a site row that refers to nothing fails with the site file, row and column.
    ///
    /// ```
    /// let base = hl7_map::matrix::Matrix::from_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/mappings").as_ref())?;
    /// let site = base.clone().with_site(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/site/ok").as_ref())?;
    /// assert!(site.vocabulary("LocalSex").is_some());
    /// # Ok::<(), hl7_map::error::MatrixError>(())
    /// ```
    pub fn with_site(mut self, dir: &Path) -> Result<Matrix, MatrixError> {
        own::read_into(dir, &mut self, true)?;
        fail_on_dangling(&self)?;
        Ok(self)
    }

    /// Writes the matrix in the project's format, one file per map, under `dir`.
    ///
    /// ```no_run
    /// let m = hl7_map::matrix::Matrix::from_ig_dir("../shared/v2-to-fhir/mappings".as_ref())?;
    /// m.write_dir("/tmp/matrix".as_ref())?;
    /// # Ok::<(), hl7_map::error::MatrixError>(())
    /// ```
    pub fn write_dir(&self, dir: &Path) -> Result<(), MatrixError> {
        own::write_dir(self, dir)
    }
}

impl VocabularyMap {
    /// Number of codes.
    ///
    /// ```
    /// let m = hl7_map::load::read_vocabulary_csv("S.csv", "code,target_code\nF,female\n")?;
    /// assert_eq!(m.len(), 1);
    /// # Ok::<(), hl7_map::error::MatrixError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// `true` without codes.
    ///
    /// ```
    /// let m = hl7_map::load::read_vocabulary_csv("S.csv", "code,target_code\n")?;
    /// assert!(m.is_empty());
    /// # Ok::<(), hl7_map::error::MatrixError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

fn fail_on_dangling(m: &Matrix) -> Result<(), MatrixError> {
    match m.dangling().into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Reads a whole CSV file (size-checked) into records; the byte-order mark is dropped.
pub(crate) fn read_records(path: &Path, name: &str) -> Result<Vec<csv::StringRecord>, MatrixError> {
    let io = |e: std::io::Error| MatrixError::new(name, None, None, MatrixErrorKind::Io(e.kind().to_string()));
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_FILE_BYTES {
        return Err(MatrixError::new(name, None, None, MatrixErrorKind::FileTooLarge));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    parse_records(&bytes, name)
}

pub(crate) fn parse_records(bytes: &[u8], name: &str) -> Result<Vec<csv::StringRecord>, MatrixError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut out = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| MatrixError::new(name, Some(n + 1), None, MatrixErrorKind::Csv(csv_reason(&e))))?;
        if rec.iter().any(|c| c.len() > MAX_CELL_BYTES) {
            return Err(MatrixError::new(
                name,
                Some(n + 1),
                None,
                MatrixErrorKind::Csv("cell longer than the limit".into()),
            ));
        }
        out.push(rec);
    }
    Ok(out)
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".into(),
        csv::ErrorKind::UnequalLengths { .. } => "unequal row lengths".into(),
        csv::ErrorKind::Io(e) => e.kind().to_string(),
        _ => "unreadable".into(),
    }
}

/// CSV files of a directory, sorted by name; an absent directory is empty.
pub(crate) fn csv_files(dir: &Path) -> Result<Vec<(String, std::path::PathBuf)>, MatrixError> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(|e| {
            MatrixError::new(dir.display().to_string(), None, None, MatrixErrorKind::Io(e.kind().to_string()))
        })?;
        let p = e.path();
        if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")) {
            out.push((e.file_name().to_string_lossy().into_owned(), p));
        }
    }
    out.sort();
    Ok(out)
}
