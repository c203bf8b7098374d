//! Tests of the MLLP decoder and encoder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

extern crate std;

use super::*;
use std::format;
use std::string::ToString;
use std::vec;
use std::vec::Vec;

/// One decoded event, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Frame(Vec<u8>),
    Junk { offset: usize, len: usize },
    Err(MllpError),
}

/// Feeds `chunks` one by one into a growing buffer, draining events after
/// each; then calls `finish`. Stops after `max_errors` errors in a row
/// would loop (errors never consume, so at most one in a row is expected).
fn run(config: DecoderOptions, chunks: &[&[u8]]) -> (Vec<Ev>, Vec<u8>) {
    let mut d = Decoder::with_options(config);
    let mut buf = Vec::new();
    let mut evs = Vec::new();
    let drain = |d: &mut Decoder, buf: &mut Vec<u8>, eof: bool, evs: &mut Vec<Ev>| {
        let mut errors_in_a_row = 0;
        loop {
            let r = if eof { d.finish(buf) } else { d.decode(buf) };
            match r {
                Ok(Status::Complete { frame, consumed }) => {
                    errors_in_a_row = 0;
                    evs.push(Ev::Frame(buf[frame].to_vec()));
                    buf.drain(..consumed);
                }
                Ok(Status::Junk { offset, len }) => {
                    errors_in_a_row = 0;
                    assert!(len > 0);
                    evs.push(Ev::Junk { offset, len });
                    buf.drain(..len);
                }
                Ok(Status::Partial) => break,
                Err(e) => {
                    errors_in_a_row += 1;
                    assert!(errors_in_a_row < 2, "two errors in a row: {e:?}");
                    evs.push(Ev::Err(e));
                }
            }
        }
    };
    for c in chunks {
        buf.extend_from_slice(c);
        drain(&mut d, &mut buf, false, &mut evs);
    }
    let leftover = buf.clone();
    drain(&mut d, &mut buf, true, &mut evs);
    assert!(buf.is_empty(), "finish left bytes");
    (evs, leftover)
}

fn frame(p: &[u8]) -> Vec<u8> {
    let mut out = vec![0; frame_len(p.len())];
    let n = encode_into(p, &mut out).unwrap();
    assert_eq!(n, out.len());
    out
}

fn f(p: &[u8]) -> Ev {
    Ev::Frame(p.to_vec())
}

const MSG: &[u8] = b"MSH|^~\\&|SND|FAC|RCV|FAC|20250101||ADT^A01|1|P|2.5.1\rPID|1||TEST123\r";

#[test]
fn constants() {
    assert_eq!((SB, EB, CR), (0x0B, 0x1C, 0x0D));
    assert_eq!(COMMIT_ACK, [0x0B, 0x06, 0x1C, 0x0D]);
    assert_eq!(COMMIT_NAK, [0x0B, 0x15, 0x1C, 0x0D]);
    assert_eq!(DecoderOptions::default().max_frame, 10 * 1024 * 1024);
}

#[test]
fn single_frame() {
    let s = frame(MSG);
    let mut d = Decoder::new();
    let st = d.decode(&s).unwrap();
    assert_eq!(st, Status::Complete { frame: 1..1 + MSG.len(), consumed: s.len() });
    assert_eq!(d.stream_offset(), s.len());
    assert_eq!(d.decode(&[]), Ok(Status::Partial));
    assert_eq!(d.finish(&[]), Ok(Status::Partial));
}

#[test]
fn every_split_point_partial_then_complete() {
    let s = frame(MSG);
    for cut in 0..s.len() {
        let mut d = Decoder::new();
        assert_eq!(d.decode(&s[..cut]), Ok(Status::Partial), "cut {cut}");
        assert_eq!(d.decode(&s), Ok(Status::Complete { frame: 1..1 + MSG.len(), consumed: s.len() }), "cut {cut}");
    }
    // And byte by byte through the helper (exercises the scan memo).
    let chunks: Vec<&[u8]> = s.chunks(1).collect();
    assert_eq!(run(DecoderOptions::new(), &chunks).0, vec![f(MSG)]);
}

#[test]
fn several_frames_in_one_read() {
    let mut s = frame(b"A");
    s.extend(frame(b""));
    s.extend(frame(MSG));
    s.extend(frame(b"B\rC\r"));
    let (evs, _) = run(DecoderOptions::new(), &[&s]);
    assert_eq!(evs, vec![f(b"A"), f(b""), f(MSG), f(b"B\rC\r")]);
}

#[test]
fn empty_frame_is_complete_with_empty_payload() {
    let mut d = Decoder::new();
    assert_eq!(d.decode(&[SB, EB, CR]), Ok(Status::Complete { frame: 1..1, consumed: 3 }));
}

#[test]
fn junk_before_start_block_is_reported_with_stream_offsets() {
    let mut s = b"log line\n".to_vec();
    s.extend(frame(b"A"));
    s.extend(b"\r\n");
    s.extend(frame(b"B"));
    s.extend(b"tail");
    let (evs, _) = run(DecoderOptions::new(), &[&s]);
    assert_eq!(
        evs,
        vec![
            Ev::Junk { offset: 0, len: 9 },
            f(b"A"),
            Ev::Junk { offset: 13, len: 2 },
            f(b"B"),
            Ev::Junk { offset: 19, len: 4 },
        ]
    );
}

#[test]
fn junk_split_across_reads() {
    let mut s = b"abc".to_vec();
    s.extend(frame(b"A"));
    let (evs, _) = run(DecoderOptions::new(), &[&s[..2], &s[2..]]);
    assert_eq!(evs, vec![Ev::Junk { offset: 0, len: 2 }, Ev::Junk { offset: 2, len: 1 }, f(b"A")]);
}

#[test]
fn junk_rejected_in_strict_mode_then_recovered() {
    let mut s = b"xx".to_vec();
    s.extend(frame(b"A"));
    let cfg = DecoderOptions::new().junk(JunkPolicy::Reject);
    let (evs, _) = run(cfg, &[&s]);
    assert_eq!(
        evs,
        vec![
            Ev::Err(MllpError::new(MllpErrorKind::JunkBeforeStartBlock { len: 2 }, 0)),
            Ev::Junk { offset: 0, len: 2 },
            f(b"A"),
        ]
    );
    // Junk that runs to the end of a read, with the SB arriving in the next one.
    let (evs, _) = run(cfg, &[&s[..2], &s[2..]]);
    assert_eq!(
        evs,
        vec![
            Ev::Err(MllpError::new(MllpErrorKind::JunkBeforeStartBlock { len: 2 }, 0)),
            Ev::Junk { offset: 0, len: 2 },
            f(b"A"),
        ]
    );
}

#[test]
fn start_block_inside_frame_resynchronises() {
    // A frame cut short (sender restarted), then a good frame.
    let mut s = b"\x0bMSH|half".to_vec();
    s.extend(frame(b"A"));
    let (evs, _) = run(DecoderOptions::new(), &[&s]);
    assert_eq!(
        evs,
        vec![
            Ev::Err(MllpError::new(MllpErrorKind::UnexpectedStartBlock { frame_offset: 0 }, 9)),
            Ev::Junk { offset: 0, len: 9 },
            f(b"A"),
        ]
    );
    // Same, fed byte by byte.
    let chunks: Vec<&[u8]> = s.chunks(1).collect();
    assert_eq!(run(DecoderOptions::new(), &chunks).0, evs);
}

#[test]
fn end_block_without_cr_strict() {
    let mut s = b"\x0bA\x1c".to_vec();
    s.extend(frame(b"B"));
    let (evs, _) = run(DecoderOptions::new(), &[&s]);
    assert_eq!(
        evs,
        vec![Ev::Err(MllpError::new(MllpErrorKind::MissingCarriageReturn, 3)), Ev::Junk { offset: 0, len: 3 }, f(b"B"),]
    );
    // EB then a non-CR, non-SB byte.
    let (evs, _) = run(DecoderOptions::new(), &[b"\x0bA\x1cX"]);
    assert_eq!(
        evs,
        vec![Ev::Err(MllpError::new(MllpErrorKind::MissingCarriageReturn, 3)), Ev::Junk { offset: 0, len: 4 },]
    );
    // EB as the last byte of the stream.
    let mut d = Decoder::new();
    assert_eq!(d.decode(b"\x0bA\x1c"), Ok(Status::Partial));
    assert_eq!(d.finish(b"\x0bA\x1c"), Err(MllpError::new(MllpErrorKind::Truncated { len: 3 }, 0)));
}

#[test]
fn end_block_without_cr_lenient() {
    let cfg = DecoderOptions::new().end(EndPolicy::Lenient);
    let mut s = b"\x0bA\x1c".to_vec();
    s.extend(frame(b"B"));
    s.extend(b"\x0bC\x1c\n");
    s.extend(b"\x0bD\x1c");
    let (evs, _) = run(cfg, &[&s]);
    assert_eq!(evs, vec![f(b"A"), f(b"B"), f(b"C"), Ev::Junk { offset: 10, len: 1 }, f(b"D"),]);
    // EB at end of a read waits for the next byte.
    let mut d = Decoder::with_options(cfg);
    assert_eq!(d.decode(b"\x0bA\x1c"), Ok(Status::Partial));
    assert_eq!(d.decode(b"\x0bA\x1c\r"), Ok(Status::Complete { frame: 1..2, consumed: 4 }));
}

#[test]
fn oversized_frame_is_refused_early() {
    let cfg = DecoderOptions::new().max_frame(4);
    // Exactly the limit is fine.
    let (evs, _) = run(cfg, &[&frame(b"ABCD")]);
    assert_eq!(evs, vec![f(b"ABCD")]);
    // One more byte, EB not yet received: error as soon as 5 payload bytes are in.
    let mut d = Decoder::with_options(cfg);
    assert_eq!(d.decode(b"\x0bABCD"), Ok(Status::Partial));
    assert_eq!(d.decode(b"\x0bABCDE"), Err(MllpError::new(MllpErrorKind::FrameTooLarge { seen: 5, limit: 4 }, 0)));
    // The rest of the oversized frame streams out as junk, then the next frame.
    let mut s = b"\x0bABCDEFGHIJ\x1c\r".to_vec();
    s.extend(frame(b"ok"));
    let chunks: Vec<&[u8]> = s.chunks(3).collect();
    let (evs, _) = run(cfg, &chunks);
    assert_eq!(
        evs,
        vec![
            Ev::Err(MllpError::new(MllpErrorKind::FrameTooLarge { seen: 5, limit: 4 }, 0)),
            Ev::Junk { offset: 0, len: 6 },
            Ev::Junk { offset: 6, len: 3 },
            Ev::Junk { offset: 9, len: 3 },
            Ev::Junk { offset: 12, len: 1 },
            f(b"ok"),
        ]
    );
    // Even in strict-junk mode the recovery junk is reported, not rejected.
    let (evs2, _) = run(cfg.junk(JunkPolicy::Reject), &chunks);
    assert_eq!(evs2, evs);
    // Zero limit: only empty frames pass.
    let (evs, _) = run(DecoderOptions::new().max_frame(0), &[&frame(b"")]);
    assert_eq!(evs, vec![f(b"")]);
}

#[test]
fn oversized_frame_detected_with_eb_present() {
    let cfg = DecoderOptions::new().max_frame(2);
    let mut d = Decoder::with_options(cfg);
    assert_eq!(d.decode(&frame(b"ABC")), Err(MllpError::new(MllpErrorKind::FrameTooLarge { seen: 5, limit: 2 }, 0)));
}

#[test]
fn truncated_at_end_of_stream() {
    let mut s = frame(b"A");
    s.extend(b"\x0bMSH|par");
    let (evs, leftover) = run(DecoderOptions::new(), &[&s]);
    assert_eq!(leftover, b"\x0bMSH|par");
    assert_eq!(
        evs,
        vec![f(b"A"), Ev::Err(MllpError::new(MllpErrorKind::Truncated { len: 8 }, 4)), Ev::Junk { offset: 4, len: 8 },]
    );
}

#[test]
fn commit_acknowledgements() {
    let mut s = COMMIT_ACK.to_vec();
    s.extend(COMMIT_NAK);
    s.extend(frame(&[ACK, ACK]));
    let (evs, _) = run(DecoderOptions::new(), &[&s]);
    let kinds: Vec<_> = evs
        .iter()
        .map(|e| match e {
            Ev::Frame(p) => commit_kind(p),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, vec![Some(Commit::Ack), Some(Commit::Nak), None]);
    assert_eq!(frame(&[ACK]), COMMIT_ACK);
    assert_eq!(frame(&[NAK]), COMMIT_NAK);
}

#[test]
fn encoder() {
    assert_eq!(frame_len(0), 3);
    assert_eq!(frame_len(usize::MAX), usize::MAX);
    let mut out = [0xAA; 8];
    assert_eq!(encode_into(b"", &mut out), Ok(3));
    assert_eq!(&out[..4], &[SB, EB, CR, 0xAA]);
    let mut out = [0xAA; 6];
    assert_eq!(
        encode_into(b"ABCD", &mut out),
        Err(MllpError::new(MllpErrorKind::BufferTooSmall { needed: 7, available: 6 }, 6))
    );
    assert_eq!(out, [0xAA; 6], "untouched on error");
    assert_eq!(
        encode_into(b"", &mut []),
        Err(MllpError::new(MllpErrorKind::BufferTooSmall { needed: 3, available: 0 }, 0))
    );
    assert_eq!(encode_into(b"ab\x1c", &mut [0; 16]), Err(MllpError::new(MllpErrorKind::ForbiddenByte, 2)));
    assert_eq!(encode_into(b"\x0b", &mut [0; 16]), Err(MllpError::new(MllpErrorKind::ForbiddenByte, 0)));
    let mut out = [0; 7];
    assert_eq!(encode_into(b"ABCD", &mut out), Ok(7));
    assert_eq!(&out, b"\x0bABCD\x1c\r");
}

#[cfg(feature = "alloc")]
#[test]
fn encode_alloc() {
    assert_eq!(encode(MSG).unwrap(), frame(MSG));
    assert_eq!(encode(b"\x1c"), Err(MllpError::new(MllpErrorKind::ForbiddenByte, 0)));
}

#[test]
fn display_has_kinds_and_offsets_not_payload() {
    let errs = [
        MllpError::new(MllpErrorKind::JunkBeforeStartBlock { len: 3 }, 7),
        MllpError::new(MllpErrorKind::UnexpectedStartBlock { frame_offset: 2 }, 9),
        MllpError::new(MllpErrorKind::MissingCarriageReturn, 11),
        MllpError::new(MllpErrorKind::FrameTooLarge { seen: 12, limit: 10 }, 5),
        MllpError::new(MllpErrorKind::Truncated { len: 8 }, 4),
        MllpError::new(MllpErrorKind::BufferTooSmall { needed: 13, available: 2 }, 2),
        MllpError::new(MllpErrorKind::ForbiddenByte, 6),
    ];
    for e in errs {
        let s = e.to_string();
        assert!(s.starts_with("MLLP: "), "{s}");
        assert!(s.chars().any(|c| c.is_ascii_digit()), "{s}");
        assert!(s.is_ascii());
    }
    assert_eq!(format!("{}", errs[3]), "MLLP: frame at stream offset 5 exceeds the 10-byte limit (12 bytes received)");
}

#[test]
fn status_consumed() {
    assert_eq!(Status::Partial.consumed(), 0);
    assert_eq!(Status::Junk { offset: 3, len: 2 }.consumed(), 2);
    assert_eq!(Status::Complete { frame: 1..2, consumed: 4 }.consumed(), 4);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn payload() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>().prop_filter("no SB/EB", |b| *b != SB && *b != EB), 0..64)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any payloads, framed and concatenated, fed in any chunking,
        /// decode to the same payloads with no junk and no error.
        #[test]
        fn any_chunking_round_trips(
            payloads in proptest::collection::vec(payload(), 0..8),
            cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..16),
            lenient in any::<bool>(),
        ) {
            let mut stream = Vec::new();
            for p in &payloads {
                stream.extend(frame(p));
            }
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
            points.push(0);
            points.push(stream.len());
            points.sort_unstable();
            points.dedup();
            let chunks: Vec<&[u8]> = points.windows(2).map(|w| &stream[w[0]..w[1]]).collect();
            let cfg = if lenient { DecoderOptions::new().end(EndPolicy::Lenient) } else { DecoderOptions::new() };
            let (evs, leftover) = run(cfg, &chunks);
            prop_assert!(leftover.is_empty());
            let expected: Vec<Ev> = payloads.iter().map(|p| Ev::Frame(p.clone())).collect();
            prop_assert_eq!(evs, expected);
        }

        /// Arbitrary bytes in arbitrary chunks never panic, every byte is
        /// accounted for exactly once (frames + junk), and errors never
        /// repeat without progress.
        #[test]
        fn arbitrary_bytes_are_all_accounted_for(
            stream in proptest::collection::vec(
                prop_oneof![Just(SB), Just(EB), Just(CR), any::<u8>()], 0..200),
            chunk in 1usize..17,
            max_frame in 0usize..40,
            reject in any::<bool>(),
            lenient in any::<bool>(),
        ) {
            let mut cfg = DecoderOptions::new().max_frame(max_frame);
            if reject { cfg = cfg.junk(JunkPolicy::Reject); }
            if lenient { cfg = cfg.end(EndPolicy::Lenient); }
            let chunks: Vec<&[u8]> = stream.chunks(chunk).collect();
            let (evs, _) = run(cfg, &chunks);
            // Rebuild: frames and junk tile the stream in order.
            let mut pos = 0usize;
            for e in &evs {
                match e {
                    Ev::Junk { offset, len } => {
                        prop_assert_eq!(*offset, pos);
                        pos += len;
                    }
                    Ev::Frame(p) => {
                        prop_assert!(p.len() <= max_frame);
                        prop_assert_eq!(stream.get(pos), Some(&SB));
                        prop_assert_eq!(&stream[pos + 1..pos + 1 + p.len()], &p[..]);
                        prop_assert_eq!(stream.get(pos + 1 + p.len()), Some(&EB));
                        pos += p.len() + 2;
                        if stream.get(pos) == Some(&CR) { pos += 1; }
                    }
                    Ev::Err(_) => {}
                }
            }
            prop_assert_eq!(pos, stream.len());
        }
    }
}
