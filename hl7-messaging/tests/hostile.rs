//! Hostile inputs of the RELIABILITY.md classes that the messaging layer covers (class 13: malformed
//! acknowledgments); the class number is in each test's name. Classes 1-12 are hl7-core's
//! (`hl7-core/tests/hostile.rs`).

use hl7_core::Message;
use hl7_messaging::ack::{read_reply, AckCode, AckErrorCode, ReplyError};

// Class 13: malformed acknowledgments, as the sending side reads them.

fn reply(answer: &[u8], sent: &[u8]) -> Result<AckCode, ReplyError> {
    let msg = Message::parse(answer).unwrap();
    read_reply(&msg, sent).map(|r| r.code)
}

#[test]
fn class13_ack_without_msa() {
    let answer = b"MSH|^~\\&|B||A||||ACK^A01^ACK|9|P|2.5\rERR|||207\r";
    assert_eq!(reply(answer, b"C1"), Err(ReplyError::NoMsa { offset: 0 }));
}

#[test]
fn class13_msa2_not_matching_the_sent_control_id() {
    let answer = b"MSH|^~\\&|B||A||||ACK^A01^ACK|9|P|2.5\rMSA|AA|OTHER\r";
    assert_eq!(reply(answer, b"C1"), Err(ReplyError::ControlIdMismatch { offset: 44 }));
    // An empty MSA-2 (a minimal reject) cannot be matched either; a missing one points at MSA.
    let empty = b"MSH|^~\\&|B||A||||ACK^A01^ACK|9|P|2.5\rMSA|AR|\r";
    assert_eq!(reply(empty, b"C1"), Err(ReplyError::ControlIdMismatch { offset: 44 }));
    let missing = b"MSH|^~\\&|B||A||||ACK^A01^ACK|9|P|2.5\rMSA|AR\r";
    assert_eq!(reply(missing, b"C1"), Err(ReplyError::ControlIdMismatch { offset: 37 }));
    // Escapes are decoded before comparing; a prefix is not a match.
    let escaped = b"MSH|^~\\&|B||A||||ACK^A01^ACK|9|P|2.5\rMSA|AA|C\\F\\1\r";
    assert_eq!(reply(escaped, b"C|1"), Ok(AckCode::ApplicationAccept));
    assert!(reply(escaped, b"C|").is_err());
}

#[test]
fn class13_unknown_msa1() {
    let answer = b"MSH|^~\\&|B||A||||ACK^A01^ACK|9|P|2.5\rMSA|ZZ|C1\r";
    assert_eq!(reply(answer, b"C1"), Err(ReplyError::UnknownCode { offset: 41 }));
    let empty = b"MSH|^~\\&|B||A||||ACK^A01^ACK|9|P|2.5\rMSA||C1\r";
    assert_eq!(reply(empty, b"C1"), Err(ReplyError::UnknownCode { offset: 41 }));
}

#[test]
fn class13_reply_errors_and_no_content_in_display() {
    let answer = b"MSH|^~\\&|B||A||||ACK^A01^ACK|9|P|2.3\rMSA|AE|SECRET1|Required field missing\rERR|PID^1^3^101&Required field missing&HL70357\rERR|^^^999\r";
    let msg = Message::parse(answer).unwrap();
    let r = read_reply(&msg, b"SECRET1").unwrap();
    assert_eq!(r.errors().collect::<Vec<_>>(), [Some(AckErrorCode::RequiredFieldMissing), None]);
    let err = read_reply(&msg, b"SECRET2").unwrap_err();
    for text in [err.to_string(), format!("{err:?}"), format!("{r:?}")] {
        assert!(!text.contains("SECRET"), "{text}");
    }
}
