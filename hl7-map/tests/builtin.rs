//! The built-in matrices in `hl7-map/mappings/`: generated from the IG CSVs by this test and kept
//! up to date by it (set `HL7RS_BLESS=1` to rewrite them after an IG change), so they never
//! drift silently. Each row names the IG file and row it implements (`ig_file`, `ig_row`).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hl7_map::matrix::Matrix;

/// The maps the built-ins start from; every map they refer to is included too.
const ROOTS: &[&str] = &[
    "ADT_A01",
    "ADT_A02",
    "ADT_A05",
    "ADT_A06",
    "ADT_A09",
    "ADT_A11",
    "ADT_A17",
    "MDM_T02",
    "OML_O21",
    "ORM_O01",
    "ORU_R01",
    "SIU_S12",
    "VXU_V04",
    "PID[Patient]",
    "MSH[MessageHeader]",
    "CX[Identifier]",
    "XPN[HumanName]",
    "XAD[Address]",
    "XTN[ContactPoint]",
    "CWE[CodeableConcept]",
    "HD[Identifier]",
    "AdministrativeSex",
];

/// The project's own files among the built-ins (not generated from the IG; kept by a bless run):
/// `CodingSystem` is the HL7 table 0396 → URI table the IG's CWE.3 comment defers to.
const PROJECT_FILES: &[&str] = &["vocabulary/CodingSystem.csv"];

fn builtin_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings")
}

/// The IG matrix reduced to the roots and what they refer to.
fn closure(ig: &Matrix) -> Matrix {
    let mut out = Matrix::default();
    let mut todo: Vec<String> = ROOTS.iter().map(|s| hl7_map::matrix::MapName::new(s).key().to_owned()).collect();
    let mut seen = BTreeSet::new();
    while let Some(k) = todo.pop() {
        if !seen.insert(k.clone()) {
            continue;
        }
        if let Some(m) = ig.messages.get(&k) {
            out.messages.insert(k.clone(), m.clone());
            todo.extend(m.rows.iter().filter_map(|r| r.segment_map.as_ref()).map(|n| n.key().to_owned()));
            continue;
        }
        let rows = if let Some(s) = ig.segments.get(&k) {
            out.segments.insert(k.clone(), s.clone());
            &s.rows
        } else if let Some(d) = ig.datatypes.get(&k) {
            out.datatypes.insert(k.clone(), d.clone());
            &d.rows
        } else if let Some(v) = ig.vocabularies.get(&k) {
            out.vocabularies.insert(k.clone(), v.clone());
            continue;
        } else {
            panic!("built-in root or reference {k} is not in the IG");
        };
        for r in rows {
            todo.extend(r.datatype_map.iter().chain(r.vocabulary.iter()).map(|n| n.key().to_owned()));
        }
    }
    out
}

fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for kind in ["messages", "segments", "datatypes", "vocabulary"] {
        let Ok(entries) = std::fs::read_dir(dir.join(kind)) else { continue };
        for e in entries {
            let p = e.unwrap().path();
            out.push((
                format!("{kind}/{}", p.file_name().unwrap().to_string_lossy()),
                std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn builtin_matrices_are_up_to_date() {
    let Some(ig) = common::ig_dir() else { return };
    let ig = Matrix::from_ig_dir(&ig).unwrap();
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("builtin-gen");
    let _ = std::fs::remove_dir_all(&tmp);
    closure(&ig).write_dir(&tmp).unwrap();
    if std::env::var_os("HL7RS_BLESS").is_some() {
        let kept: Vec<(&str, String)> =
            PROJECT_FILES.iter().map(|f| (*f, std::fs::read_to_string(builtin_dir().join(f)).unwrap())).collect();
        for kind in ["messages", "segments", "datatypes", "vocabulary"] {
            let _ = std::fs::remove_dir_all(builtin_dir().join(kind));
        }
        closure(&ig).write_dir(&builtin_dir()).unwrap();
        for (f, text) in kept {
            std::fs::write(builtin_dir().join(f), text).unwrap();
        }
    }
    let want = files(&tmp);
    let have: Vec<(String, String)> =
        files(&builtin_dir()).into_iter().filter(|(n, _)| !PROJECT_FILES.contains(&n.as_str())).collect();
    let names = |v: &[(String, String)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&have), names(&want), "built-in files differ from the IG; rerun with HL7RS_BLESS=1");
    for ((name, h), (_, w)) in have.iter().zip(&want) {
        assert!(h == w, "{name} differs from the IG; rerun with HL7RS_BLESS=1");
    }
}

#[test]
fn builtin_matrices_load_whole() {
    let m = Matrix::from_dir(&builtin_dir()).unwrap();
    let pid = m.segment_map("PID[Patient]").unwrap();
    assert!(pid.rows.iter().all(|r| r.implements.as_ref().is_some_and(|l| l.file.contains("PID[Patient]"))));
    for name in [
        "CX[Identifier]",
        "XPN[HumanName]",
        "XAD[Address]",
        "XTN[ContactPoint]",
        "CWE[CodeableConcept]",
        "HD[Identifier]",
    ] {
        assert!(m.datatype_map(name).is_some(), "{name}");
    }
    assert_eq!(m.vocabulary("AdministrativeSex").unwrap().lookup("F", "HL70001").unwrap().target_code, "female");
    eprintln!(
        "built-ins: {} segment maps, {} datatype maps, {} vocabularies, {} rows",
        m.segments.len(),
        m.datatypes.len(),
        m.vocabularies.len(),
        m.figures.segment.compiled + m.figures.datatype.compiled + m.figures.vocabulary.compiled
    );
}

/// IG → project format → read → write gives the same files (the writer and reader agree).
#[test]
fn project_format_round_trip() {
    let Some(ig) = common::ig_dir() else { return };
    let ig = Matrix::from_ig_dir(&ig).unwrap();
    let a = Path::new(env!("CARGO_TARGET_TMPDIR")).join("round-a");
    let b = Path::new(env!("CARGO_TARGET_TMPDIR")).join("round-b");
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
    ig.write_dir(&a).unwrap();
    let read = Matrix::from_dir(&a).unwrap();
    assert_eq!(read.segments.len(), ig.segments.len());
    assert_eq!(read.figures.segment.compiled, ig.figures.segment.compiled);
    assert_eq!(read.figures.vocabulary.compiled, ig.figures.vocabulary.compiled);
    for (k, s) in &ig.segments {
        let r = &read.segments[k];
        for (x, y) in s.rows.iter().zip(&r.rows) {
            assert_eq!(
                (&x.key, &x.source, &x.condition, &x.target, &x.constant),
                (&y.key, &y.source, &y.condition, &y.target, &y.constant)
            );
            assert_eq!(y.implements.as_ref(), Some(&x.lineage));
        }
    }
    read.write_dir(&b).unwrap();
    assert_eq!(files(&a), files(&b));
}
