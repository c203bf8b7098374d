//! ACK building on arbitrary bytes: every kind and outcome gives either an acknowledgment that
//! parses (MSA-1 the code returned, MSA-2 the incoming MSH-10 when it parsed) or a typed refusal.
//! The sender's side too: `read_reply` on the acknowledgment built gives back its code when
//! MSH-10 was a plain value, and on the arbitrary bytes themselves it returns a typed error
//! with an offset inside the input, or a reply whose ERR codes are read without panicking.
#![no_main]

use hl7_messaging::ack::{acknowledge, read_reply, AckCode, AckError, AckErrorCode, AckKind, AckOptions, AckRefusal};
use hl7_core::Message;
use hl7_core_fuzz::same;
use libfuzzer_sys::fuzz_target;

/// MSH-10 decoded, when it is one plain value (no repetition, component or subcomponent
/// separator, not empty): what a sender would match MSA-2 against.
fn plain_control_id(incoming: &Message<'_>) -> Option<Vec<u8>> {
    let field = incoming.segment(b"MSH")?.field(10)?;
    let rep = field.repetition(1)?;
    let comp = rep.component(1)?;
    let single = field.repetitions().count() == 1 && rep.components().count() == 1 && comp.subcomponents().count() == 1;
    let id = field.to_cow().into_owned();
    (single && !id.is_empty()).then_some(id)
}

fuzz_target!(|data: &[u8]| {
    // The answer side on arbitrary bytes.
    if let Ok(answer) = Message::parse(data) {
        let own_id = plain_control_id(&answer).unwrap_or_default();
        for sent in [&own_id[..], b"C1", b""] {
            match read_reply(&answer, sent) {
                Ok(reply) => {
                    assert!(!sent.is_empty(), "an empty control id matched");
                    let _ = (reply.errors().count(), format!("{reply:?}"));
                }
                Err(e) => {
                    assert!(e.offset() <= data.len(), "reply error offset past the input");
                    let _ = (e.to_string(), format!("{e:?}"));
                }
            }
        }
    }
    let options = AckOptions::new("ACK1", "20240101120000");
    let error = [AckError::new(AckErrorCode::DataTypeError)];
    for kind in [AckKind::Application, AckKind::Accept { committed: true }, AckKind::Accept { committed: false }] {
        for errors in [&[][..], &error[..]] {
            match acknowledge(data, kind, errors, &options) {
                Ok(ack) => {
                    let bytes = ack.to_bytes();
                    let msg = Message::parse(&bytes).expect("an acknowledgment always parses");
                    let plain = Message::parse(data)
                        .ok()
                        .filter(|m| m.scan() == hl7_core::Scan::Bytes && m.delimiters().escape().is_some())
                        .and_then(|m| plain_control_id(&m));
                    if let Some(id) = plain {
                        let reply = read_reply(&msg, &id).expect("the sender reads back its own acknowledgment");
                        assert_eq!(reply.code, ack.code, "read_reply gives back the code sent");
                        assert!(reply.errors().all(|c| c.is_some()), "an ERR written has no table 0357 code");
                    }
                    let msa1 = msg.query("MSA-1").ok().flatten().map(|v| v.as_bytes().to_vec()).unwrap_or_default();
                    assert_eq!(AckCode::from_code(&msa1), Some(ack.code), "MSA-1 is the code returned");
                    if let Ok(incoming) = Message::parse(data) {
                        // MSA-2 echoes MSH-10 (first repetition) component by component, decoded
                        // and escaped again; empty parts are left out, and so are values that need
                        // escaping when the delimiters define no escape character (documented).
                        let id = incoming.query("MSH-10[1]").ok().flatten().filter(|_| {
                            incoming.scan() == hl7_core::Scan::Bytes && incoming.delimiters().escape().is_some()
                        });
                        if let (Some(id), Some(msh)) = (id, incoming.segment(b"MSH")) {
                            let rep = msh.field(10).and_then(|f| f.repetition(1));
                            for (c, comp) in rep.iter().flat_map(|r| r.components()).enumerate() {
                                for (k, sub) in comp.subcomponents().enumerate() {
                                    let want = sub.to_cow();
                                    if want.is_empty() {
                                        continue;
                                    }
                                    let path = format!("MSA-2[1].{}.{}", c + 1, k + 1);
                                    let got = msg.query(&path).ok().flatten().map(|v| v.to_cow().into_owned());
                                    same(&got.as_deref(), &Some(&*want), "MSA-2 echoes MSH-10");
                                }
                            }
                            let _ = id;
                        }
                    }
                }
                Err(AckRefusal::IncomingIsAck | AckRefusal::NotRequired) => {}
                Err(_) => {}
            }
        }
    }
});
