//! `Debug` of every view, iterator and decoded chunk shows shapes (kinds, offsets, lengths), never
//! content: a token planted in every value never shows up.

use hl7_core::{unescape, Batch, Delimiters, Message};

const TOKEN: &str = "ZQXCANARY";

fn message() -> Vec<u8> {
    let t = TOKEN;
    format!("MSH|^~\\&|{t}|{t}|{t}|{t}|20240101||ADT^A01|{t}|P|2.5\rPID|1||{t}^^^{t}~{t}||{t}^{t}&{t}\\F\\{t}\rZPD|{t}\\X41\\\r")
        .into_bytes()
}

fn assert_clean(text: &str) {
    assert!(!text.contains(TOKEN), "token leaked: {text}");
    assert!(!text.contains("CANARY"), "token leaked: {text}");
}

#[test]
fn iterators_and_views_debug_without_content() {
    let input = message();
    let msg = Message::parse(&input).unwrap();
    assert_clean(&format!("{msg:?} {:?} {:?}", msg.segments(), msg.notes()));
    for seg in msg.segments() {
        assert_clean(&format!("{seg:?} {:?}", seg.fields()));
        for f in seg.fields() {
            assert_clean(&format!("{f:?} {:?} {:?}", f.repetitions(), f.unescape()));
            for r in f.repetitions() {
                assert_clean(&format!("{r:?} {:?}", r.components()));
                for c in r.components() {
                    assert_clean(&format!("{c:?} {:?}", c.subcomponents()));
                    for s in c.subcomponents() {
                        assert_clean(&format!("{s:?}"));
                        for chunk in s.unescape() {
                            assert_clean(&format!("{chunk:?}"));
                        }
                    }
                }
            }
        }
    }
    let v = msg.query("PID-5.2.1").unwrap().unwrap();
    assert_clean(&format!("{v:?}"));
    let batch = Batch::new(&input);
    assert_clean(&format!("{batch:?} {:?}", batch.entries()));
    for item in batch.entries() {
        assert_clean(&format!("{item:?}"));
    }
    let raw = format!("{TOKEN}\\X41\\\\Zx{TOKEN}\\\\");
    let chunks: Vec<_> = unescape(raw.as_bytes(), &Delimiters::default()).collect();
    assert_clean(&format!("{chunks:?}"));
}
