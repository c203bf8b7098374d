//! `hl7rs mllp listen`: an MLLP receiver. Each connection is a task reading frames with the
//! streaming [`Decoder`]; each message is stored durably ([`Store`]) before its acknowledgment is
//! sent. On SIGTERM or ctrl-c the listener stops accepting, every connection answers the frames it
//! has already received in full and closes, and the command exits 0.
//!
//! Logs (stderr) carry the peer address, sizes, a hash of the control id and the ACK codes, never
//! message content.
//!
//! Storage goes through one committer thread that owns the [`Store`]: it takes every message
//! waiting (from all connections, and all frames that arrived together on one) and stores them in
//! one group commit ([`Store::commit_batch`]); each connection then sends its ACKs in frame order.
//!
//! Throughput, over loopback from one `hl7rs mllp send`, small ADT^A01 messages, release build,
//! on this project's 2-core build machine (shared, load about 1.8), `--out` on ext4:
//!
//! | sender | messages | messages/s |
//! | --- | --- | --- |
//! | `--window 1` (stop-and-wait) | 2,000 | about 750 |
//! | `--window 64` | 10,000 | about 1,470 |
//! | `--window 256` | 10,000 | about 1,000 |
//! | `--window 64`, `--out` on tmpfs (fsync costs nothing) | 10,000 | about 21,000 |
//!
//! ```text
//! hl7rs mllp listen --port 0 --out /tmp/tp-out -q &      # prints the port
//! time hl7rs mllp send /tmp/tp-in/batch10k.hl7 --to 127.0.0.1:PORT -q --window 64
//! ```
//!
//! So the fsyncs bound the rate on a real disk: each message still costs two file fsyncs (cheap
//! after the first of a batch, but not free) and 10,000 messages/s durably from one client is not
//! reached here. A stop-and-wait client gets nothing from group commit (one message per batch).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hl7rs::ack::{acknowledge, acknowledge_as_asked, timestamp_now, AckKind, AckOptions, AckRefusal, HostReport};
use hl7rs::mllp::{encode, Decoder, DecoderOptions, MllpErrorKind, Status};
use hl7rs::validate::{validate_message, ErrorSeverity, ValidationOptions};
use hl7rs::{Message, ParseOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use super::store::{fnv, key, Store};

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
    /// No per-message log lines.
    pub quiet: bool,
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
    quiet: bool,
}

/// A message to store, with the acknowledgment to send once it is stored.
struct Job {
    key: String,
    cid: String,
    payload: Vec<u8>,
    /// The MLLP frames of the acknowledgments.
    reply: Vec<u8>,
    codes: String,
    done: oneshot::Sender<Result<Answer, String>>,
}

/// What to do with one frame: answer at once (nothing to store) or store first.
enum Prepared {
    Answer(Answer),
    Store(Job, oneshot::Receiver<Result<Answer, String>>),
}

/// The answer to one frame.
struct Answer {
    /// MLLP frames to send (possibly none).
    reply: Vec<u8>,
    /// For the log: control-id hash, codes, whether it was a duplicate.
    log: String,
}

impl Shared {
    fn ack_id(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("A{}{n:06}", self.stem)
    }

    /// Parses, validates and acknowledges one message; the acknowledgment is sent only once the
    /// committer has stored the message.
    fn prepare(&self, payload: Vec<u8>) -> Result<Prepared, String> {
        let timestamp = timestamp_now();
        let parsed = Message::parse_with(&payload, &self.parse);
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
                        let log = "an acknowledgment: ignored, not stored".into();
                        return Ok(Prepared::Answer(Answer { reply: Vec::new(), log }));
                    }
                    Err(e) => return Err(format!("cannot acknowledge: {e}")),
                }
            }
            Err(e) => {
                let id = self.ack_id();
                let options = AckOptions::new(&id, &timestamp);
                match acknowledge(&payload, AckKind::Application, &[], &options) {
                    Ok(ack) => (None, vec![ack]),
                    Err(refusal) => return Err(format!("unparsable ({}), cannot acknowledge: {refusal}", e.kind())),
                }
            }
        };
        let cid = control_id.map_or_else(|| "none".to_owned(), |c| format!("#{:016x}", fnv(c)));
        let key = key(control_id, &payload);
        let mut reply = Vec::new();
        let mut codes = Vec::new();
        for ack in &acks {
            let frame = encode(&ack.to_bytes()).map_err(|e| format!("cannot frame ACK: {e}"))?;
            reply.extend_from_slice(&frame);
            codes.push(ack.code.as_str());
        }
        let codes = if codes.is_empty() { "none asked".to_owned() } else { codes.join(",") };
        let (done, wait) = oneshot::channel();
        Ok(Prepared::Store(Job { key, cid, payload, reply, codes, done }, wait))
    }
}

/// Most messages in one group commit.
const MAX_BATCH: usize = 128;

/// The committer thread: takes every job waiting, stores the new messages in one group commit,
/// then answers each job (duplicates, also within the batch, with the stored ACK).
fn committer(mut store: Store, jobs: &mpsc::Receiver<Job>, stored: &AtomicUsize) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // Per job: None a new message (stored in this batch), Some(Ok(ack)) a duplicate of one
        // stored before, Some(Err) a failure; `first_of` names the earlier job of this batch with
        // the same key.
        let mut earlier: Vec<Option<Result<Vec<u8>, String>>> = Vec::with_capacity(batch.len());
        let mut first_of: Vec<Option<usize>> = vec![None; batch.len()];
        let mut fresh = Vec::new();
        for (i, job) in batch.iter().enumerate() {
            if let Some(j) = batch[..i].iter().position(|b| b.key == job.key) {
                first_of[i] = Some(first_of[j].unwrap_or(j));
                earlier.push(None);
                continue;
            }
            match store.stored_ack(&job.key) {
                Ok(Some(ack)) => earlier.push(Some(Ok(ack))),
                Ok(None) => {
                    fresh.push((job.key.as_str(), job.payload.as_slice(), job.reply.as_slice()));
                    earlier.push(None);
                }
                Err(e) => earlier.push(Some(Err(format!("cannot read stored ACK: {}", e.kind())))),
            }
        }
        let committed = store.commit_batch(&fresh).map_err(|e| format!("cannot store: {}", e.kind()));
        stored.store(store.len(), Ordering::Relaxed);
        let size = fresh.len();
        let answers: Vec<Result<Answer, String>> = batch
            .iter()
            .enumerate()
            .map(|(i, job)| {
                let cid = &job.cid;
                match (&earlier[i], first_of[i]) {
                    (Some(Ok(ack)), _) => {
                        Ok(Answer { reply: ack.clone(), log: format!("cid={cid} duplicate: stored ACK resent") })
                    }
                    (Some(Err(e)), _) => Err(format!("cid={cid} {e}")),
                    (None, Some(j)) => match (&committed, &earlier[j]) {
                        (Ok(()), None) => Ok(Answer {
                            reply: batch[j].reply.clone(),
                            log: format!("cid={cid} duplicate: stored ACK resent"),
                        }),
                        (Ok(()), Some(Ok(ack))) => {
                            Ok(Answer { reply: ack.clone(), log: format!("cid={cid} duplicate: stored ACK resent") })
                        }
                        (Err(e), _) | (Ok(()), Some(Err(e))) => Err(format!("cid={cid} {e}")),
                    },
                    (None, None) => match &committed {
                        Ok(()) => Ok(Answer {
                            reply: job.reply.clone(),
                            log: format!("cid={cid} stored ack={} batch={size}", job.codes),
                        }),
                        Err(e) => Err(format!("cid={cid} {e}")),
                    },
                }
            })
            .collect();
        for (job, answer) in batch.into_iter().zip(answers) {
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
    let store = match Store::open(&settings.out) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("hl7rs mllp listen: {}: cannot open: {}", settings.out.display(), e.kind());
            return ExitCode::FAILURE;
        }
    };
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
    // The bound port first on stdout, for `--port 0`.
    println!("{}", local.port());
    eprintln!("hl7rs mllp listen: listening on {local}, {} message(s) already stored", store.len());
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
        // Ends when every sender is gone; a batch cut short at exit was never acknowledged.
        std::thread::spawn(move || committer(store, &queue, &stored));
    }
    let shared = Arc::new(Shared {
        jobs,
        stored: Arc::clone(&stored),
        parse,
        stem,
        next: AtomicU64::new(1),
        quiet: settings.quiet,
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    // ACKs are small writes that must not wait for the peer's TCP acknowledgment.
                    let _ = stream.set_nodelay(true);
                    if !settings.quiet {
                        eprintln!("peer={peer} connected");
                    }
                    let conn = Connection {
                        stream,
                        peer,
                        shared: Arc::clone(&shared),
                        stop: stop_rx.clone(),
                        idle: settings.idle,
                        max_frame: settings.max_frame,
                    };
                    tasks.spawn(conn.run());
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
    let n = shared.stored.load(Ordering::Relaxed);
    eprintln!("hl7rs mllp listen: stopped, {n} message(s) stored");
    ExitCode::SUCCESS
}

struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
    idle: Duration,
    max_frame: usize,
}

impl Connection {
    async fn run(mut self) {
        let peer = self.peer;
        let mut decoder = Decoder::with_options(DecoderOptions::new().max_frame(self.max_frame));
        let mut buf: Vec<u8> = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        let mut errors = 0u32;
        loop {
            // Answer every complete frame received so far.
            let mut payloads = Vec::new();
            let mut close = false;
            loop {
                match decoder.decode(&buf) {
                    Ok(Status::Complete { frame, consumed }) => {
                        payloads.push(buf[frame].to_vec());
                        buf.drain(..consumed);
                    }
                    Ok(Status::Junk { offset, len }) => {
                        eprintln!("peer={peer} junk: {len} byte(s) outside a frame at stream offset {offset}");
                        buf.drain(..len);
                    }
                    Ok(Status::Partial) => break,
                    Err(e) if matches!(e.kind(), MllpErrorKind::FrameTooLarge { .. }) => {
                        eprintln!("peer={peer} {e}: connection closed");
                        close = true;
                        break;
                    }
                    Err(e) => {
                        eprintln!("peer={peer} {e}");
                        // The decoder resynchronises after an error; a stream that keeps failing
                        // without progress is closed rather than looped on.
                        errors += 1;
                        if errors > 16 {
                            eprintln!("peer={peer} too many framing errors: connection closed");
                            close = true;
                            break;
                        }
                        continue;
                    }
                }
                errors = 0;
            }
            if !payloads.is_empty() && !self.answer_all(payloads).await || close {
                return;
            }
            if *self.stop.borrow() {
                if !buf.is_empty() {
                    eprintln!(
                        "peer={peer} stopping: {} byte(s) of an unfinished frame dropped (not acknowledged)",
                        buf.len()
                    );
                }
                return;
            }
            tokio::select! {
                read = tokio::time::timeout(self.idle, self.stream.read(&mut chunk)) => match read {
                    Err(_) => {
                        eprintln!("peer={peer} idle for {}s: connection closed", self.idle.as_secs_f64());
                        return;
                    }
                    Ok(Ok(0)) => {
                        if let Err(e) = decoder.finish(&buf) {
                            eprintln!("peer={peer} {e}");
                        }
                        if !self.shared.quiet {
                            eprintln!("peer={peer} closed");
                        }
                        return;
                    }
                    Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
                    Ok(Err(e)) => {
                        eprintln!("peer={peer} read failed: {}", e.kind());
                        return;
                    }
                },
                _ = self.stop.changed() => {}
            }
        }
    }

    /// Stores and answers the frames received together, in order; false when the connection is
    /// to be closed. Every message is handed to the committer before any answer is awaited, so
    /// frames that arrive together share a group commit.
    async fn answer_all(&mut self, payloads: Vec<Vec<u8>>) -> bool {
        let peer = self.peer;
        let sizes: Vec<usize> = payloads.iter().map(Vec::len).collect();
        let shared = Arc::clone(&self.shared);
        let prepared =
            tokio::task::spawn_blocking(move || payloads.into_iter().map(|p| shared.prepare(p)).collect::<Vec<_>>())
                .await;
        let Ok(prepared) = prepared else {
            eprintln!("peer={peer} processing failed: not acknowledged, connection closed");
            return false;
        };
        let mut pending = Vec::with_capacity(prepared.len());
        for p in prepared {
            pending.push(match p {
                Ok(Prepared::Answer(a)) => Pending::Ready(Ok(a)),
                Ok(Prepared::Store(job, wait)) => match self.shared.jobs.send(job) {
                    Ok(()) => Pending::Wait(wait),
                    Err(_) => Pending::Ready(Err("the store is gone".to_owned())),
                },
                Err(e) => Pending::Ready(Err(e)),
            });
        }
        let mut replies = Vec::new();
        for (p, size) in pending.into_iter().zip(sizes) {
            let answer = match p {
                Pending::Ready(r) => r,
                Pending::Wait(w) => w.await.unwrap_or_else(|_| Err("processing failed".to_owned())),
            };
            match answer {
                Ok(a) => {
                    if !self.shared.quiet {
                        eprintln!("peer={peer} bytes={size} {}", a.log);
                    }
                    replies.extend_from_slice(&a.reply);
                }
                Err(why) => {
                    eprintln!("peer={peer} bytes={size} {why}: not acknowledged, connection closed");
                    // The ACKs of the frames before it are still sent.
                    let _ = self.send(&replies).await;
                    return false;
                }
            }
        }
        self.send(&replies).await
    }

    /// Sends ACK frames; false when the connection failed.
    async fn send(&mut self, replies: &[u8]) -> bool {
        if let Err(e) = self.stream.write_all(replies).await {
            let peer = self.peer;
            eprintln!("peer={peer} cannot send ACK: {} (message stored; a resend gets the stored ACK)", e.kind());
            return false;
        }
        true
    }
}

/// One frame's answer: known, or waiting for the committer.
enum Pending {
    Ready(Result<Answer, String>),
    Wait(oneshot::Receiver<Result<Answer, String>>),
}
