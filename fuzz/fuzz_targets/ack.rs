//! ACK building on arbitrary bytes: every kind and outcome gives either an acknowledgment that
//! parses (MSA-1 the code returned, MSA-2 the incoming MSH-10 when it parsed) or a typed refusal.
#![no_main]

use hl7_core::ack::{acknowledge, AckCode, AckError, AckErrorCode, AckKind, AckOptions, AckRefusal};
use hl7_core::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut options = AckOptions::default();
    options.control_id = "ACK1";
    options.timestamp = "20240101120000";
    let error = [AckError::new(AckErrorCode::DataTypeError)];
    for kind in [AckKind::Application, AckKind::Accept { committed: true }, AckKind::Accept { committed: false }] {
        for errors in [&[][..], &error[..]] {
            match acknowledge(data, kind, errors, &options) {
                Ok(ack) => {
                    let bytes = ack.to_bytes();
                    let msg = Message::parse(&bytes).expect("an acknowledgment always parses");
                    let msa1 = msg.query("MSA-1").ok().flatten().map(|v| v.as_bytes().to_vec()).unwrap_or_default();
                    assert_eq!(AckCode::from_code(&msa1), Some(ack.code), "MSA-1 is the code returned");
                    if let Ok(incoming) = Message::parse(data) {
                        // MSA-2 echoes MSH-10 (first repetition) component by component, decoded
                        // and escaped again; empty parts are left out, and so are values that need
                        // escaping when the delimiters define no escape character (documented).
                        let id = incoming
                            .query("MSH-10[1]")
                            .ok()
                            .flatten()
                            .filter(|_| incoming.scan() == hl7_core::Scan::Bytes && incoming.delimiters().escape().is_some());
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
                                    assert_eq!(got.as_deref(), Some(&*want), "MSA-2 echoes MSH-10");
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
