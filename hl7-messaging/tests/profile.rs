//! The profile: counters over the project corpus, bounded memory, and no field values.

mod common;

use std::fmt::Write as _;

use hl7_messaging::profile::{LengthHistogram, Profile, ProfileOptions};

#[test]
fn histogram_quantiles() {
    let mut h = LengthHistogram::default();
    assert_eq!(h.quantile(0.5), None);
    for len in 0..100 {
        h.record(len);
    }
    assert_eq!(h.quantile(0.5), Some(55)); // 49 is in the bucket 48..=55
    assert_eq!(h.quantile(0.95), Some(95)); // 94 is in the bucket 80..=95
    assert_eq!(h.quantile(0.2), Some(19)); // exact below 32
    assert_eq!(h.quantile(0.0), Some(0));
    h.record(usize::MAX);
    assert_eq!(h.max(), Some(usize::MAX));
}

#[test]
fn corpus_profile() {
    let mut files = Vec::new();
    common::files_under(&common::repo_root().join("corpus"), &mut files);
    let mut profile = Profile::default();
    for f in &files {
        profile.add_input(&f.display().to_string(), &std::fs::read(f).unwrap());
    }
    let doc = profile.to_json();
    assert!(profile.messages() > 60, "{}", profile.messages());
    assert!(profile.failure_count() > 5);
    let types = doc["message_types"].as_array().unwrap();
    assert!(types.iter().any(|t| t["type"] == "ADT^A01" && t["version"] == "2.5.1"));
    assert!(doc["z_segments"].as_array().unwrap().iter().any(|z| z["id"] == "ZPD"));
    assert!(doc["terminators"]["lf"].as_u64().unwrap() > 0);
    assert!(doc["mllp"]["frames"].as_u64().unwrap() >= 3);
    assert!(doc["delimiters"].as_array().unwrap().iter().any(|d| d["chars"] == "#!@%*"));
    let pid = doc["segments"].as_array().unwrap().iter().find(|s| s["id"] == "PID").unwrap();
    let pid3 = pid["fields"].as_array().unwrap().iter().find(|f| f["field"] == "PID-3").unwrap();
    assert!(pid3["max_repetitions"].as_u64().unwrap() >= 2);
    assert!(doc["message_size"]["max"].as_u64().unwrap() > 5_000_000);
    // Known values of the corpus never appear.
    let text = doc.to_string();
    for value in ["TESTPATIENT", "TEST0000001", "FAKE ST", "TESTFAC"] {
        assert!(!text.contains(value), "{value}");
    }
}

#[test]
fn memory_is_capped() {
    let mut options = ProfileOptions::default();
    options.max_keys = 5;
    options.max_variants = 3;
    options.max_fields = 4;
    let mut profile = Profile::new(options);
    for i in 0..50 {
        let mut msg = format!("MSH|^~\\&|A|||||||T{i}^E{i}|1|P|2.5\r");
        for k in 0..(i % 7) {
            write!(msg, "Z{:02}|1|2|3|4|5|6\r", k + i).unwrap();
        }
        profile.add_message(&hl7_core::Message::parse(msg.as_bytes()).unwrap());
    }
    let doc = profile.to_json();
    assert!(doc["message_types"].as_array().unwrap().len() <= 6);
    assert!(doc["segments"].as_array().unwrap().len() <= 6);
    for v in doc["order_variants"].as_array().unwrap() {
        assert!(v["distinct"].as_u64().unwrap() <= 3);
    }
    let z = doc["segments"].as_array().unwrap().iter().find(|s| s["id"] == "Z01").unwrap();
    assert_eq!(z["fields"].as_array().unwrap().len(), 4);
    assert!(z["fields_past_cap"].as_u64().unwrap() > 0);
}

#[test]
fn codes_outside_the_shape_are_not_shown() {
    let mut profile = Profile::default();
    let msg = b"MSH|^~\\&|A|B|C|D|E||secretType^x|1|P|2.5 beta||||||NOT A CHARSET\rPID|1\r";
    profile.add_message(&hl7_core::Message::parse(msg).unwrap());
    let text = profile.to_json().to_string();
    assert!(!text.contains("secret") && !text.contains("beta") && !text.contains("NOT A"));
    assert!(text.contains("(other)^(other)"), "{text}");
    assert!(text.contains("(unknown)"), "{text}");
}

#[test]
fn shared_corpus_profile() {
    let Some(dir) = common::shared_dir("corpus") else { return };
    let mut files = Vec::new();
    common::files_under(&dir, &mut files);
    let mut profile = Profile::default();
    for f in &files {
        profile.add_input(&f.display().to_string(), &std::fs::read(f).unwrap());
    }
    assert!(profile.messages() > 100, "{}", profile.messages());
    assert!(!profile.to_json()["segments"].as_array().unwrap().is_empty());
}
