//! `mllp::Decoder` on arbitrary bytes cut into arbitrary reads, under every policy: the frames,
//! junk and consumed bytes account for every input byte in order; the frames do not depend on how
//! the stream was cut; and framing arbitrary payloads then decoding any cut gives them back.
#![no_main]

use std::fmt;

use arbitrary::Arbitrary;
use hl7_core::mllp::{self, Decoder, DecoderOptions, EndPolicy, JunkPolicy, MllpError, MllpErrorKind, Status, EB, SB};
use hl7_core_fuzz::same;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary)]
struct Input<'a> {
    reject_junk: bool,
    lenient_end: bool,
    small_max: Option<u8>,
    cuts: Vec<u8>,
    data: &'a [u8],
}

// Shape only: harnesses never print stream bytes.
impl fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Input").field("cuts", &self.cuts.len()).field("data_len", &self.data.len()).finish()
    }
}

/// What a decode run saw: frames (stream offset, payload) and errors (junk length dropped).
#[derive(Debug, PartialEq, Eq, Default)]
struct Seen {
    frames: Vec<(usize, Vec<u8>)>,
    errors: Vec<MllpError>,
    junk: usize,
}

fn normalise(e: MllpError) -> MllpError {
    match e.kind() {
        // How much junk is in sight depends on the reads.
        MllpErrorKind::JunkBeforeStartBlock { .. } => {
            MllpError::new(MllpErrorKind::JunkBeforeStartBlock { len: 0 }, e.offset())
        }
        // How much of an oversized frame has arrived depends on the reads.
        MllpErrorKind::FrameTooLarge { limit, .. } => MllpError::new(MllpErrorKind::FrameTooLarge { seen: 0, limit }, e.offset()),
        _ => e,
    }
}

/// Feeds `data` in reads of the given sizes (cycled), then finishes; checks the accounting.
fn run(config: DecoderOptions, data: &[u8], cuts: &[u8]) -> Seen {
    let mut decoder = Decoder::with_options(config);
    let mut seen = Seen::default();
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0usize;
    let mut stream = 0usize;
    let mut cut = cuts.iter().cycle();
    let mut errors_in_a_row = 0;
    loop {
        let eof = fed == data.len();
        let result = if eof { decoder.finish(&buf) } else { decoder.decode(&buf) };
        match result {
            Ok(Status::Partial) => {
                errors_in_a_row = 0;
                if eof {
                    assert!(buf.is_empty(), "finish() returned Partial with bytes left");
                    break;
                }
                let n = cut.next().map_or(data.len(), |&c| usize::from(c) + 1).min(data.len() - fed);
                buf.extend_from_slice(&data[fed..fed + n]);
                fed += n;
                continue;
            }
            Ok(Status::Complete { frame, consumed }) => {
                errors_in_a_row = 0;
                assert!(consumed >= 2 && consumed <= buf.len() && frame.start == 1 && frame.end < consumed);
                assert_eq!(buf[0], SB);
                assert_eq!(buf[frame.end], EB);
                assert!(!buf[frame.clone()].iter().any(|&b| b == SB || b == EB), "payload holds SB or EB");
                assert!(consumed - frame.end <= 2);
                seen.frames.push((stream, buf[frame].to_vec()));
                stream += consumed;
                buf.drain(..consumed);
            }
            Ok(Status::Junk { offset, len }) => {
                errors_in_a_row = 0;
                assert_eq!(offset, stream, "junk offset is not the stream position");
                assert!(len > 0 && len <= buf.len());
                seen.junk += len;
                stream += len;
                buf.drain(..len);
            }
            Err(e) => {
                errors_in_a_row += 1;
                assert!(errors_in_a_row < 2, "two errors in a row without progress");
                let _ = e.to_string();
                seen.errors.push(normalise(e));
            }
        }
        assert_eq!(decoder.stream_offset(), stream, "decoder and caller disagree on the stream offset");
    }
    assert_eq!(stream, data.len(), "frames and junk do not cover the input");
    seen
}

fuzz_target!(|input: Input<'_>| {
    let mut config = DecoderOptions::new()
        .junk(if input.reject_junk { JunkPolicy::Reject } else { JunkPolicy::Report })
        .end(if input.lenient_end { EndPolicy::Lenient } else { EndPolicy::Strict });
    if let Some(m) = input.small_max {
        config = config.max_frame(usize::from(m));
    }
    let cuts = if input.cuts.is_empty() { vec![u8::MAX] } else { input.cuts.clone() };
    let chunked = run(config, input.data, &cuts);
    let whole = run(config, input.data, &[]);
    same(&chunked.frames, &whole.frames, "frames depend on how the stream was cut");
    assert_eq!(chunked.errors, whole.errors, "errors depend on how the stream was cut");
    assert_eq!(chunked.junk, whole.junk);

    // Round trip: the input's pieces (split at 0x1C, SB/EB removed) framed back to back.
    let payloads: Vec<Vec<u8>> =
        input.data.split(|&b| b == EB).map(|p| p.iter().copied().filter(|&b| b != SB).collect()).collect();
    let mut stream = Vec::new();
    for p in &payloads {
        stream.extend_from_slice(&mllp::encode(p).expect("payload without SB/EB encodes"));
    }
    let back = run(DecoderOptions::new(), &stream, &cuts);
    assert!(back.errors.is_empty() && back.junk == 0, "clean frames gave errors or junk");
    let got: Vec<&Vec<u8>> = back.frames.iter().map(|(_, p)| p).collect();
    same(&got, &payloads.iter().collect::<Vec<_>>(), "framed payloads did not come back");
    for (_, frame) in &back.frames {
        let _ = mllp::commit_kind(frame);
    }

    // The encoders on the raw input: a payload with SB or EB is refused at the first one; the
    // no-alloc encoder writes the same frame into a buffer large enough, and refuses a smaller one.
    let forbidden = input.data.iter().position(|&b| b == SB || b == EB);
    match mllp::encode(input.data) {
        Ok(frame) => {
            assert!(forbidden.is_none(), "a payload with SB/EB was framed");
            let mut out = vec![0u8; frame.len() + usize::from(input.small_max.unwrap_or(0))];
            assert_eq!(mllp::encode_into(input.data, &mut out), Ok(frame.len()));
            hl7_core_fuzz::same_bytes(&out[..frame.len()], &frame, "encode_into and encode differ");
            let cut = input.cuts.first().map_or(0, |&c| usize::from(c) % frame.len());
            let refused = mllp::encode_into(input.data, &mut out[..cut]);
            assert!(matches!(refused.map_err(|e| e.kind()), Err(MllpErrorKind::BufferTooSmall { .. })), "a short buffer was not refused");
        }
        Err(e) => {
            assert_eq!(e, MllpError::new(MllpErrorKind::ForbiddenByte, forbidden.expect("refused without SB/EB")));
            let _ = e.to_string();
        }
    }
});
