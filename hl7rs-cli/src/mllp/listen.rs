//! `hl7rs mllp listen`: an MLLP receiver. Each connection is a reader task and a writer task:
//! the reader decodes frames with the streaming [`Decoder`] and hands each message to the
//! committer; the writer sends the acknowledgments in frame order, each only once its message is
//! stored durably ([`Store`]). The reader keeps reading while a group is being committed, so a
//! pipelining sender's next frames join the next group. On SIGTERM or ctrl-c the listener stops
//! accepting, every connection answers the frames it has already received in full and closes,
//! and the command exits 0.
//!
//! Optional: TLS and mutual TLS ([`super::tls`]), a client allow-list checked at accept
//! ([`super::allow`]), Prometheus metrics ([`super::metrics`]).
//!
//! Logs (stderr) carry peer addresses, sizes, ACK codes, latencies and counts, never message
//! content or control ids.
//!
//! Storage goes through one committer thread that owns the [`Store`]: it takes every message
//! waiting (from all connections) and stores them in one group commit ([`Store::commit_batch`]:
//! one append, one `fdatasync`).
//!
//! Throughput, over loopback from one `hl7rs mllp send` (10,000 small ADT^A01 messages, one batch
//! file), release build without LTO, on this project's 2-core build machine (shared, load about
//! 2.5), `--out` on ext4; the old store (a file per message, three fsyncs per message) and this one
//! measured in the same run, alternating, messages/s per run:
//!
//! | sender | before (file per message) | after (journal) | ratio of medians |
//! | --- | --- | --- | --- |
//! | `--window 64` | 1,301 · 1,528 · 2,123 | 41,543 · 46,709 · 48,494 | about 30× |
//! | `--window 256` | 1,603 · 2,204 | 58,232 · 73,103 | about 35× |
//! | `--window 1` (stop-and-wait) | 1,065 · 1,142 | 2,861 · 2,996 | about 2.6× |
//! | `--window 64` over TLS (`--tls`) | — | 42,629 · 44,473 | |
//!
//! Under `strace` one run made 1,876 `fdatasync` calls for 10,000 messages (about 5 messages per
//! group even when slowed down), each about 0.2 ms: this virtual disk acknowledges a flush
//! quickly. On a disk whose flush takes milliseconds the groups grow with the flush time (the
//! reader keeps reading while a group commits), so the rate falls far less than the flush time
//! rises, but it will be lower than here. A stop-and-wait sender gets one message per group: its
//! rate is one round trip plus one `fdatasync` per message.
//!
//! ```text
//! hl7rs mllp listen --port 0 --out /var/tmp/tp-out -q &      # prints the port
//! time hl7rs mllp send /tmp/tp-in/batch10k.hl7 --to 127.0.0.1:PORT -q --window 64
//! ```

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hl7rs::ack::{acknowledge, acknowledge_as_asked, timestamp_now, AckKind, AckOptions, AckRefusal, HostReport};
use hl7rs::mllp::{encode, Decoder, DecoderOptions, MllpErrorKind, Status};
use hl7rs::validate::{validate_message, ErrorSeverity, ValidationOptions};
use hl7rs::{Message, ParseOptions};
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc as channel, oneshot, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::allow::{allowed, Network};
use super::metrics::{self, type_label, Metrics};
use super::store::{key, Store};

/// How much the listener logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Errors and the start and stop lines.
    Quiet,
    /// Also warnings: junk, framing errors, idle closes, refused peers, duplicates.
    Normal,
    /// Also connections opened and closed, and one line per message (size, ACK codes, latency,
    /// group size).
    Verbose,
}

/// The settings of `hl7rs mllp listen`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to bind.
    pub bind: IpAddr,
    /// Port (0: any free port).
    pub port: u16,
    /// The store directory.
    pub out: PathBuf,
    /// A connection silent this long is closed.
    pub idle: Duration,
    /// Largest frame payload in bytes.
    pub max_frame: usize,
    /// Longest wait for the connections to finish after a stop signal.
    pub grace: Duration,
    /// How much to log.
    pub verbosity: Verbosity,
    /// TLS (and mutual TLS) when set.
    pub tls: Option<Arc<ServerConfig>>,
    /// Peers allowed to connect (empty: everyone).
    pub allow: Vec<Network>,
    /// Where to serve `GET /metrics`.
    pub metrics: Option<SocketAddr>,
}

/// What every connection shares.
struct Shared {
    /// To the committer thread, which owns the store.
    jobs: mpsc::Sender<Job>,
    /// Messages stored so far (for the last log line).
    stored: Arc<AtomicUsize>,
    parse: ParseOptions,
    /// Control ids of the acknowledgments: the start time, then a counter.
    stem: u64,
    next: AtomicU64,
    verbosity: Verbosity,
    metrics: Arc<Metrics>,
}

/// A message to store, with the acknowledgment to send once it is stored.
struct Job {
    key: String,
    payload: Vec<u8>,
    /// The MLLP frames of the acknowledgments.
    reply: Vec<u8>,
    codes: Vec<&'static str>,
    done: oneshot::Sender<Result<Answer, String>>,
}

/// What to do with one frame: answer at once (nothing to store) or store first.
enum Prepared {
    Answer(Answer),
    Store(Job, oneshot::Receiver<Result<Answer, String>>),
}

/// How a frame was settled.
#[derive(Clone, Copy)]
enum Settled {
    /// Stored in a group commit of this many messages.
    Stored(usize),
    /// Its control id was stored before: the stored ACK was sent again.
    Duplicate,
    /// An acknowledgment: not stored, not answered.
    Ignored,
}

/// The answer to one frame.
struct Answer {
    /// MLLP frames to send (possibly none).
    reply: Vec<u8>,
    /// The ACK codes of `reply` (for a duplicate: none counted again).
    codes: Vec<&'static str>,
    settled: Settled,
}

impl Shared {
    fn ack_id(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("A{}{n:06}", self.stem)
    }

    /// Parses, validates and acknowledges one message; the acknowledgment is sent only once the
    /// committer has stored the message. Also returns the message type's metrics label.
    fn prepare(&self, payload: Vec<u8>) -> (String, Result<Prepared, String>) {
        let timestamp = timestamp_now();
        let parsed = Message::parse_with(&payload, &self.parse);
        let ty = type_label(parsed.as_ref().ok().map(|msg| {
            let code = msg.segment(b"MSH").and_then(|s| s.field(9));
            let part = |i| code.and_then(|f| f.component(i)).map_or(&b""[..], |c| c.as_bytes());
            (part(1), part(2))
        }));
        let (control_id, acks) = match &parsed {
            Ok(msg) => {
                let control_id =
                    msg.segment(b"MSH").and_then(|s| s.field(10)).map(|f| f.as_bytes()).filter(|b| !b.is_empty());
                let found = validate_message(msg, &ValidationOptions::default());
                let errors: Vec<_> =
                    found.iter().filter(|d| d.severity == ErrorSeverity::Error).map(|d| d.to_ack_error(msg)).collect();
                let report = if errors.is_empty() { HostReport::accepted() } else { HostReport::with_errors(&errors) };
                let options = AckOptions::new("", &timestamp);
                match acknowledge_as_asked(msg, &report, &options, || self.ack_id()) {
                    Ok(acks) => (control_id, acks),
                    Err(AckRefusal::IncomingIsAck) => {
                        let answer = Answer { reply: Vec::new(), codes: Vec::new(), settled: Settled::Ignored };
                        return (ty, Ok(Prepared::Answer(answer)));
                    }
                    Err(e) => return (ty, Err(format!("cannot acknowledge: {e}"))),
                }
            }
            Err(e) => {
                let id = self.ack_id();
                let options = AckOptions::new(&id, &timestamp);
                match acknowledge(&payload, AckKind::Application, &[], &options) {
                    Ok(ack) => (None, vec![ack]),
                    Err(refusal) => {
                        return (ty, Err(format!("unparsable ({}), cannot acknowledge: {refusal}", e.kind())));
                    }
                }
            }
        };
        let key = key(control_id, &payload);
        let mut reply = Vec::new();
        let mut codes = Vec::new();
        for ack in &acks {
            match encode(&ack.to_bytes()) {
                Ok(frame) => reply.extend_from_slice(&frame),
                Err(e) => return (ty, Err(format!("cannot frame ACK: {e}"))),
            }
            codes.push(ack.code.as_str());
        }
        let (done, wait) = oneshot::channel();
        (ty, Ok(Prepared::Store(Job { key, payload, reply, codes, done }, wait)))
    }
}

/// Most messages in one group commit.
const MAX_BATCH: usize = 1024;

/// The committer thread: takes every job waiting, stores the new messages in one group commit,
/// then answers each job (duplicates, also within the group, with the stored ACK).
fn committer(mut store: Store, jobs: &mpsc::Receiver<Job>, stored: &AtomicUsize) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut keys = HashSet::with_capacity(batch.len());
        let duplicate: Vec<bool> =
            batch.iter().map(|job| store.contains(&job.key) || !keys.insert(job.key.as_str())).collect();
        let fresh: Vec<(&str, &[u8], &[u8])> = batch
            .iter()
            .zip(&duplicate)
            .filter(|(_, dup)| !**dup)
            .map(|(job, _)| (job.key.as_str(), job.payload.as_slice(), job.reply.as_slice()))
            .collect();
        let size = fresh.len();
        let committed = store.commit_batch(&fresh).map_err(|e| format!("cannot store: {e}"));
        stored.store(store.len(), Ordering::Relaxed);
        for (job, dup) in batch.into_iter().zip(duplicate) {
            let answer = match (&committed, dup) {
                (Err(e), false) => Err(e.clone()),
                (_, true) => match store.stored_ack(&job.key) {
                    Ok(Some(reply)) => Ok(Answer { reply, codes: Vec::new(), settled: Settled::Duplicate }),
                    Ok(None) => Err(committed.clone().err().unwrap_or_else(|| "not stored".to_owned())),
                    Err(e) => Err(format!("cannot read the stored ACK: {}", e.kind())),
                },
                (Ok(()), false) => Ok(Answer { reply: job.reply, codes: job.codes, settled: Settled::Stored(size) }),
            };
            // The connection may be gone; the message is stored all the same.
            let _ = job.done.send(answer);
        }
    }
}

/// Runs `hl7rs mllp listen`.
pub fn run(settings: &Settings, parse: ParseOptions) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("hl7rs mllp listen: cannot start: {}", e.kind());
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(settings, parse))
}

async fn serve(settings: &Settings, parse: ParseOptions) -> ExitCode {
    let (store, notes) = match Store::open(&settings.out) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hl7rs mllp listen: {}: cannot open the journal: {e}", settings.out.display());
            return ExitCode::FAILURE;
        }
    };
    for note in notes {
        eprintln!("hl7rs mllp listen: {note}");
    }
    let listener = match TcpListener::bind((settings.bind, settings.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("hl7rs mllp listen: cannot bind {}:{}: {}", settings.bind, settings.port, e.kind());
            return ExitCode::FAILURE;
        }
    };
    let Ok(local) = listener.local_addr() else {
        eprintln!("hl7rs mllp listen: no local address");
        return ExitCode::FAILURE;
    };
    let metrics = Arc::new(Metrics::default());
    let scrape = match settings.metrics {
        Some(addr) => match start_metrics(addr, &metrics).await {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("hl7rs mllp listen: cannot bind --metrics {addr}: {}", e.kind());
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    // The bound port first on stdout, for `--port 0`; then the metrics address.
    println!("{}", local.port());
    if let Some((bound, _)) = &scrape {
        println!("metrics={bound}");
    }
    let tls = if settings.tls.is_some() { ", TLS" } else { "" };
    eprintln!("hl7rs mllp listen: listening on {local}{tls}, {} message(s) already stored", store.len());
    let mut sigterm = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hl7rs mllp listen: cannot watch SIGTERM: {}", e.kind());
            return ExitCode::FAILURE;
        }
    };
    let stem = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let stored = Arc::new(AtomicUsize::new(store.len()));
    let (jobs, queue) = mpsc::channel();
    {
        let stored = Arc::clone(&stored);
        // Ends when every sender is gone; a group cut short at exit was never acknowledged.
        std::thread::spawn(move || committer(store, &queue, &stored));
    }
    let shared = Arc::new(Shared {
        jobs,
        stored: Arc::clone(&stored),
        parse,
        stem,
        next: AtomicU64::new(1),
        verbosity: settings.verbosity,
        metrics: Arc::clone(&metrics),
    });
    let acceptor = settings.tls.clone().map(TlsAcceptor::from);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    if let Some(conn) = admit(settings, &shared, &stop_rx, &stream, peer) {
                        tasks.spawn(conn.start(stream, acceptor.clone()));
                    }
                }
                Err(e) => eprintln!("hl7rs mllp listen: accept failed: {}", e.kind()),
            },
            _ = sigterm.recv() => {
                eprintln!("hl7rs mllp listen: SIGTERM: stopping");
                break;
            }
            _ = tokio::signal::ctrl_c() => {
                eprintln!("hl7rs mllp listen: interrupted: stopping");
                break;
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(settings.grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        eprintln!("hl7rs mllp listen: connections still busy after the grace period: aborted (nothing unstored was acknowledged)");
        tasks.abort_all();
    }
    if let Some((_, task)) = scrape {
        task.abort();
    }
    let n = shared.stored.load(Ordering::Relaxed);
    eprintln!("hl7rs mllp listen: stopped, {n} message(s) stored");
    ExitCode::SUCCESS
}

/// The connection of an accepted peer, or None (logged and counted) when the allow-list refuses
/// it; the stream is closed when it is dropped.
fn admit(
    settings: &Settings,
    shared: &Arc<Shared>,
    stop: &watch::Receiver<bool>,
    stream: &TcpStream,
    peer: SocketAddr,
) -> Option<Connection> {
    if !allowed(&settings.allow, peer.ip()) {
        shared.metrics.refused.fetch_add(1, Ordering::Relaxed);
        if settings.verbosity >= Verbosity::Normal {
            eprintln!("peer={peer} refused: not in --allow");
        }
        return None;
    }
    // ACKs are small writes that must not wait for the peer's TCP acknowledgment.
    let _ = stream.set_nodelay(true);
    shared.metrics.accepted.fetch_add(1, Ordering::Relaxed);
    Some(Connection {
        peer,
        shared: Arc::clone(shared),
        stop: stop.clone(),
        idle: settings.idle,
        max_frame: settings.max_frame,
    })
}

/// Binds the metrics address and serves it; returns the bound address and the task.
async fn start_metrics(
    addr: SocketAddr,
    metrics: &Arc<Metrics>,
) -> std::io::Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = metrics::bind(addr).await?;
    let bound = listener.local_addr()?.to_string();
    Ok((bound, tokio::spawn(metrics::serve(listener, Arc::clone(metrics)))))
}

struct Connection {
    peer: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
    idle: Duration,
    max_frame: usize,
}

/// One frame on its way to the writer: its size, type, arrival and answer (known, or awaited
/// from the committer).
struct Pending {
    size: usize,
    ty: String,
    received: Instant,
    answer: Waiting,
}

enum Waiting {
    Ready(Result<Answer, String>),
    Wait(oneshot::Receiver<Result<Answer, String>>),
}

impl Pending {
    /// Whether the answer is known now (without waiting).
    fn is_ready(&mut self) -> bool {
        if let Waiting::Wait(rx) = &mut self.answer {
            match rx.try_recv() {
                Ok(answer) => self.answer = Waiting::Ready(answer),
                Err(oneshot::error::TryRecvError::Empty) => return false,
                Err(oneshot::error::TryRecvError::Closed) => {
                    self.answer = Waiting::Ready(Err("processing failed".to_owned()));
                }
            }
        }
        true
    }

    async fn answer(self) -> (PendingMeta, Result<Answer, String>) {
        let meta = PendingMeta { size: self.size, ty: self.ty, received: self.received };
        let answer = match self.answer {
            Waiting::Ready(a) => a,
            Waiting::Wait(rx) => rx.await.unwrap_or_else(|_| Err("processing failed".to_owned())),
        };
        (meta, answer)
    }
}

struct PendingMeta {
    size: usize,
    ty: String,
    received: Instant,
}

/// Most frames read ahead of their acknowledgments on one connection.
const READ_AHEAD: usize = 4096;

impl Connection {
    fn log(&self, level: Verbosity, line: std::fmt::Arguments<'_>) {
        if self.shared.verbosity >= level {
            eprintln!("peer={} {line}", self.peer);
        }
    }

    /// Counts the connection while it is open; does the TLS handshake (bounded by the idle
    /// timeout) when asked, then runs it.
    async fn start(self, stream: TcpStream, tls: Option<TlsAcceptor>) {
        let metrics = Arc::clone(&self.shared.metrics);
        metrics.open.fetch_add(1, Ordering::Relaxed);
        if let Some(acceptor) = tls {
            match tokio::time::timeout(self.idle, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    self.log(Verbosity::Verbose, format_args!("connected (TLS)"));
                    self.run(tls).await;
                }
                Ok(Err(e)) => {
                    metrics.tls_failures.fetch_add(1, Ordering::Relaxed);
                    self.log(Verbosity::Normal, format_args!("TLS handshake failed: {e}: connection closed"));
                }
                Err(_) => {
                    metrics.tls_failures.fetch_add(1, Ordering::Relaxed);
                    self.log(Verbosity::Normal, format_args!("TLS handshake not done in time: connection closed"));
                }
            }
        } else {
            self.log(Verbosity::Verbose, format_args!("connected"));
            self.run(stream).await;
        }
        metrics.open.fetch_sub(1, Ordering::Relaxed);
    }

    async fn run<S: AsyncRead + AsyncWrite + Send + 'static>(mut self, stream: S) {
        let (mut reader, writer) = tokio::io::split(stream);
        let (tx, rx) = channel::channel(READ_AHEAD);
        let (closed_tx, mut closed) = watch::channel(false);
        let writing = {
            let (shared, peer, idle) = (Arc::clone(&self.shared), self.peer, self.idle);
            tokio::spawn(write_answers(writer, rx, closed_tx, shared, peer, idle))
        };
        self.read_frames(&mut reader, &tx, &mut closed).await;
        drop(tx);
        let _ = writing.await;
    }

    /// Reads and decodes frames and queues them for the writer until the stream ends, the
    /// listener stops or the writer closes the connection.
    async fn read_frames<R: AsyncRead + Unpin>(
        &mut self,
        reader: &mut R,
        tx: &channel::Sender<Pending>,
        closed: &mut watch::Receiver<bool>,
    ) {
        let mut decoder = Decoder::with_options(DecoderOptions::new().max_frame(self.max_frame));
        let mut buf: Vec<u8> = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        let mut errors = 0u32;
        loop {
            let mut payloads = Vec::new();
            let mut close = false;
            loop {
                match decoder.decode(&buf) {
                    Ok(Status::Complete { frame, consumed }) => {
                        payloads.push(buf[frame].to_vec());
                        buf.drain(..consumed);
                    }
                    Ok(Status::Junk { offset, len }) => {
                        self.log(
                            Verbosity::Normal,
                            format_args!("junk: {len} byte(s) outside a frame at stream offset {offset}"),
                        );
                        buf.drain(..len);
                    }
                    Ok(Status::Partial) => break,
                    Err(e) if matches!(e.kind(), MllpErrorKind::FrameTooLarge { .. }) => {
                        self.log(Verbosity::Quiet, format_args!("{e}: connection closed"));
                        close = true;
                        break;
                    }
                    Err(e) => {
                        self.log(Verbosity::Normal, format_args!("{e}"));
                        // The decoder resynchronises after an error; a stream that keeps failing
                        // without progress is closed rather than looped on.
                        errors += 1;
                        if errors > 16 {
                            self.log(Verbosity::Quiet, format_args!("too many framing errors: connection closed"));
                            close = true;
                            break;
                        }
                        continue;
                    }
                }
                errors = 0;
            }
            if !payloads.is_empty() && !self.submit(payloads, tx).await || close {
                return;
            }
            if *self.stop.borrow() {
                if !buf.is_empty() {
                    let n = buf.len();
                    self.log(
                        Verbosity::Quiet,
                        format_args!("stopping: {n} byte(s) of an unfinished frame dropped (not acknowledged)"),
                    );
                }
                return;
            }
            tokio::select! {
                read = tokio::time::timeout(self.idle, reader.read(&mut chunk)) => match read {
                    Err(_) => {
                        let idle = self.idle.as_secs_f64();
                        self.log(Verbosity::Normal, format_args!("idle for {idle}s: connection closed"));
                        return;
                    }
                    Ok(Ok(0)) => {
                        if let Err(e) = decoder.finish(&buf) {
                            self.log(Verbosity::Normal, format_args!("{e}"));
                        }
                        self.log(Verbosity::Verbose, format_args!("closed by the peer"));
                        return;
                    }
                    Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
                    Ok(Err(e)) => {
                        self.log(Verbosity::Normal, format_args!("read failed: {}", e.kind()));
                        return;
                    }
                },
                _ = self.stop.changed() => {}
                _ = closed.changed() => return,
            }
        }
    }

    /// Prepares the frames received together and queues them, in order, for the writer; every
    /// message is handed to the committer before any answer is awaited, so frames that arrive
    /// together share a group commit. False when the writer is gone.
    async fn submit(&mut self, payloads: Vec<Vec<u8>>, tx: &channel::Sender<Pending>) -> bool {
        let received = Instant::now();
        let sizes: Vec<usize> = payloads.iter().map(Vec::len).collect();
        let shared = Arc::clone(&self.shared);
        let prepared =
            tokio::task::spawn_blocking(move || payloads.into_iter().map(|p| shared.prepare(p)).collect::<Vec<_>>())
                .await;
        let Ok(prepared) = prepared else {
            self.log(Verbosity::Quiet, format_args!("processing failed: not acknowledged, connection closed"));
            return false;
        };
        for ((ty, p), size) in prepared.into_iter().zip(sizes) {
            self.shared.metrics.received(&ty, size);
            let answer = match p {
                Ok(Prepared::Answer(a)) => Waiting::Ready(Ok(a)),
                Ok(Prepared::Store(job, wait)) => match self.shared.jobs.send(job) {
                    Ok(()) => Waiting::Wait(wait),
                    Err(_) => Waiting::Ready(Err("the store is gone".to_owned())),
                },
                Err(e) => Waiting::Ready(Err(e)),
            };
            if tx.send(Pending { size, ty, received, answer }).await.is_err() {
                return false;
            }
        }
        true
    }
}

/// The writer of a connection: sends the answers in frame order, several at once when they are
/// ready together; on a failure sends the answers before it and closes the connection. A write
/// that a peer does not take within the idle timeout closes it too.
async fn write_answers<W: AsyncWrite + Unpin>(
    writer: W,
    mut rx: channel::Receiver<Pending>,
    closed: watch::Sender<bool>,
    shared: Arc<Shared>,
    peer: SocketAddr,
    idle: Duration,
) {
    let mut writer = Bounded { writer, idle };
    let mut out = Vec::new();
    let mut done: Vec<(PendingMeta, Answer)> = Vec::new();
    let mut next: Option<Pending> = None;
    loop {
        let pending = match next.take() {
            Some(p) => p,
            None => match rx.recv().await {
                Some(p) => p,
                None => break,
            },
        };
        let (meta, answer) = pending.answer().await;
        match answer {
            Ok(a) => {
                out.extend_from_slice(&a.reply);
                done.push((meta, a));
            }
            Err(why) => {
                shared.metrics.failed.fetch_add(1, Ordering::Relaxed);
                eprintln!("peer={peer} bytes={} {why}: not acknowledged, connection closed", meta.size);
                // The ACKs of the frames before it are still sent.
                let _ = flush(&mut writer, &mut out, &mut done, &shared, peer).await;
                break;
            }
        }
        // Another answer ready now goes out in the same write.
        if let Ok(mut p) = rx.try_recv() {
            let ready = p.is_ready();
            next = Some(p);
            if ready {
                continue;
            }
        }
        if !flush(&mut writer, &mut out, &mut done, &shared, peer).await {
            break;
        }
    }
    let _ = closed.send(true);
    let _ = tokio::time::timeout(idle, writer.writer.shutdown()).await;
}

/// A connection's write half with the idle timeout as the bound of each write.
struct Bounded<W> {
    writer: W,
    idle: Duration,
}

impl<W: AsyncWrite + Unpin> Bounded<W> {
    async fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match tokio::time::timeout(self.idle, self.writer.write_all(bytes)).await {
            Ok(written) => written,
            Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
        }
    }
}

/// Counts and logs each answer collected (before the write, so a peer holding an ACK finds it
/// counted), then writes their ACK frames; false when the write failed.
async fn flush<W: AsyncWrite + Unpin>(
    writer: &mut Bounded<W>,
    out: &mut Vec<u8>,
    done: &mut Vec<(PendingMeta, Answer)>,
    shared: &Shared,
    peer: SocketAddr,
) -> bool {
    for (meta, answer) in done.drain(..) {
        let latency = meta.received.elapsed();
        let ms = latency.as_secs_f64() * 1000.0;
        let size = meta.size;
        match answer.settled {
            Settled::Stored(group) => {
                shared.metrics.answered(&meta.ty, &answer.codes, latency);
                if shared.verbosity >= Verbosity::Verbose {
                    let codes = if answer.codes.is_empty() { "none asked".to_owned() } else { answer.codes.join(",") };
                    eprintln!("peer={peer} bytes={size} stored ack={codes} latency_ms={ms:.2} batch={group}");
                }
            }
            Settled::Duplicate => {
                shared.metrics.duplicates.fetch_add(1, Ordering::Relaxed);
                if shared.verbosity >= Verbosity::Normal {
                    eprintln!("peer={peer} bytes={size} duplicate: stored ACK resent latency_ms={ms:.2}");
                }
            }
            Settled::Ignored => {
                if shared.verbosity >= Verbosity::Verbose {
                    eprintln!("peer={peer} bytes={size} an acknowledgment: ignored, not stored");
                }
            }
        }
    }
    if !out.is_empty() {
        if let Err(e) = writer.write_all(out).await {
            eprintln!("peer={peer} cannot send ACK: {} (message stored; a resend gets the stored ACK)", e.kind());
            return false;
        }
        out.clear();
    }
    true
}
