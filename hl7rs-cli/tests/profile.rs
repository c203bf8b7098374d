//! `hl7rs profile`: the summary, `--json` and `--html` over the project corpus, MLLP captures and
//! temp dirs; the HTML page parsed with an HTML5 parser; a canary token in every field appears in
//! none of the outputs.

#[path = "../../hl7-core/tests/common/shared.rs"]
mod shared;

mod common;
use common::hl7rs;

use std::path::{Path, PathBuf};

use scraper::{Html, Selector};
use serde_json::Value;

fn temp_dir(name: &str) -> PathBuf {
    common::temp_dir("profile", name)
}

fn corpus() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus").display().to_string()
}

const TOKEN: &str = "CanaryQ7x";

/// Messages with the token in every field, repetition, component and subcomponent (MSH-9, MSH-12
/// and MSH-18 too), Z-segments included.
fn canary_file() -> String {
    let t = TOKEN;
    let v = format!("{t}~{t}^{t}&{t}");
    let mut msg = String::from("MSH|^~\\&");
    for _ in 3..=21 {
        msg.push('|');
        msg.push_str(&v);
    }
    msg.push('\r');
    for id in ["EVN", "PID", "PV1", "OBX", "NTE", "ZPD"] {
        msg.push_str(id);
        for _ in 0..30 {
            msg.push('|');
            msg.push_str(&v);
        }
        msg.push('\r');
    }
    format!("{msg}\r{msg}")
}

#[test]
fn canary_appears_in_no_output() {
    let dir = temp_dir("canary");
    let file = dir.join("canary.hl7");
    std::fs::write(&file, canary_file()).unwrap();
    let html = dir.join("p.html");
    let f = file.display().to_string();
    let (code, text, err) = hl7rs(&["profile", &f]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("2 messages"), "{text}");
    let (_, json, _) = hl7rs(&["profile", "--json", &f]);
    let (_, _, err) = hl7rs(&["profile", "--quiet", "--html", html.to_str().unwrap(), &f]);
    let page = std::fs::read_to_string(&html).unwrap();
    for (name, out) in [("text", &text), ("json", &json), ("html", &page), ("stderr", &err)] {
        assert!(!out.contains(TOKEN), "{name} holds the canary");
    }
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["messages"], 2);
    assert_eq!(doc["message_types"][0]["type"], "(other)^(empty)"); // MSH-9: token~…, so MSH-9.2 is empty
}

#[test]
fn corpus_summary_and_json() {
    let (code, text, err) = hl7rs(&["profile", &corpus()]);
    assert_eq!(code, 0, "{err}");
    for part in ["message types", "ADT^A01", "charsets", "delimiters", "terminators", "Z-segments", "ZPD", "PID-3"] {
        assert!(text.contains(part), "{part}: {text}");
    }
    let (code, json, _) = hl7rs(&["profile", "--json", "--top", "2", &corpus()]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert!(doc["messages"].as_u64().unwrap() > 60);
    // Failures name the file and the byte offset.
    let first = doc["failures"]["first"].as_array().unwrap();
    assert!(first.iter().any(|f| f["source"].as_str().unwrap().ends_with("no_msh.hl7") && f["offset"] == 0));
    for v in doc["order_variants"].as_array().unwrap() {
        assert!(v["top"].as_array().unwrap().len() <= 2);
    }
    let charsets = doc["charsets"].as_array().unwrap();
    assert!(charsets.iter().any(|c| c["declared"] == "8859/1" && c["non_ascii"] == 1));
    let stamps = doc["timestamps"].as_array().unwrap();
    assert!(stamps.iter().any(|t| t["field"] == "MSH-7" && t["without_offset"].as_u64().unwrap() > 0));
    // No progress bar when stderr is not a terminal.
    let (_, _, err) = hl7rs(&["profile", "--json", &corpus()]);
    assert!(!err.contains('█') && !err.contains("bytes/"), "{err}");
}

#[test]
fn mllp_captures_and_batches() {
    let dir = temp_dir("mllp");
    let msg = "MSH|^~\\&|A|B|C|D|20240101120000+0100||ORU^R01|1|P|2.5.1\rOBX|1|NM|X||5\r";
    let capture = format!("\x0b{msg}\x1c\r\x0b\x06\x1c\r\x0b{msg}\x1c\r\x0bnot hl7\x1c\r");
    std::fs::write(dir.join("capture.bin"), capture).unwrap();
    std::fs::write(dir.join("batch.hl7"), format!("BHS|^~\\&\r{msg}{msg}BTS|2\r")).unwrap();
    let (code, json, _) = hl7rs(&["profile", "--json", "--all-files", dir.to_str().unwrap()]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["messages"], 4);
    assert_eq!(doc["mllp"]["frames"], 4);
    assert_eq!(doc["mllp"]["commit_acks"], 1);
    assert_eq!(doc["failures"]["count"], 1);
    let f = &doc["failures"]["first"][0];
    assert!(f["source"].as_str().unwrap().ends_with("capture.bin"));
    assert!(f["offset"].as_u64().unwrap() > 100, "file offset, not frame offset: {f}");
    assert_eq!(doc["envelope_segments"], 2);
    assert_eq!(doc["timestamps"][0]["with_offset"], 4);
    assert_eq!(hl7rs(&["profile", dir.join("missing").to_str().unwrap()]).0, 1);
}

#[test]
fn html_page_is_self_contained_with_charts_and_tables() {
    let dir = temp_dir("html");
    let page = dir.join("profile.html");
    let (code, _, err) = hl7rs(&["profile", "--quiet", "--html", page.to_str().unwrap(), &corpus()]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&page).unwrap();
    let html = Html::parse_document(&text);
    assert!(html.errors.is_empty(), "{:?}", html.errors);
    let select = |s: &str| html.select(&Selector::parse(s).unwrap()).count();
    assert!(select("figure.chart svg rect") > 20, "bar charts");
    assert!(select("table") > 5 && select("table td") > 100, "tables");
    for id in
        ["types", "failures", "charsets", "delimiters", "timestamps", "segments", "z-segments", "orders", "fields"]
    {
        assert_eq!(select(&format!("h2#{id}")), 1, "section {id}");
    }
    assert_eq!(select("script, link, img, iframe, object, embed"), 0);
    for el in html.select(&Selector::parse("*").unwrap()) {
        for (name, value) in el.value().attrs() {
            assert!(!value.contains("://") && !value.starts_with("//"), "{name}={value}");
        }
    }
    assert!(!text.contains("http:") && !text.contains("https:") && !text.contains("url("));
    assert!(!text.contains("TESTPATIENT"));
}

#[test]
fn shared_corpus_profile() {
    let Some(dir) = shared::shared_dir("corpus") else { return };
    let (code, json, err) = hl7rs(&["profile", "--json", "--quiet", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert!(doc["messages"].as_u64().unwrap() > 100);
}
