//! `hl7rs mllp listen`: an MLLP receiver. Each connection is a reader task and a writer task:
//! the reader decodes frames with the streaming [`hl7rs::mllp::Decoder`] and hands each message to the
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
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hl7rs::ack::{acknowledge, acknowledge_as_asked, timestamp_now, AckKind, AckOptions, AckRefusal, HostReport};
use hl7rs::mllp::encode;
use hl7rs::validate::{validate_message, ErrorSeverity, ValidationOptions};
use hl7rs::{Message, ParseOptions};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::allow::{allowed, Network};
use super::connection::Connection;
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
pub(super) struct Shared {
    /// To the committer thread, which owns the store.
    pub(super) jobs: mpsc::Sender<Job>,
    /// Messages stored so far (for the last log line).
    pub(super) stored: Arc<AtomicUsize>,
    pub(super) parse: ParseOptions,
    /// Control ids of the acknowledgments: the start time, then a counter.
    pub(super) stem: u64,
    pub(super) next: AtomicU64,
    pub(super) verbosity: Verbosity,
    pub(super) metrics: Arc<Metrics>,
}

/// A message to store, with the acknowledgment to send once it is stored.
pub(super) struct Job {
    key: String,
    payload: Vec<u8>,
    /// The MLLP frames of the acknowledgments.
    reply: Vec<u8>,
    codes: Vec<&'static str>,
    done: oneshot::Sender<Result<Answer, String>>,
}

/// What to do with one frame: answer at once (nothing to store) or store first.
pub(super) enum Prepared {
    Answer(Answer),
    Store(Job, oneshot::Receiver<Result<Answer, String>>),
}

/// How a frame was settled.
#[derive(Clone, Copy)]
pub(super) enum Settled {
    /// Stored in a group commit of this many messages.
    Stored(usize),
    /// Its control id was stored before: the stored ACK was sent again.
    Duplicate,
    /// An acknowledgment: not stored, not answered.
    Ignored,
}

/// The answer to one frame.
pub(super) struct Answer {
    /// MLLP frames to send (possibly none).
    pub(super) reply: Vec<u8>,
    /// The ACK codes of `reply` (for a duplicate: none counted again).
    pub(super) codes: Vec<&'static str>,
    pub(super) settled: Settled,
}

impl Shared {
    fn ack_id(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("A{}{n:06}", self.stem)
    }

    /// Parses, validates and acknowledges one message; the acknowledgment is sent only once the
    /// committer has stored the message. Also returns the message type's metrics label.
    pub(super) fn prepare(&self, payload: Vec<u8>) -> (String, Result<Prepared, String>) {
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
