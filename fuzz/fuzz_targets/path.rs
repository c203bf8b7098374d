//! `Path::parse` on arbitrary text: a parsed path displays as text that parses to the same path,
//! and resolves on a fixed message to a value that is the input slice at its offset.
#![no_main]

use hl7_core::{Message, Path};
use libfuzzer_sys::fuzz_target;

const MESSAGE: &[u8] = b"MSH|^~\\&|SEND|FAC|RECV|FAC|20240101120000||ORU^R01^ORU_R01|CTRL1|P|2.5.1\r\
PID|1||ID1^^^H^MR~ID2^^^H^PI||NAME^GIVEN&SUB1&SUB2^M||19800101|F\r\
OBR|1|ORD1||CODE^TEXT^LN\r\
OBX|1|ST|A^B||one\\F\\two~three\r\
OBX|2|TX|||\"\"|||\r\
OBX|3\r\
ZPD|z1^z2&z3~z4||\\X41\\\r";

fuzz_target!(|text: &str| {
    let msg = Message::parse(MESSAGE).expect("fixed message parses");
    match Path::parse(text) {
        Ok(path) => {
            let shown = path.to_string();
            let again = Path::parse(&shown).expect("Display output parses");
            assert_eq!(again, path, "Display round trip changed the path");
            assert_eq!(again.to_string(), shown);
            let value = msg.get(&path);
            if let Some(v) = value {
                let end = v.offset() + v.as_bytes().len();
                assert!(MESSAGE.get(v.offset()..end) == Some(v.as_bytes()), "value is not the input slice");
                let _ = (v.to_cow(), v.is_null(), format!("{v:?}"));
            }
            let queried = msg.query(text).expect("query parses what Path::parse parsed");
            assert_eq!(queried.map(|v| v.offset()), value.map(|v| v.offset()));
            if [path.segment_index(), path.field_number(), path.repetition_number(), path.component_number(), path.subcomponent_number()]
                .contains(&Some(0))
            {
                assert!(value.is_none(), "an index of 0 resolved to a value");
            }
        }
        Err(e) => {
            assert!(e.offset <= text.len(), "path error offset past the text");
            assert!(msg.query(text).is_err());
            let _ = e.to_string();
        }
    }
});
