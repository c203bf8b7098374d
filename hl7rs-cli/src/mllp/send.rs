//! `hl7rs mllp send`: sends each message of the inputs over one MLLP connection, waits for its
//! acknowledgment (MSA-2 checked against the message's MSH-10 by [`read_reply`]) and retries with
//! exponential backoff when the answer does not come in time or the connection is lost.
//!
//! Which answer is awaited: in original mode the application acknowledgment; in enhanced mode the
//! application acknowledgment when MSH-16 asks for it on success (`AL`), else the commit
//! acknowledgment when MSH-15 does, else none (the message is sent and not awaited). Answers
//! naming another control id (late answers to an earlier try) are skipped. A message with an empty
//! MSH-10 is not sent (no answer could be matched to it). The control id is compared as written
//! (escape sequences in MSH-10 are not decoded).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use hl7rs::ack::{read_reply, AckCode, AckMode, ReplyError};
use hl7rs::mllp::{encode, Decoder, Status};
use hl7rs::{BatchEntry, Message};

use crate::inputs::{self, Reading};

/// The settings of `hl7rs mllp send`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `HOST:PORT`.
    pub to: String,
    /// Wait for each answer (and for connecting) at most this long.
    pub timeout: Duration,
    /// Tries after the first one.
    pub retries: u32,
    /// Only failures on stderr.
    pub quiet: bool,
}

/// Which answer a message waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Awaited {
    None,
    Commit,
    Application,
}

fn awaited(msg: &Message<'_>) -> Awaited {
    let is_ack = msg
        .segment(b"MSH")
        .and_then(|s| s.field(9))
        .and_then(|f| f.component(1))
        .is_some_and(|c| c.as_bytes().eq_ignore_ascii_case(b"ACK"));
    if is_ack {
        return Awaited::None;
    }
    match AckMode::of(msg) {
        AckMode::Original => Awaited::Application,
        AckMode::Enhanced { application, .. } if application.requires(true) => Awaited::Application,
        AckMode::Enhanced { accept, .. } if accept.requires(true) => Awaited::Commit,
        AckMode::Enhanced { .. } => Awaited::None,
    }
}

/// The outcome of one message.
enum Outcome {
    /// Acknowledged with this code (and these ERR codes).
    Answered(AckCode, Vec<String>),
    /// Sent; no answer was asked for.
    Sent,
    /// The answer could not be read as an acknowledgment of this message.
    BadReply(ReplyError),
    /// No answer after every try.
    GaveUp(u32),
}

struct Conn {
    stream: TcpStream,
    decoder: Decoder,
    buf: Vec<u8>,
}

/// Runs `hl7rs mllp send`.
pub fn run(paths: &[PathBuf], reading: &Reading, settings: &Settings) -> ExitCode {
    let Ok(Some(addr)) = settings.to.to_socket_addrs().map(|mut a| a.next()) else {
        eprintln!("hl7rs mllp send: cannot resolve {}", settings.to);
        return ExitCode::from(2);
    };
    let (inputs, mut ok) = inputs::collect(paths, reading);
    let mut conn: Option<Conn> = None;
    let (mut sent, mut accepted) = (0usize, 0usize);
    for input in &inputs {
        let Some(bytes) = input.read() else {
            ok = false;
            continue;
        };
        let mut n = 0usize;
        for item in reading.batch(&bytes).entries() {
            let msg = match item {
                Ok(BatchEntry::Message(msg)) => msg,
                Ok(BatchEntry::Skipped(s)) => {
                    inputs::report_skipped(input, s);
                    continue;
                }
                Ok(_) => continue,
                Err(e) => {
                    inputs::report(input, &bytes, &e);
                    ok = false;
                    continue;
                }
            };
            n += 1;
            sent += 1;
            let control_id = msg.segment(b"MSH").and_then(|s| s.field(10)).map_or(&b""[..], |f| f.as_bytes());
            if control_id.is_empty() {
                // No answer could be matched to it (and a receiver rejects it).
                eprintln!("{input}: message {n}: MSH-10 (control id) is empty: not sent");
                ok = false;
                continue;
            }
            let outcome = deliver(&mut conn, addr, msg.as_bytes(), control_id, awaited(&msg), settings);
            match outcome {
                Outcome::Answered(code, _) if code.is_positive() => {
                    accepted += 1;
                    if !settings.quiet {
                        println!("{input}: message {n}: {}", code.as_str());
                    }
                }
                Outcome::Answered(code, errors) => {
                    ok = false;
                    println!("{input}: message {n}: {}", code.as_str());
                    eprintln!("{input}: message {n}: not accepted: {} (ERR {})", code.as_str(), errors.join(","));
                }
                Outcome::Sent => {
                    accepted += 1;
                    if !settings.quiet {
                        println!("{input}: message {n}: sent (no acknowledgment asked)");
                    }
                }
                Outcome::BadReply(e) => {
                    ok = false;
                    eprintln!("{input}: message {n}: bad answer: {e}");
                }
                Outcome::GaveUp(tries) => {
                    ok = false;
                    eprintln!("{input}: message {n}: no acknowledgment after {tries} tries");
                }
            }
        }
    }
    if !settings.quiet {
        eprintln!("hl7rs mllp send: {sent} message(s) sent, {accepted} accepted");
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << attempt.min(5)).min(8000))
}

fn deliver(
    conn: &mut Option<Conn>,
    addr: SocketAddr,
    payload: &[u8],
    control_id: &[u8],
    awaited: Awaited,
    settings: &Settings,
) -> Outcome {
    let Ok(frame) = encode(payload) else {
        return Outcome::BadReply(ReplyError::NoMsa { offset: 0 });
    };
    for attempt in 0..=settings.retries {
        if attempt > 0 {
            std::thread::sleep(backoff(attempt - 1));
        }
        if conn.is_none() {
            match TcpStream::connect_timeout(&addr, settings.timeout) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    *conn = Some(Conn { stream, decoder: Decoder::new(), buf: Vec::new() });
                }
                Err(e) => {
                    eprintln!("hl7rs mllp send: connect to {addr} (try {}): {}", attempt + 1, e.kind());
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        if let Err(e) = c.stream.write_all(&frame) {
            eprintln!("hl7rs mllp send: write (try {}): {}", attempt + 1, e.kind());
            *conn = None;
            continue;
        }
        if awaited == Awaited::None {
            return Outcome::Sent;
        }
        match wait(c, control_id, awaited, settings.timeout) {
            Ok(outcome) => return outcome,
            Err(e) => {
                eprintln!("hl7rs mllp send: no answer (try {}): {}", attempt + 1, e.kind());
                *conn = None;
            }
        }
    }
    Outcome::GaveUp(settings.retries + 1)
}

/// Reads frames until the awaited answer for `control_id`; an I/O error (timeout, closed) means
/// the connection is to be dropped and the message sent again.
fn wait(c: &mut Conn, control_id: &[u8], awaited: Awaited, timeout: Duration) -> io::Result<Outcome> {
    let deadline = Instant::now() + timeout;
    let mut chunk = [0u8; 16 * 1024];
    loop {
        while let Some(frame) = next_frame(c)? {
            let Ok(answer) = Message::parse(&frame) else {
                return Ok(Outcome::BadReply(ReplyError::NoMsa { offset: 0 }));
            };
            match read_reply(&answer, control_id) {
                Ok(reply) => {
                    let commit = matches!(reply.code, AckCode::CommitAccept);
                    if commit && awaited == Awaited::Application {
                        // The commit acknowledgment first; the application one follows.
                        continue;
                    }
                    let errors = reply.errors().map(|e| e.map_or_else(|| "?".to_owned(), |e| e.code().to_string()));
                    return Ok(Outcome::Answered(reply.code, errors.collect()));
                }
                Err(ReplyError::ControlIdMismatch { .. }) => {}
                Err(e) => return Ok(Outcome::BadReply(e)),
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        c.stream.set_read_timeout(Some(left))?;
        match c.stream.read(&mut chunk) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => c.buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Err(io::ErrorKind::TimedOut.into()),
            Err(e) => return Err(e),
        }
    }
}

fn next_frame(c: &mut Conn) -> io::Result<Option<Vec<u8>>> {
    loop {
        match c.decoder.decode(&c.buf) {
            Ok(Status::Complete { frame, consumed }) => {
                let payload = c.buf[frame].to_vec();
                c.buf.drain(..consumed);
                return Ok(Some(payload));
            }
            Ok(Status::Junk { len, .. }) => {
                c.buf.drain(..len);
            }
            Ok(Status::Partial) => return Ok(None),
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
        }
    }
}
