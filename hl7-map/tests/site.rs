//! Site overrides layered over the built-ins, and hostile matrices (RELIABILITY class 14).

use std::path::{Path, PathBuf};

use hl7_core::Path as V2Path;
use hl7_map::error::MatrixErrorKind;
use hl7_map::matrix::Matrix;
use hl7_map::source::Source;

fn builtin() -> Matrix {
    Matrix::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings")).unwrap()
}

/// A site directory in the target tmpdir with the given files.
fn site(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("site").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const HEAD: &str = "key,source,v2_type,condition,target,fhir_type,min,max,datatype_map,vocabulary,constant\n";

#[test]
fn site_replaces_and_adds_rows_by_key() {
    let base = builtin();
    let before = base.segment_map("PID[Patient]").unwrap().rows.len();
    let m = base.with_site(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/site/ok")).unwrap();
    let pid = m.segment_map("PID[Patient]").unwrap();
    assert_eq!(pid.rows.len(), before + 1, "one row replaced, one added");
    let sex = pid.rows.iter().find(|r| r.key == "PID-8>gender").unwrap();
    assert_eq!(sex.vocabulary.as_ref().unwrap().as_str(), "LocalSex");
    assert_eq!(sex.lineage.file, "PID[Patient].csv");
    assert_eq!(m.vocabulary("LocalSex").unwrap().lookup("2", "99SEX").unwrap().target_code, "female");
    assert_eq!(m.vocabulary("LocalLab").unwrap().lookup("GLU", "99LAB").unwrap().target_code, "2345-7");
    let z = pid.rows.last().unwrap();
    assert_eq!(z.source, Source::Path(V2Path::new(b"ZPI").field(1)));
    assert_eq!(z.condition.as_ref().unwrap().condition.references(), vec![Source::Path(V2Path::new(b"ZPI").field(1))]);
}

fn site_error(name: &str, files: &[(&str, &str)]) -> hl7_map::error::MatrixError {
    builtin().with_site(&site(name, files)).unwrap_err()
}

#[test]
fn class14_reference_to_nothing_fails_at_load() {
    let e = site_error(
        "no-dt",
        &[("segments/PID[Patient].csv", &format!("{HEAD}x,PID-5,XPN,,name,HumanName,0,*,XPN[Nothing],,\n"))],
    );
    assert_eq!((e.file(), e.row(), e.column()), ("PID[Patient].csv", Some(2), Some("datatype_map")));
    assert_eq!(e.kind(), &MatrixErrorKind::UnknownDatatypeMap("XPN[Nothing]".into()));
    let e = site_error(
        "no-vocab",
        &[("segments/PID[Patient].csv", &format!("{HEAD}\nx,PID-8,CWE,,gender,code,0,1,,NoSuchTable,\n"))],
    );
    // Rows count CSV records (the csv crate skips a blank line).
    assert_eq!((e.row(), e.column()), (Some(2), Some("vocabulary")));
    assert!(matches!(e.kind(), MatrixErrorKind::UnknownVocabulary(_)));
    let msg = "key,position,syntax,resource,segment_map\nx,ADT_A01.PID,PID,Patient[1],PID[Nowhere]\n";
    let e = site_error("no-seg", &[("messages/ADT_A01.csv", msg)]);
    assert_eq!((e.file(), e.row(), e.column()), ("ADT_A01.csv", Some(2), Some("segment_map")));
    assert!(matches!(e.kind(), MatrixErrorKind::UnknownSegmentMap(_)));
    let e = site_error(
        "bad-cond",
        &[("segments/PID[Patient].csv", &format!("{HEAD}x,PID-8,CWE,IF PID-8 VALUED PID-9,gender,code,0,1,,,\n"))],
    );
    assert_eq!((e.row(), e.column()), (Some(2), Some("condition")));
    let e = site_error("no-col", &[("segments/PID[Patient].csv", "key,source\nx,PID-8\n")]);
    assert_eq!((e.row(), e.column(), e.kind()), (Some(1), Some("target"), &MatrixErrorKind::MissingColumn));
}

#[test]
fn class14_datatype_cycle_detected_at_load() {
    let head = HEAD;
    let e = site_error(
        "cycle",
        &[
            ("datatypes/AA[One].csv", &format!("{head}x,AA.1,BB,,a,,0,1,BB[Two],,\n")),
            ("datatypes/BB[Two].csv", &format!("{head}x,BB.1,AA,,b,,0,1,AA[One],,\n")),
        ],
    );
    assert!(matches!(e.kind(), MatrixErrorKind::DatatypeCycle(names) if names.len() == 3), "{e}");
    // A long chain that is not a cycle loads (iterative search, no deep recursion).
    let mut files = Vec::new();
    for n in 0..100 {
        let next = if n + 1 < 100 { format!("D{:02}[T]", n + 1) } else { String::new() };
        files.push((format!("datatypes/D{n:02}[T].csv"), format!("{head}x,D{n:02}.1,,,a,,0,1,{next},,\n")));
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert!(builtin().with_site(&site("chain", &refs)).is_ok());
}

#[test]
fn class14_huge_and_deep_cells_are_typed_errors() {
    let deep = format!("IF {}PID-8 VALUED{}", "(".repeat(5_000), ")".repeat(5_000));
    let e =
        site_error("deep", &[("segments/PID[Patient].csv", &format!("{HEAD}x,PID-8,CWE,{deep},gender,code,0,1,,,\n"))]);
    assert!(matches!(e.kind(), MatrixErrorKind::Condition(_)), "{e}");
    let huge = "x".repeat(1 << 20);
    let e = site_error(
        "huge",
        &[("segments/PID[Patient].csv", &format!("{HEAD}x,PID-8,CWE,,gender,code,0,1,,,\"{huge}\"\n"))],
    );
    assert!(matches!(e.kind(), MatrixErrorKind::Csv(_)), "{e}");
    let deep_path = format!("a{}{}", "(B.c".repeat(50), ")".repeat(50));
    let e = site_error(
        "deep-path",
        &[("segments/PID[Patient].csv", &format!("{HEAD}x,PID-8,CWE,,{deep_path},code,0,1,,,\n"))],
    );
    assert!(matches!(e.kind(), MatrixErrorKind::ElementPath(_)), "{e}");
}
