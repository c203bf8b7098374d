//! v2 → v2 matrices (`hl7_map::v2v2`): rename, recode, reformat, escaping, copy-through, errors.

use hl7_core::Message;
use hl7_map::error::MatrixErrorKind;
use hl7_map::v2v2::{V2IssueKind, V2Matrix};

const SEX: (&str, &str) = (
    "vocabulary/LocalSex.csv",
    "code,table,target_code,target_display,target_system\n1,99SEX,M,Male,HL70001\n2,99SEX,F,Female,HL70001\n",
);

fn matrix(map: &str) -> V2Matrix {
    V2Matrix::from_files(&[("maps/a.csv", map), SEX]).unwrap_or_else(|e| panic!("{e}"))
}

fn convert(m: &V2Matrix, input: &[u8]) -> (Vec<u8>, Vec<hl7_map::v2v2::V2Issue>) {
    let msg = Message::parse(input).unwrap();
    let out = m.convert(&msg);
    (out.message.to_bytes(), out.issues)
}

fn segments(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split(|&b| b == b'\r').filter(|s| !s.is_empty()).collect()
}

fn query(bytes: &[u8], path: &str) -> String {
    let msg = Message::parse(bytes).unwrap();
    msg.query(path).unwrap().map(|v| String::from_utf8(v.to_cow().into_owned()).unwrap()).unwrap_or_default()
}

const MSH: &str = "MSH|^~\\&|SEND|FAC|RECV|FAC|20240131093000||ADT^A01^ADT_A01|7|P|2.5.1\r";

#[test]
fn rename_moves_a_field() {
    // PID-13 (home phone) to PID-14 (business phone), then PID-13 cleared.
    let m = matrix("key,source,target,transform\nmove,PID-13,PID-14,\nclear,PID-13,,drop\n");
    let input = format!("{MSH}PID|1||123||DOE^JANE||||||||555-1234~555-9999^PRN|\r");
    let (out, issues) = convert(&m, input.as_bytes());
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(segments(&out)[1], b"PID|1||123||DOE^JANE|||||||||555-1234~555-9999^PRN");
    assert_eq!(query(&out, "PID-13"), "");
    assert_eq!(query(&out, "PID-14[2].2"), "PRN");
}

#[test]
fn rename_into_another_segment_follows_occurrences() {
    let m = matrix("source,target\nNK1-2,ZNK-1\n");
    let input = format!("{MSH}NK1|1|ROE^A\rNK1|2|POE^B\r");
    let (out, _) = convert(&m, input.as_bytes());
    assert_eq!(query(&out, "ZNK[1]-1.1"), "ROE");
    assert_eq!(query(&out, "ZNK[2]-1.2"), "B");
}

#[test]
fn local_sex_codes_are_recoded() {
    let m = matrix("source,target,vocabulary\nPID-8,PID-8,LocalSex\nPID-10,PID-10,LocalSex\n");
    let input = format!("{MSH}PID|1||123||DOE^JANE||19800101|2||1^Man^99SEX\rPID|2||124||ROE^J||19800101|7\r");
    let (out, issues) = convert(&m, input.as_bytes());
    assert_eq!(query(&out, "PID[1]-8"), "F");
    // A coded value (CWE) gets the display and the code system too.
    assert_eq!(segments(&out)[1], b"PID|1||123||DOE^JANE||19800101|F||M^Male^HL70001");
    // An unmapped code is left as it was and reported, without the code.
    assert_eq!(query(&out, "PID[2]-8"), "7");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].kind, V2IssueKind::UnmappedCode { vocabulary: "LocalSex".into() });
    assert_eq!(issues[0].source.to_string(), "PID[2]-8[1]");
    assert_eq!((issues[0].row.file.as_str(), issues[0].row.row), ("a.csv", 2));
    assert_eq!(issues[0].to_string(), "code not in LocalSex at PID[2]-8[1], row a.csv:2");
}

#[test]
fn display_name_to_components_and_back() {
    let to_v2 = matrix("source,target,transform\nPID-5,PID-5,name:family-given;upper\n");
    let input = format!("{MSH}PID|1||123||Smith, John||19800101|M\r");
    let (out, issues) = convert(&to_v2, input.as_bytes());
    assert!(issues.is_empty());
    assert_eq!(segments(&out)[1], b"PID|1||123||SMITH^JOHN||19800101|M");

    let back = matrix("source,target,transform\nPID-5,PID-5,name:display;title\n");
    let (again, issues) = convert(&back, &out);
    assert!(issues.is_empty());
    assert_eq!(segments(&again)[1], b"PID|1||123||Smith, John||19800101|M");
    // Each repetition on its own; a further given name stays a component of its own.
    let (out, _) = convert(&to_v2, format!("{MSH}PID|1||123||Smith, John A~Jane Roe\r").as_bytes());
    assert_eq!(segments(&out)[1], b"PID|1||123||SMITH^JOHN^A~ROE^JANE");
}

#[test]
fn values_with_delimiters_are_escaped_on_write() {
    let m = matrix(
        "source,target,transform\nPID-5,PID-5,name:display;title\nNTE-3,NTE-3,upper\nPID-6,ZPI-1,name:family-given\n",
    );
    // Decoded: family "O|BRIEN", given "ANN&MARY"; the note "a^b~c\d"; PID-6 "Roe|Smith, A^B".
    let input =
        format!("{MSH}PID|1||123||O\\F\\BRIEN^ANN\\T\\MARY|Roe\\F\\Smith, A\\S\\B\rNTE|1||a\\S\\b\\R\\c\\E\\d\r");
    let (out, issues) = convert(&m, input.as_bytes());
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(segments(&out)[1], b"PID|1||123||O\\F\\Brien, Ann\\T\\Mary|Roe\\F\\Smith, A\\S\\B");
    assert_eq!(segments(&out)[2], b"NTE|1||A\\S\\B\\R\\C\\E\\D");
    assert_eq!(segments(&out)[3], b"ZPI|Roe\\F\\Smith^A\\S\\B");
    assert_eq!(query(&out, "PID-5"), "O|Brien, Ann&Mary");
    assert_eq!(query(&out, "NTE-3"), "A^B~C\\D");
    assert_eq!(query(&out, "ZPI-1.2"), "A^B");
}

#[test]
fn untouched_fields_and_segments_are_byte_identical() {
    let m = matrix("source,target,vocabulary\nPID-8,PID-8,LocalSex\n");
    let pid_fields = [
        "PID",
        "1",
        "",
        "123^^^H\\T\\S^MR~456^^^X^PI",
        "",
        "DOE^JANE^^^\\H\\DR\\N\\",
        "",
        "19800101",
        "1",
        "",
        "",
        "1 MAIN\\X0D\\\\.br\\ST^^TOWN",
        "",
        "\"\"",
    ];
    let input =
        format!("{MSH}EVN|A01|20240131\r{}\rZZ1|x\\E\\y^z&w|~|\rOBX|1|ST|C^D||a\\F\\b||||||F\r", pid_fields.join("|"));
    let (out, issues) = convert(&m, input.as_bytes());
    assert!(issues.is_empty());
    let (before, after) = (segments(input.as_bytes()), segments(&out));
    assert_eq!(before.len(), after.len());
    for (i, (b, a)) in before.iter().zip(&after).enumerate() {
        if i != 2 {
            assert_eq!(b, a, "segment {i}");
        }
    }
    let fields: Vec<&[u8]> = after[2].split(|&b| b == b'|').collect();
    for (n, (b, a)) in pid_fields.iter().zip(&fields).enumerate() {
        let expected: &[u8] = if n == 8 { b"M" } else { b.as_bytes() };
        assert_eq!(*a, expected, "PID-{n}");
    }
}

#[test]
fn dates_are_reformatted_and_bad_ones_reported() {
    let m = matrix("source,target,transform\nPID-7,PID-7,date:YYYY-MM-DD\nPV1-44,PV1-44,date:YYYYMMDDHHmm\n");
    let input = format!("{MSH}PID|1||123||DOE||19800102103000-0500\rPV1|1|I{}2024\r", "|".repeat(42));
    let (out, issues) = convert(&m, input.as_bytes());
    assert_eq!(query(&out, "PID-7"), "1980-01-02");
    assert_eq!(query(&out, "PV1-44"), "2024");
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].kind, V2IssueKind::InvalidValue { transform: "date:YYYYMMDDHHmm".into() });
}

#[test]
fn conditions_and_segment_drops() {
    let m = matrix(
        "source,target,transform,condition\nOBX-5,OBX-5,upper,IF OBX-2 = \"ST\"\nZZ1,ZZ1,drop,\nNTE,NTE,drop,IF NTE-2 = \"L\"\n",
    );
    let input = format!("{MSH}ZZ1|a\rOBX|1|ST|X||abc\rNTE|1|L|note\rOBX|2|NM|Y||1.5e\rNTE|2|P|keep\rZZ1|b\r");
    let (out, issues) = convert(&m, input.as_bytes());
    assert!(issues.is_empty());
    let segs = segments(&out);
    assert_eq!(segs, [&MSH.as_bytes()[..MSH.len() - 1], b"OBX|1|ST|X||ABC", b"OBX|2|NM|Y||1.5e", b"NTE|2|P|keep"]);
}

/// A bad map file: its text, the row and column the error must name, and its kind.
type Case = (&'static str, usize, &'static str, fn(&MatrixErrorKind) -> bool);

#[test]
fn bad_matrices_name_file_row_and_column() {
    let cases: [Case; 7] = [
        ("source,target,transform\nPID-5,PID-5,shout\n", 2, "transform", |k| {
            matches!(k, MatrixErrorKind::BadTransform(_))
        }),
        ("source,target\nPID-5,PID-5\nPID-x,PID-5\n", 3, "source", |k| matches!(k, MatrixErrorKind::BadSource(_))),
        ("source,target\nPID-5,PID-\n", 2, "target", |k| matches!(k, MatrixErrorKind::BadSource(_))),
        ("source,target,vocabulary\nPID-8,PID-8,Nowhere\n", 2, "vocabulary", |k| {
            matches!(k, MatrixErrorKind::UnknownVocabulary(_))
        }),
        ("source,target,condition\nPID-8,PID-8,IF (PID-8 = \"F\"\n", 2, "condition", |k| {
            matches!(k, MatrixErrorKind::Condition(_))
        }),
        ("target\nPID-8\n", 1, "source", |k| matches!(k, MatrixErrorKind::MissingColumn)),
        ("source,target,transform\nPID-5,PID-5.1,name:family-given\n", 2, "transform", |k| {
            matches!(k, MatrixErrorKind::BadTransform(_))
        }),
    ];
    for (text, row, column, kind) in cases {
        let e = V2Matrix::from_files(&[("maps/bad.csv", text), SEX]).expect_err(text);
        assert_eq!((e.file(), e.row(), e.column()), ("bad.csv", Some(row), Some(column)), "{text}");
        assert!(kind(e.kind()), "{text}: {e}");
    }
    // A bad vocabulary file is named too; a duplicate key names the key column.
    let e = V2Matrix::from_files(&[("maps/a.csv", "source\nPID-8\n"), ("vocabulary/V.csv", "code,target_code\n1,\n")])
        .unwrap_err();
    assert_eq!((e.file(), e.row(), e.column()), ("V.csv", Some(2), Some("target_code")));
    let e = V2Matrix::from_files(&[("maps/a.csv", "key,source\nk,PID-8\nk,PID-9\n")]).unwrap_err();
    assert_eq!((e.file(), e.row(), e.column()), ("a.csv", Some(3), Some("key")));
}

#[test]
fn the_example_matrix_loads_and_converts() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/v2v2");
    let m = V2Matrix::from_dir(dir.as_ref()).unwrap();
    let input = format!("{MSH}PID|1||123||Smith, John||19800102103000|2|||||||||||999-99-9999\rZPI|Roe, Jane\r");
    let (out, issues) = convert(&m, input.as_bytes());
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(segments(&out)[1..], [&b"PID|1||123||SMITH^JOHN||19800102|F|ROE^JANE||||||||||"[..]]);
}
