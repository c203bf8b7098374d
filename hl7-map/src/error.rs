//! The one error shape of matrix loading: file, row (1-based; the header row of a project file is
//! row 1), column (the CSV column name) and a kind. Matrix files hold no PHI, so the kinds may
//! name what they did not find.

use core::fmt;

use crate::condition::ConditionError;
use crate::element::ElementPathError;

/// A matrix file or row that could not be loaded or compiled.
///
/// ```
/// use hl7_map::error::{MatrixError, MatrixErrorKind};
/// let e = MatrixError::new("PID[Patient].csv", Some(4), Some("datatype_map"), MatrixErrorKind::UnknownDatatypeMap("XYZ[Foo]".into()));
/// assert_eq!(e.to_string(), "PID[Patient].csv row 4, column datatype_map: no datatype map XYZ[Foo]");
/// assert_eq!((e.file(), e.row(), e.column()), ("PID[Patient].csv", Some(4), Some("datatype_map")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatrixError(Box<Inner>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    file: String,
    row: Option<usize>,
    column: Option<String>,
    kind: MatrixErrorKind,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MatrixErrorKind {
    /// The file or directory could not be read.
    Io(String),
    /// The CSV is malformed.
    Csv(String),
    /// A file is larger than [`crate::load::MAX_FILE_BYTES`].
    FileTooLarge,
    /// A required column is absent from the header.
    MissingColumn,
    /// A required cell is empty.
    Empty,
    /// The v2 reference (`PID-5`, `XPN.1`) is not one.
    BadSource(String),
    /// A cardinality that is not a number, `-1` or `*`.
    BadCardinality(String),
    /// A condition that does not compile.
    Condition(ConditionError),
    /// A FHIR element path that does not parse.
    ElementPath(ElementPathError),
    /// A link that is not `element=value`.
    BadLink(String),
    /// A map name that is not `NAME` or `NAME[Target]`.
    BadMapName(String),
    /// A row names a datatype map that does not exist.
    UnknownDatatypeMap(String),
    /// A row names a vocabulary map that does not exist.
    UnknownVocabulary(String),
    /// A message row names a segment map that does not exist.
    UnknownSegmentMap(String),
    /// Datatype maps that refer to each other in a cycle (the names, in order).
    DatatypeCycle(Vec<String>),
    /// Two rows of one map with the same key.
    DuplicateKey(String),
    /// A v2 → v2 transform that is not one ([`crate::v2v2`]: `copy`, `upper`, `date:YYYYMMDD`…),
    /// or one the row's source or target cannot take.
    BadTransform(String),
}

impl MatrixError {
    /// An error at a place in a matrix file.
    ///
    /// ```
    /// use hl7_map::error::{MatrixError, MatrixErrorKind};
    /// let e = MatrixError::new("x.csv", None, None, MatrixErrorKind::MissingColumn);
    /// assert_eq!(e.to_string(), "x.csv: column missing");
    /// ```
    #[cold]
    pub fn new(file: impl Into<String>, row: Option<usize>, column: Option<&str>, kind: MatrixErrorKind) -> Self {
        MatrixError(Box::new(Inner { file: file.into(), row, column: column.map(str::to_owned), kind }))
    }

    /// The file name (relative to the matrix directory).
    ///
    /// ```
    /// let e = hl7_map::error::MatrixError::new("a.csv", Some(2), None, hl7_map::error::MatrixErrorKind::Empty);
    /// assert_eq!(e.file(), "a.csv");
    /// ```
    pub fn file(&self) -> &str {
        &self.0.file
    }

    /// The 1-based row (the header row is 1), when the error is in a row.
    ///
    /// ```
    /// let e = hl7_map::error::MatrixError::new("a.csv", Some(2), None, hl7_map::error::MatrixErrorKind::Empty);
    /// assert_eq!(e.row(), Some(2));
    /// ```
    pub fn row(&self) -> Option<usize> {
        self.0.row
    }

    /// The CSV column name, when the error is in a cell.
    ///
    /// ```
    /// let e = hl7_map::error::MatrixError::new("a.csv", Some(2), Some("condition"), hl7_map::error::MatrixErrorKind::Empty);
    /// assert_eq!(e.column(), Some("condition"));
    /// ```
    pub fn column(&self) -> Option<&str> {
        self.0.column.as_deref()
    }

    /// The kind.
    ///
    /// ```
    /// use hl7_map::error::{MatrixError, MatrixErrorKind};
    /// let e = MatrixError::new("a.csv", Some(2), None, MatrixErrorKind::Empty);
    /// assert_eq!(e.kind(), &MatrixErrorKind::Empty);
    /// ```
    pub fn kind(&self) -> &MatrixErrorKind {
        &self.0.kind
    }
}

impl fmt::Display for MatrixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.file)?;
        match (self.0.row, &self.0.column) {
            (Some(r), Some(c)) => write!(f, " row {r}, column {c}")?,
            (Some(r), None) => write!(f, " row {r}")?,
            (None, Some(c)) => write!(f, " column {c}")?,
            (None, None) => {}
        }
        f.write_str(": ")?;
        match &self.0.kind {
            MatrixErrorKind::Io(e) => write!(f, "cannot read: {e}"),
            MatrixErrorKind::Csv(e) => write!(f, "malformed CSV: {e}"),
            MatrixErrorKind::FileTooLarge => f.write_str("file larger than the limit"),
            MatrixErrorKind::MissingColumn => f.write_str("column missing"),
            MatrixErrorKind::Empty => f.write_str("empty"),
            MatrixErrorKind::BadSource(t) => write!(f, "not a v2 reference: {t:?}"),
            MatrixErrorKind::BadCardinality(t) => write!(f, "not a cardinality: {t:?}"),
            MatrixErrorKind::Condition(e) => write!(f, "{e}"),
            MatrixErrorKind::ElementPath(e) => write!(f, "{e}"),
            MatrixErrorKind::BadLink(t) => write!(f, "not element=value: {t:?}"),
            MatrixErrorKind::BadMapName(t) => write!(f, "not a map name: {t:?}"),
            MatrixErrorKind::UnknownDatatypeMap(n) => write!(f, "no datatype map {n}"),
            MatrixErrorKind::UnknownVocabulary(n) => write!(f, "no vocabulary map {n}"),
            MatrixErrorKind::UnknownSegmentMap(n) => write!(f, "no segment map {n}"),
            MatrixErrorKind::DatatypeCycle(names) => write!(f, "datatype maps in a cycle: {}", names.join(" -> ")),
            MatrixErrorKind::DuplicateKey(k) => write!(f, "duplicate row key {k:?}"),
            MatrixErrorKind::BadTransform(t) => write!(f, "not a transform here: {t}"),
        }
    }
}

impl std::error::Error for MatrixError {}
