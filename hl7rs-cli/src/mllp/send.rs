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
//!
//! With `--tls` the connection is TLS (rustls, [`super::tls`]): the receiver's certificate must
//! chain to `--tls-ca` and name the host of `--to`; `--tls-cert` and `--tls-key` present a client
//! certificate for mutual TLS. `--verbose` logs connections and one line per message on stderr
//! (its input and number, size, ACK code, latency, tries), never content or control ids.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hl7rs::ack::{read_reply, AckCode, AckMode, ReplyError};
use hl7rs::mllp::{encode, Decoder, Status};
use hl7rs::{BatchEntry, Message};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

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
    /// Messages in flight at once (1: wait for each ACK before sending the next).
    pub window: usize,
    /// Connections, and one line per message, on stderr.
    pub verbose: bool,
    /// TLS settings and the name the receiver's certificate must carry, when TLS is asked for.
    pub tls: Option<(Arc<ClientConfig>, ServerName<'static>)>,
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

/// A connection to the receiver: plain TCP or TLS over TCP.
enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.set_read_timeout(timeout),
            Stream::Tls(s) => s.sock.set_read_timeout(timeout),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

struct Conn {
    stream: Stream,
    decoder: Decoder,
    buf: Vec<u8>,
}

/// Connects to `addr` (bounded by `--timeout`), with the TLS handshake when asked for.
fn connect(addr: SocketAddr, settings: &Settings) -> io::Result<Conn> {
    let tcp = TcpStream::connect_timeout(&addr, settings.timeout)?;
    let _ = tcp.set_nodelay(true);
    let stream = match &settings.tls {
        None => Stream::Plain(tcp),
        Some((config, name)) => {
            let mut tls = ClientConnection::new(Arc::clone(config), name.clone())
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("TLS: {e}")))?;
            let mut tcp = tcp;
            tcp.set_read_timeout(Some(settings.timeout))?;
            tcp.set_write_timeout(Some(settings.timeout))?;
            while tls.is_handshaking() {
                tls.complete_io(&mut tcp).map_err(|e| io::Error::new(e.kind(), format!("TLS handshake: {e}")))?;
            }
            Stream::Tls(Box::new(StreamOwned::new(tls, tcp)))
        }
    };
    if settings.verbose {
        let tls = if settings.tls.is_some() { " (TLS)" } else { "" };
        eprintln!("hl7rs mllp send: connected to {addr}{tls}");
    }
    Ok(Conn { stream, decoder: Decoder::new(), buf: Vec::new() })
}

/// What `--verbose` logs of a message: its size, when it was first sent, and the tries.
#[derive(Clone, Copy)]
struct Trace {
    bytes: usize,
    since: Instant,
    tries: u32,
}

/// Runs `hl7rs mllp send`.
pub fn run(paths: &[PathBuf], reading: &Reading, settings: &Settings) -> ExitCode {
    let Ok(Some(addr)) = settings.to.to_socket_addrs().map(|mut a| a.next()) else {
        eprintln!("hl7rs mllp send: cannot resolve {}", settings.to);
        return ExitCode::from(2);
    };
    let (inputs, mut ok) = inputs::collect(paths, reading);
    let mut conn: Option<Conn> = None;
    let mut pipeline = Pipeline { addr, settings, conn: None, in_flight: VecDeque::new(), done: Vec::new() };
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
            let label = format!("{input}: message {n}");
            let bytes = msg.as_bytes().len();
            if settings.window > 1 {
                let Ok(frame) = encode(msg.as_bytes()) else { continue };
                let since = Instant::now();
                let item = Item { label, frame, cid: control_id.to_vec(), awaited: awaited(&msg), tries: 0, since };
                for (label, outcome, trace) in pipeline.submit(item) {
                    report(&label, &outcome, settings, &mut ok, &mut accepted, trace);
                }
            } else {
                let since = Instant::now();
                let (outcome, tries) = deliver(&mut conn, addr, msg.as_bytes(), control_id, awaited(&msg), settings);
                report(&label, &outcome, settings, &mut ok, &mut accepted, Trace { bytes, since, tries });
            }
        }
    }
    for (label, outcome, trace) in pipeline.finish() {
        report(&label, &outcome, settings, &mut ok, &mut accepted, trace);
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

/// Reports one message's outcome: stdout for the code, stderr for failures.
fn report(label: &str, outcome: &Outcome, settings: &Settings, ok: &mut bool, accepted: &mut usize, trace: Trace) {
    if settings.verbose {
        let code = match outcome {
            Outcome::Answered(code, _) => code.as_str(),
            Outcome::Sent => "none asked",
            Outcome::BadReply(_) => "bad answer",
            Outcome::GaveUp(_) => "no answer",
        };
        let ms = trace.since.elapsed().as_secs_f64() * 1000.0;
        eprintln!("{label}: bytes={} ack={code} latency_ms={ms:.2} tries={}", trace.bytes, trace.tries);
    }
    match outcome {
        Outcome::Answered(code, _) if code.is_positive() => {
            *accepted += 1;
            if !settings.quiet {
                println!("{label}: {}", code.as_str());
            }
        }
        Outcome::Answered(code, errors) => {
            *ok = false;
            println!("{label}: {}", code.as_str());
            eprintln!("{label}: not accepted: {} (ERR {})", code.as_str(), errors.join(","));
        }
        Outcome::Sent => {
            *accepted += 1;
            if !settings.quiet {
                println!("{label}: sent (no acknowledgment asked)");
            }
        }
        Outcome::BadReply(e) => {
            *ok = false;
            eprintln!("{label}: bad answer: {e}");
        }
        Outcome::GaveUp(tries) => {
            *ok = false;
            eprintln!("{label}: no acknowledgment after {tries} tries");
        }
    }
}

/// A message of the pipelined sender (`--window` above 1).
struct Item {
    label: String,
    /// The MLLP frame.
    frame: Vec<u8>,
    cid: Vec<u8>,
    awaited: Awaited,
    /// Times sent so far.
    tries: u32,
    /// When it was first sent.
    since: Instant,
}

impl Item {
    fn settle(self, outcome: Outcome) -> (String, Outcome, Trace) {
        let trace = Trace { bytes: self.frame.len().saturating_sub(3), since: self.since, tries: self.tries };
        (self.label, outcome, trace)
    }
}

/// Several messages in flight on one connection; answers are matched to them by MSA-2. On a
/// timeout or a lost connection every message in flight is sent again (after the backoff), up
/// to `--retries` more times.
struct Pipeline<'s> {
    addr: SocketAddr,
    settings: &'s Settings,
    conn: Option<Conn>,
    in_flight: VecDeque<Item>,
    done: Vec<(String, Outcome, Trace)>,
}

impl Pipeline<'_> {
    fn submit(&mut self, mut item: Item) -> Vec<(String, Outcome, Trace)> {
        while self.in_flight.len() >= self.settings.window {
            self.pump();
        }
        item.tries = 1;
        let written = match self.connection() {
            Some(c) => c.stream.write_all(&item.frame).and_then(|()| c.stream.flush()).is_ok(),
            None => false,
        };
        if written && item.awaited == Awaited::None {
            self.done.push(item.settle(Outcome::Sent));
        } else {
            self.in_flight.push_back(item);
            if !written {
                self.recover();
            }
        }
        std::mem::take(&mut self.done)
    }

    fn finish(&mut self) -> Vec<(String, Outcome, Trace)> {
        while !self.in_flight.is_empty() {
            self.pump();
        }
        std::mem::take(&mut self.done)
    }

    fn connection(&mut self) -> Option<&mut Conn> {
        if self.conn.is_none() {
            match connect(self.addr, self.settings) {
                Ok(conn) => self.conn = Some(conn),
                Err(e) => eprintln!("hl7rs mllp send: connect to {}: {}", self.addr, describe(&e)),
            }
        }
        self.conn.as_mut()
    }

    /// Waits (at most `--timeout`) for answers and settles the messages they name.
    fn pump(&mut self) {
        let Some(c) = self.conn.as_mut() else {
            self.recover();
            return;
        };
        let deadline = Instant::now() + self.settings.timeout;
        let mut chunk = [0u8; 16 * 1024];
        loop {
            let mut settled = false;
            loop {
                let frame = match next_frame(c) {
                    Ok(Some(f)) => f,
                    Ok(None) => break,
                    Err(_) => {
                        self.recover();
                        return;
                    }
                };
                let Ok(answer) = Message::parse(&frame) else {
                    eprintln!("hl7rs mllp send: an answer that does not parse: ignored");
                    continue;
                };
                let found =
                    self.in_flight.iter().enumerate().find_map(|(i, item)| match read_reply(&answer, &item.cid) {
                        Err(ReplyError::ControlIdMismatch { .. }) => None,
                        r => Some((i, r)),
                    });
                match found {
                    Some((i, Ok(reply))) => {
                        let awaited = self.in_flight[i].awaited;
                        if reply.code == AckCode::CommitAccept && awaited == Awaited::Application {
                            continue;
                        }
                        let errors = reply.errors().map(|e| e.map_or_else(|| "?".to_owned(), |e| e.code().to_string()));
                        let outcome = Outcome::Answered(reply.code, errors.collect());
                        if let Some(item) = self.in_flight.remove(i) {
                            self.done.push(item.settle(outcome));
                        }
                        settled = true;
                    }
                    Some((i, Err(e))) => {
                        if let Some(item) = self.in_flight.remove(i) {
                            self.done.push(item.settle(Outcome::BadReply(e)));
                        }
                        settled = true;
                    }
                    None => {}
                }
            }
            if settled || self.in_flight.is_empty() {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let read = if left.is_zero() {
                Err(io::ErrorKind::TimedOut.into())
            } else {
                c.stream.set_read_timeout(Some(left)).and_then(|()| c.stream.read(&mut chunk))
            };
            match read {
                Ok(n) if n > 0 => c.buf.extend_from_slice(&chunk[..n]),
                Ok(_) | Err(_) => {
                    eprintln!(
                        "hl7rs mllp send: no answer in time or connection lost: {} message(s) in flight",
                        self.in_flight.len()
                    );
                    self.recover();
                    return;
                }
            }
        }
    }

    /// Drops the connection, gives up the messages out of tries, and sends the others again on a
    /// new connection after the backoff.
    fn recover(&mut self) {
        loop {
            self.conn = None;
            let retries = self.settings.retries;
            let mut kept = VecDeque::with_capacity(self.in_flight.len());
            for item in self.in_flight.drain(..) {
                if item.tries > retries {
                    let tries = item.tries;
                    self.done.push(item.settle(Outcome::GaveUp(tries)));
                } else {
                    kept.push_back(item);
                }
            }
            self.in_flight = kept;
            let Some(most) = self.in_flight.iter().map(|i| i.tries).max() else { return };
            std::thread::sleep(backoff(most - 1));
            for item in &mut self.in_flight {
                item.tries += 1;
            }
            let frames: Vec<u8> = self.in_flight.iter().flat_map(|i| i.frame.iter().copied()).collect();
            if let Some(c) = self.connection() {
                if c.stream.write_all(&frames).and_then(|()| c.stream.flush()).is_ok() {
                    // Messages awaiting no answer are settled once written.
                    let mut kept = VecDeque::with_capacity(self.in_flight.len());
                    for item in self.in_flight.drain(..) {
                        if item.awaited == Awaited::None {
                            self.done.push(item.settle(Outcome::Sent));
                        } else {
                            kept.push_back(item);
                        }
                    }
                    self.in_flight = kept;
                    return;
                }
            }
        }
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
) -> (Outcome, u32) {
    let Ok(frame) = encode(payload) else {
        return (Outcome::BadReply(ReplyError::NoMsa { offset: 0 }), 0);
    };
    for attempt in 0..=settings.retries {
        if attempt > 0 {
            std::thread::sleep(backoff(attempt - 1));
        }
        if conn.is_none() {
            match connect(addr, settings) {
                Ok(c) => *conn = Some(c),
                Err(e) => {
                    eprintln!("hl7rs mllp send: connect to {addr} (try {}): {}", attempt + 1, describe(&e));
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        if let Err(e) = c.stream.write_all(&frame).and_then(|()| c.stream.flush()) {
            eprintln!("hl7rs mllp send: write (try {}): {}", attempt + 1, e.kind());
            *conn = None;
            continue;
        }
        if awaited == Awaited::None {
            return (Outcome::Sent, attempt + 1);
        }
        match wait(c, control_id, awaited, settings.timeout) {
            Ok(outcome) => return (outcome, attempt + 1),
            Err(e) => {
                eprintln!("hl7rs mllp send: no answer (try {}): {}", attempt + 1, e.kind());
                *conn = None;
            }
        }
    }
    (Outcome::GaveUp(settings.retries + 1), settings.retries + 1)
}

/// An I/O error for the log: its kind, and the TLS reason when there is one (never content).
fn describe(e: &io::Error) -> String {
    match e.get_ref() {
        Some(inner) if e.kind() != io::ErrorKind::TimedOut => format!("{}: {inner}", e.kind()),
        _ => e.kind().to_string(),
    }
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
