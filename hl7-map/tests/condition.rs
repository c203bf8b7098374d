//! Conditions: the prose forms of the IG, the census over every IG CSV, hostile texts.

mod common;

use std::collections::BTreeMap;

use hl7_core::Path;
use hl7_map::condition::{Comparison, Condition, ConditionErrorKind, Operand};
use hl7_map::source::{Scope, Source};

fn seg(text: &str) -> Condition {
    Condition::parse(text, Scope::Segment).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn field(s: [u8; 3], n: usize) -> Operand {
    Operand::Source(Source::Path(Path::new(&s).field(n)))
}

#[test]
fn prose_forms() {
    assert_eq!(seg("PID-8 NOT VALUED"), Condition::NotValued(field(*b"PID", 8)));
    assert_eq!(seg("IF PID-8 IS VALUED"), Condition::Valued(field(*b"PID", 8)));
    assert_eq!(seg("IF TQ1-6 NOT VAlUED"), Condition::NotValued(field(*b"TQ1", 6)));
    assert_eq!(
        seg("IF TQ1-3.9 IS EMPTY"),
        Condition::NotValued(Operand::Source(Source::Path(Path::new(b"TQ1").field(3).component(9))))
    );
    let eq = |c| Condition::Compare { left: field(*b"OBX", 2), comparison: c, right: Operand::Text("NA".into()) };
    for t in
        ["IF OBX-2 EQUALS \"NA\"", "IF OBX-2 IS \"NA\"", "IF OBX-2=\"NA\"", "IF OBX-2 = 'NA'", "if obx-2 equals \"NA\""]
    {
        if t.starts_with("if obx") {
            // References are upper case, as in the IG.
            assert!(Condition::parse(t, Scope::Segment).is_err());
        } else {
            assert_eq!(seg(t), eq(Comparison::Equal), "{t}");
        }
    }
    for t in [
        "IF OBX-2 NOT EQUALS \"NA\"",
        "IF OBX-2 IS NOT \"NA\"",
        "IF OBX-2 != \"NA\"",
        "IF OBX-2 NOT \"NA\"",
        "IF OBX-2 NOT EQUAL TO \"NA\"",
    ] {
        assert_eq!(seg(t), eq(Comparison::NotEqual), "{t}");
    }
    assert_eq!(
        seg("IF OBX-2 NOT IN (\"ISO\", \"UUID\")"),
        Condition::In {
            operand: field(*b"OBX", 2),
            values: vec![Operand::Text("ISO".into()), Operand::Text("UUID".into())],
            negated: true
        }
    );
    assert_eq!(
        seg("IF PID-33 AND PID-34 VALUED"),
        Condition::And(vec![Condition::Valued(field(*b"PID", 33)), Condition::Valued(field(*b"PID", 34))])
    );
    assert_eq!(
        seg("IF SCH-26 or SCH-27 VALUED"),
        Condition::Or(vec![Condition::Valued(field(*b"SCH", 26)), Condition::Valued(field(*b"SCH", 27))])
    );
    assert_eq!(seg("IF NOT VALUED"), Condition::NotValued(Operand::Source(Source::Own)));
    assert_eq!(
        seg("IF OBX-33 COUNT>1"),
        Condition::Compare {
            left: Operand::Count(Source::Path(Path::new(b"OBX").field(33))),
            comparison: Comparison::Greater,
            right: Operand::Number(1)
        }
    );
    assert_eq!(seg("IF OBX-5 LST.count LESS THAN OR EQUALS 1"), seg("IF COUNT(OBX-5) <= 1"));
    assert_eq!(seg("IF PID-7 LENGTH GREATER THAN 8"), seg("IF LENGTH(PID-7) > 8"));
    assert_eq!(
        seg("IF $site IS \"x\""),
        Condition::Compare {
            left: Operand::Variable("site".into()),
            comparison: Comparison::Equal,
            right: Operand::Text("x".into())
        }
    );
    // AND binds tighter than OR; parentheses and `AND IF`.
    assert_eq!(
        seg("IF EVN-5 NOT VALUED AND (MSH-22 IS VALUED OR MSH-4 IS VALUED)"),
        Condition::And(vec![
            Condition::NotValued(field(*b"EVN", 5)),
            Condition::Or(vec![Condition::Valued(field(*b"MSH", 22)), Condition::Valued(field(*b"MSH", 4))]),
        ])
    );
    assert_eq!(
        seg("IF MSH-3 VALUED AND IF MSH-4 VALUED OR MSH-5 VALUED"),
        seg("IF (MSH-3 VALUED AND MSH-4 VALUED) OR MSH-5 VALUED")
    );
    assert!(matches!(seg("IF OBR-25 NOT VALUED ERROR"), Condition::Error(_)));
    // DT.n and DT-n inside a datatype map.
    let c = Condition::parse("IF HD.1 NOT VALUED AND IF HD-3 = \"ISO\"", Scope::Datatype("HD")).unwrap();
    assert_eq!(
        c.references(),
        vec![
            Source::Component { component: 1, subcomponent: None },
            Source::Component { component: 3, subcomponent: None }
        ]
    );
}

#[test]
fn refused_with_reason() {
    let kind = |t: &str| Condition::parse(t, Scope::Segment).unwrap_err().kind();
    assert_eq!(kind("IF (OBX-2 EQUALS \"SN\"  AND OBX-5.1  EQUALS \"<>\""), ConditionErrorKind::UnbalancedParenthesis);
    assert_eq!(kind("IF PRT-2 IS IN (\"A\", \"S\", \"U\", X\")"), ConditionErrorKind::UnterminatedQuote);
    assert_eq!(kind("IF PL.8 VALUED AND PL3.NOT VALUED"), ConditionErrorKind::Syntax);
    assert_eq!(kind("c"), ConditionErrorKind::Syntax);
    assert_eq!(kind("  IF  "), ConditionErrorKind::Empty);
}

#[test]
fn class14_deep_nesting_is_a_typed_error() {
    for n in [17, 1_000, 100_000] {
        let text = format!("IF {}PID-3 VALUED{}", "(".repeat(n), ")".repeat(n));
        let e = Condition::parse(&text, Scope::Segment).unwrap_err();
        assert!(matches!(e.kind(), ConditionErrorKind::TooDeep | ConditionErrorKind::TooLong), "{n}: {e}");
    }
    let ok = format!("IF {}PID-3 VALUED{}", "(".repeat(16), ")".repeat(16));
    assert!(Condition::parse(&ok, Scope::Segment).is_ok());
    // Nesting through `IF (` as well.
    let text = format!("{}PID-3 VALUED{}", "IF (".repeat(40), ")".repeat(40));
    assert_eq!(Condition::parse(&text, Scope::Segment).unwrap_err().kind(), ConditionErrorKind::TooDeep);
}

#[test]
fn class14_huge_literal_is_a_typed_error() {
    let text = format!("IF PID-8 EQUALS \"{}\"", "x".repeat(10_000_000));
    let start = std::time::Instant::now();
    assert_eq!(Condition::parse(&text, Scope::Segment).unwrap_err().kind(), ConditionErrorKind::TooLong);
    assert!(start.elapsed().as_millis() < 500);
    let list = format!("IF PID-8 IN ({})", vec!["\"a\""; 100_000].join(","));
    assert_eq!(Condition::parse(&list, Scope::Segment).unwrap_err().kind(), ConditionErrorKind::TooLong);
}

/// Every distinct condition text of the IG CSVs (the "Computable ANTLR" column), parsed in the
/// scope of its map. The figures are asserted so that a grammar regression shows.
#[test]
fn census_of_ig_conditions() {
    let Some(dir) = common::ig_dir() else { return };
    // text -> (scope name, first file:row)
    let mut texts: BTreeMap<(String, Option<String>), String> = BTreeMap::new();
    for kind in ["messages", "segments", "datatypes", "codesystems"] {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(kind)).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "csv")) {
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            let dt = (kind == "datatypes").then(|| {
                name.trim_start_matches("HL7 Data Type - FHIR R4_ ").split('[').next().unwrap().trim().to_owned()
            });
            let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_path(f).unwrap();
            let rows: Vec<_> = rdr.records().map(Result::unwrap).collect();
            let header = &rows[1];
            let cols: Vec<usize> = header
                .iter()
                .enumerate()
                .filter(|(_, h)| h.contains("ANTLR") || *h == "Computable")
                .map(|(i, _)| i)
                .collect();
            for (n, row) in rows.iter().enumerate().skip(2) {
                for &c in &cols {
                    if let Some(t) = row.get(c).filter(|t| !t.trim().is_empty()) {
                        texts.entry((t.to_owned(), dt.clone())).or_insert_with(|| format!("{name}:{}", n + 1));
                    }
                }
            }
        }
    }
    let distinct: std::collections::BTreeSet<&String> = texts.keys().map(|(t, _)| t).collect();
    let mut parsed = 0;
    let mut refused: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ((text, dt), at) in &texts {
        let scope = dt.as_deref().map_or(Scope::Segment, Scope::Datatype);
        match Condition::parse(text, scope) {
            Ok(_) => parsed += 1,
            Err(e) => refused.entry(format!("{:?}", e.kind())).or_default().push(format!("{text:?} ({e}; {at})")),
        }
    }
    eprintln!(
        "condition census: {} distinct texts ({} text+scope pairs), {parsed} parse, {} refused",
        distinct.len(),
        texts.len(),
        texts.len() - parsed
    );
    for (kind, list) in &refused {
        eprintln!("  {kind}: {}", list.len());
        for l in list {
            eprintln!("    {l}");
        }
    }
    assert_eq!((distinct.len(), texts.len(), parsed), (247, 248, 241));
}

/// The evaluator over a segment occurrence: counts, lists, lengths, comparisons, And/Or, and what
/// it cannot decide (`None`, never a guess).
#[test]
fn evaluated_over_a_segment() {
    use hl7_map::eval::Context;
    let msg = hl7_core::Message::parse(
        b"MSH|^~\\&|A\rPID|1||1~2||Doe^Jane^^^^^L||19800101120000|F|||1 Main^^Town~2 Side^^City||^PRN^PH\r",
    )
    .unwrap();
    let pid = msg.segments().nth(1).unwrap();
    let text = hl7_messaging::text::TextDecoder::new(&msg);
    let cx = Context::new(pid, &text);
    let eval = |c: &str| cx.evaluate(&seg(c));
    assert_eq!(eval("IF PID-11 LST.COUNT GREATER THAN 1"), Some(true));
    assert_eq!(eval("IF PID-11 LST.COUNT EQUALS 1 AND PID-11.9 IS NOT VALUED"), Some(false));
    assert_eq!(eval("IF PID-7 LENGTH GREATER THAN 8"), Some(true));
    assert_eq!(eval("IF PID-5.7 IN (\"L\", \"D\")"), Some(true));
    assert_eq!(eval("IF PID-8 NOT IN (\"M\", \"F\")"), Some(false));
    assert_eq!(eval("IF PID-13.2 IS NOT VALUED"), Some(false));
    assert_eq!(eval("IF PID-6 VALUED OR PID-8 EQUALS \"F\""), Some(true));
    // `>` on text cannot be decided.
    assert_eq!(eval("IF PID-8 GREATER THAN \"A\""), None);
}

/// Inside a datatype map, `XPN.7` names a component of the value the map is applied to.
#[test]
fn evaluated_in_a_datatype_map() {
    use hl7_map::eval::{Context, Node};
    let msg = hl7_core::Message::parse(b"MSH|^~\\&|A\rPID|1||||Doe^Jane^^^^^L\r").unwrap();
    let pid = msg.segments().nth(1).unwrap();
    let text = hl7_messaging::text::TextDecoder::new(&msg);
    let name = Node::field(&pid, 5, 1).unwrap();
    let cx = Context::new(pid, &text).in_datatype(name);
    let c = Condition::parse("IF XPN.7 IN (\"L\", \"D\")", Scope::Datatype("XPN")).unwrap();
    assert_eq!(cx.evaluate(&c), Some(true));
    let c = Condition::parse("IF XPN.12 NOT VALUED AND XPN.13 NOT VALUED", Scope::Datatype("XPN")).unwrap();
    assert_eq!(cx.evaluate(&c), Some(true));
}
