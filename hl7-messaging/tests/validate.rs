//! Validation by HL7 error code, PHI-free output, and a corpus run printing the diagnostics by code
//! and by source (shared corpus skipped with a notice when absent).

use std::collections::BTreeMap;
use std::path::Path;

mod common;
use common::files_under;

use hl7_core::types::TypeErrorKind;
use hl7_core::{Batch, BatchEntry, Message};
use hl7_messaging::validate::{validate_message, Diagnostic, ErrorSeverity, Problem, ValidationOptions};

fn check(text: &str) -> Vec<Diagnostic> {
    let text = text.replace('\n', "\r");
    let msg = Message::parse(text.as_bytes()).unwrap();
    validate_message(&msg, &ValidationOptions::default())
}

fn codes(found: &[Diagnostic]) -> Vec<(u16, String)> {
    found.iter().map(|d| (d.code.code(), d.location.to_string())).collect()
}

const GOOD_ADT: &str = "MSH|^~\\&|ADT|H|EHR|H|20240101120000||ADT^A01^ADT_A01|MSG1|P|2.5.1\n\
EVN|A01|20240101120000\n\
PID|1||123^^^H^MR||DOE^JANE||19800115|F|||||||M\n\
PV1|1|I\n";

#[test]
fn clean_message_has_no_diagnostics() {
    assert_eq!(codes(&check(GOOD_ADT)), vec![]);
}

#[test]
fn code_100_sequence() {
    // Missing EVN; PD1 after PV1 out of order; an unknown non-Z segment is a warning; Z is silent.
    let found = check("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\nPID|1||1||X^Y\nPV1|1|I\nPD1|1\nABC|1\nZPD|1\n");
    let seq: Vec<_> = found
        .iter()
        .filter(|d| d.code.code() == 100)
        .map(|d| (d.problem, d.severity, d.location.segment_index))
        .collect();
    assert_eq!(
        seq,
        vec![
            (Problem::SegmentMissing, ErrorSeverity::Error, Some(2)),
            (Problem::SegmentOutOfOrder, ErrorSeverity::Error, Some(4)),
            (Problem::SegmentNotInStructure, ErrorSeverity::Warning, Some(5)),
        ]
    );
    assert_eq!(found[0].location.segment_str(), "EVN");
    let mut options = ValidationOptions::default();
    options.z_segments = true;
    let text = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rEVN|A01|20240101\rPID|1||1||X^Y\rPV1|1|I\rZPD|1\r";
    let msg = Message::parse(text.as_bytes()).unwrap();
    let found = validate_message(&msg, &options);
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].severity, found[0].location.segment_index), (ErrorSeverity::Information, Some(5)));
}

#[test]
fn code_101_required_fields() {
    let found = check("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\nEVN|A01|20240101\nPID|1\nPV1\nOBX|1||GLU||5\n");
    let missing: Vec<_> = found.iter().filter(|d| d.code.code() == 101).map(|d| d.location.to_string()).collect();
    assert_eq!(
        missing,
        [
            "PID segment 3 field 3, byte 65", // the end of the segment, where the field would be
            "PID segment 3 field 5, byte 65",
            "PV1 segment 4 field 2, byte 69",
            "OBX segment 5 field 2, byte 82", // OBX-2 is required once OBX-5 is valued: at OBX-5
            "OBX segment 5 field 11, byte 83",
        ]
    );
    // MSH-7 became required in 2.5: optional before.
    let v24 = check("MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.4\nEVN|A01|20240101\nPID|1||1||X\nPV1|1|I\n");
    assert!(v24.is_empty(), "{:?}", codes(&v24));
    let v25 = check("MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5\nEVN|A01|20240101\nPID|1||1||X\nPV1|1|I\n");
    assert_eq!(codes(&v25), [(101, "MSH segment 1 field 7, byte 17".to_string())]);
}

#[test]
fn code_102_datatypes() {
    let found = check(
        "MSH|^~\\&|A|B|C|D|2024013|| ORU^R01|1|P|2.5.1\nPID|x||1||X||20230229\nOBR|1||1|GLU|||2024\n\
         OBX|1|NM|GLU||5,4||||||F\nOBX|2|SN|T||~^1^:^x||||||F\nOBX|3|ST|T||anything||||||F\n",
    );
    let dt: Vec<_> = found
        .iter()
        .filter(|d| d.code.code() == 102)
        .map(|d| {
            (
                d.location.segment_str().to_string(),
                d.location.field,
                d.location.repetition,
                d.location.component,
                d.problem,
            )
        })
        .collect();
    assert_eq!(
        dt,
        vec![
            ("MSH".into(), Some(7), Some(1), Some(1), Problem::DataType(TypeErrorKind::InvalidLength)),
            ("PID".into(), Some(1), Some(1), None, Problem::DataType(TypeErrorKind::InvalidCharacter)),
            ("PID".into(), Some(7), Some(1), Some(1), Problem::DataType(TypeErrorKind::DayOutOfRange)),
            ("OBX".into(), Some(5), Some(1), None, Problem::DataType(TypeErrorKind::InvalidCharacter)),
            ("OBX".into(), Some(5), Some(2), Some(4), Problem::DataType(TypeErrorKind::InvalidCharacter)),
        ]
    );
}

#[test]
fn code_103_tables_by_kind() {
    let found = check(
        "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\nPID|1||1^^^H^QQ||X||19800101|Female\n\
         OBR|1||1|GLU\nOBX|1|XX|GLU||5||||||Q\n",
    );
    let tables: Vec<_> = found
        .iter()
        .filter(|d| d.code.code() == 103)
        .map(|d| (d.problem, d.severity, d.location.field, d.location.component))
        .collect();
    assert_eq!(
        tables,
        vec![
            (Problem::TableValue { table: 203 }, ErrorSeverity::Warning, Some(3), Some(5)),
            (Problem::TableValue { table: 1 }, ErrorSeverity::Warning, Some(8), Some(1)),
            (Problem::TableValue { table: 125 }, ErrorSeverity::Error, Some(2), Some(1)),
            (Problem::TableValue { table: 85 }, ErrorSeverity::Error, Some(11), Some(1)),
        ]
    );
    let mut options = ValidationOptions::default();
    options.user_tables = false;
    let text = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rEVN||20240101\rPID|1||1||X|||Female\rPV1|1|I\r";
    assert!(validate_message(&Message::parse(text.as_bytes()).unwrap(), &options).is_empty());
}

#[test]
fn code_104_length() {
    let long_id = "X".repeat(21);
    let found = check(&format!("MSH|^~\\&|A|B|C|D|20240101||ACK^A01|{long_id}|P|2.5\nMSA|AA|1\n"));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].problem, Problem::TooLong { max: 20, len: 21 });
    assert_eq!(found[0].severity, ErrorSeverity::Warning);
    // 2.7 allows 199.
    assert!(check(&format!("MSH|^~\\&|A|B|C|D|20240101||ACK^A01|{long_id}|P|2.7\nMSA|AA|1\n")).is_empty());
}

#[test]
fn codes_200_to_203_header() {
    let found = check("MSH|^~\\&|A|B|C|D|20240101||XYZ^Q99|1|Q|3.1\n");
    let header: Vec<_> = found.iter().map(|d| (d.code.code(), d.location.field, d.location.component)).collect();
    assert_eq!(
        header,
        [(200, Some(9), Some(1)), (201, Some(9), Some(2)), (202, Some(11), Some(1)), (203, Some(12), Some(1))]
    );
    assert!(found.iter().all(|d| d.severity == ErrorSeverity::Error));
    // A known type without a structure in the table: information only.
    let found = check("MSH|^~\\&|A|B|C|D|20240101||QRY^Q01|1|P|2.4\n");
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].code.code(), found[0].severity, found[0].problem),
        (200, ErrorSeverity::Information, Problem::StructureNotChecked)
    );
}

#[test]
fn ack_error_paths() {
    let text = "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\rPID|1||1||X\rOBR|1||1|G\rOBX|1|NM|G||1||||||F\rOBX|2|NM|G||x||||||F\r";
    let msg = Message::parse(text.as_bytes()).unwrap();
    let found = validate_message(&msg, &ValidationOptions::default());
    assert_eq!(found.len(), 1);
    let err = found[0].to_ack_error(&msg);
    assert_eq!(err.location.unwrap().to_string(), "OBX[2]-5[1]");
    assert_eq!(err.code.code(), 102);
}

#[test]
fn output_has_codes_and_locations_never_content() {
    let text = "MSH|^~\\&|A|B|C|D|SECRET1||ADT^A01|1|P|2.5\rEVN|A01|SECRET2\rPID|SECRET3||1^^^H^SECRET4||X|||SECRET5\rPV1|1|SECRET6\rSECRET7\r";
    let msg = Message::parse(text.as_bytes()).unwrap();
    let found = validate_message(&msg, &ValidationOptions::default());
    assert!(found.len() >= 5, "{found:?}");
    for d in &found {
        for shown in [format!("{d}"), format!("{d:?}")] {
            assert!(!shown.contains("SECRET"), "{shown}");
        }
    }
}

// --- corpus ---------------------------------------------------------------------------------

fn run_corpus(root: &Path, label: &str) {
    let mut files = Vec::new();
    files_under(root, &mut files);
    let (mut messages, mut clean, mut without_errors) = (0, 0, 0);
    let mut by_code: BTreeMap<(u16, &str), usize> = BTreeMap::new();
    let mut by_source: BTreeMap<String, BTreeMap<u16, usize>> = BTreeMap::new();
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(root).unwrap();
        let source = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        for item in Batch::new(&bytes).entries() {
            let Ok(BatchEntry::Message(msg)) = item else { continue };
            messages += 1;
            let found = validate_message(&msg, &ValidationOptions::default());
            clean += usize::from(found.is_empty());
            without_errors += usize::from(found.iter().all(|d| d.severity != ErrorSeverity::Error));
            for d in &found {
                let sev = match d.severity {
                    ErrorSeverity::Error => "E",
                    ErrorSeverity::Warning => "W",
                    ErrorSeverity::Information => "I",
                };
                *by_code.entry((d.code.code(), sev)).or_default() += 1;
                *by_source.entry(source.clone()).or_default().entry(d.code.code()).or_default() += 1;
                let field = d.location.field.map(|f| format!("-{f}")).unwrap_or_default();
                let rule = format!("{} {}{} {}", d.code.code(), d.location.segment_str(), field, d.problem);
                // HL7_SHOW_RULE="101 PID-3" lists the files behind a rule (to tell false alarms).
                if std::env::var("HL7_SHOW_RULE").is_ok_and(|r| rule.starts_with(&r)) {
                    eprintln!("    {} msg at {}: {d}", path.display(), msg.offset());
                }
                *by_rule.entry(rule).or_default() += 1;
            }
            // The invariant again, through the validator's own grouping.
            if let Ok(g) = hl7_messaging::structure::group(&msg) {
                assert_eq!(g.segments().len(), msg.segment_count(), "{}", path.display());
            }
        }
    }
    eprintln!("{label}: {messages} messages validated, {clean} without diagnostics, {without_errors} without errors");
    eprintln!("{label}: diagnostics by code and severity:");
    for ((code, sev), n) in &by_code {
        eprintln!("  {code} {sev} {n:6}");
    }
    eprintln!("{label}: diagnostics by source (code: count):");
    for (source, counts) in &by_source {
        let list: Vec<String> = counts.iter().map(|(c, n)| format!("{c}:{n}")).collect();
        eprintln!("  {source:32} {}", list.join(" "));
    }
    let mut rules: Vec<_> = by_rule.into_iter().collect();
    rules.sort_by_key(|r| std::cmp::Reverse(r.1));
    eprintln!("{label}: most frequent rules:");
    for (rule, n) in rules.iter().take(25) {
        eprintln!("  {n:6} {rule}");
    }
    assert!(messages > 0);
}

#[test]
fn corpus_diagnostics_by_code_and_source() {
    if let Some(shared) = common::shared_dir("corpus") {
        run_corpus(&shared, "shared corpus");
    }
    run_corpus(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus"), "project corpus");
}
