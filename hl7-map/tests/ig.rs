//! The official IG CSV tree, loaded as it is: figures per table kind, every reported row listed.

mod common;

use std::collections::BTreeMap;

use hl7_core::Path;
use hl7_map::matrix::{Matrix, Tally};
use hl7_map::source::Source;

fn tally(t: Tally) -> (usize, usize, usize, usize) {
    (t.files, t.compiled, t.reported, t.unmapped)
}

#[test]
fn ig_tree_figures() {
    let Some(dir) = common::ig_dir() else { return };
    let m = Matrix::from_ig_dir(&dir).unwrap();
    let f = m.figures;
    eprintln!("IG load (files, rows compiled, rows reported, rows that map nothing):");
    eprintln!("  message    {:?}", tally(f.message));
    eprintln!("  segment    {:?}", tally(f.segment));
    eprintln!("  datatype   {:?}", tally(f.datatype));
    eprintln!("  vocabulary {:?}", tally(f.vocabulary));
    let mut by_reason: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &m.reported {
        let reason = format!("{:?}", e.kind());
        let reason = reason.split(['(', '{']).next().unwrap_or_default().to_owned();
        by_reason.entry(reason).or_default().push(e.to_string());
    }
    for (reason, list) in &by_reason {
        eprintln!("  reported, {reason}: {}", list.len());
        for l in list {
            eprintln!("    {l}");
        }
    }
    // Measured; a change here is a loader or grammar regression (or a new IG drop).
    assert_eq!(tally(f.message), (13, 401, 1, 333));
    assert_eq!(tally(f.segment), (75, 1070, 14, 1463));
    assert_eq!(tally(f.datatype), (105, 608, 20, 462));
    assert_eq!(tally(f.vocabulary), (99, 2324, 0, 2934));
    // Message rows: 1 row reported whole, links reported alone (their rows kept).
    assert_eq!(m.reported.len(), 1 + 13 + 14 + 20);
    // No IG row refers to a map that does not exist once names are normalized, and no cycles.
    assert!(m.dangling().is_empty());
}

#[test]
fn ig_name_variants_resolve() {
    let Some(dir) = common::ig_dir() else { return };
    let m = Matrix::from_ig_dir(&dir).unwrap();
    // Datatype-map references that differ by case from the file names.
    assert!(m.datatype_map("CWE[code]").is_some() && m.datatype_map("CWE[Code]").is_some());
    // Vocabulary names with `/` and blanks.
    assert!(m.vocabulary("Yes/NoIndicator").is_some());
    assert!(m.vocabulary("Contact Role").is_some());
    let pid = m.segment_map("PID[Patient]").unwrap();
    let sex = pid.rows.iter().find(|r| r.source == Source::Path(Path::new(b"PID").field(8))).unwrap();
    assert_eq!(sex.target.to_string(), "gender");
    assert_eq!(sex.vocabulary.as_ref().unwrap().as_str(), "AdministrativeSex");
    let v = m.vocabulary(sex.vocabulary.as_ref().unwrap().as_str()).unwrap();
    assert_eq!(v.lookup("F", "HL70001").unwrap().target_code, "female");
    assert_eq!(sex.lineage.to_string(), "HL7 Segment - FHIR R4_ PID[Patient] - PID.csv:13");
}
