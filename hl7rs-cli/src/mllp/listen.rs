//! `hl7rs mllp listen`: an MLLP receiver. Each connection is a task reading frames with the
//! streaming [`Decoder`]; each message is stored durably ([`Store`]) before its acknowledgment is
//! sent. On SIGTERM or ctrl-c the listener stops accepting, every connection answers the frames it
//! has already received in full and closes, and the command exits 0.
//!
//! Logs (stderr) carry the peer address, sizes, a hash of the control id and the ACK codes, never
//! message content.
//!
//! Throughput: every message costs two file fsyncs and a directory fsync before its ACK, and the
//! store is serialized across connections (no group commit). Measured on this project's build
//! machine (ext4, release build, 2 cores), 2,000 small ADT^A01 messages from one `hl7rs mllp send`
//! (stop-and-wait: one message in flight) took 3.4 s over loopback, about 580 messages/s:
//!
//! ```text
//! hl7rs mllp listen --port 0 --out /tmp/tp-out -q &
//! time hl7rs mllp send /tmp/tp-in/batch.hl7 --to 127.0.0.1:PORT -q
//! ```
//!
//! The 10,000 messages/s of issue 14 would need group commit (one fsync round for the frames of
//! several connections or of a pipelining sender) and a sender with several messages in flight;
//! neither is done.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hl7rs::ack::{acknowledge, acknowledge_as_asked, timestamp_now, AckKind, AckOptions, AckRefusal, HostReport};
use hl7rs::mllp::{encode, Decoder, DecoderOptions, MllpErrorKind, Status};
use hl7rs::validate::{validate_message, ErrorSeverity, ValidationOptions};
use hl7rs::{Message, ParseOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;
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
    store: Mutex<Store>,
    parse: ParseOptions,
    /// Control ids of the acknowledgments: the start time, then a counter.
    stem: u64,
    next: AtomicU64,
    quiet: bool,
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

    /// Stores and acknowledges one message. `Err` when it could not be stored: nothing is sent.
    fn process(&self, payload: &[u8]) -> Result<Answer, String> {
        let timestamp = timestamp_now();
        let parsed = Message::parse_with(payload, &self.parse);
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
                        return Ok(Answer { reply: Vec::new(), log: "an acknowledgment: ignored, not stored".into() });
                    }
                    Err(e) => return Err(format!("cannot acknowledge: {e}")),
                }
            }
            Err(e) => {
                let id = self.ack_id();
                let options = AckOptions::new(&id, &timestamp);
                match acknowledge(payload, AckKind::Application, &[], &options) {
                    Ok(ack) => (None, vec![ack]),
                    Err(refusal) => return Err(format!("unparsable ({}), cannot acknowledge: {refusal}", e.kind())),
                }
            }
        };
        let cid = control_id.map_or_else(|| "none".to_owned(), |c| format!("#{:016x}", fnv(c)));
        let k = key(control_id, payload);
        let mut store = self.store.lock().map_err(|_| "store lock poisoned".to_owned())?;
        if let Some(stored) = store.stored_ack(&k).map_err(|e| format!("cannot read stored ACK: {}", e.kind()))? {
            return Ok(Answer { reply: stored, log: format!("cid={cid} duplicate: stored ACK resent") });
        }
        let mut reply = Vec::new();
        let mut codes = Vec::new();
        for ack in &acks {
            let frame = encode(&ack.to_bytes()).map_err(|e| format!("cannot frame ACK: {e}"))?;
            reply.extend_from_slice(&frame);
            codes.push(ack.code.as_str());
        }
        store.commit(&k, payload, &reply).map_err(|e| format!("cid={cid} cannot store: {}", e.kind()))?;
        let codes = if codes.is_empty() { "none asked".to_owned() } else { codes.join(",") };
        Ok(Answer { reply, log: format!("cid={cid} stored ack={codes}") })
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
    let shared =
        Arc::new(Shared { store: Mutex::new(store), parse, stem, next: AtomicU64::new(1), quiet: settings.quiet });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
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
    let n = shared.store.lock().map_or(0, |s| s.len());
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
            loop {
                match decoder.decode(&buf) {
                    Ok(Status::Complete { frame, consumed }) => {
                        let payload = buf[frame].to_vec();
                        buf.drain(..consumed);
                        if !self.answer(payload).await {
                            return;
                        }
                    }
                    Ok(Status::Junk { offset, len }) => {
                        eprintln!("peer={peer} junk: {len} byte(s) outside a frame at stream offset {offset}");
                        buf.drain(..len);
                    }
                    Ok(Status::Partial) => break,
                    Err(e) if matches!(e.kind(), MllpErrorKind::FrameTooLarge { .. }) => {
                        eprintln!("peer={peer} {e}: connection closed");
                        return;
                    }
                    Err(e) => {
                        eprintln!("peer={peer} {e}");
                        // The decoder resynchronises after an error; a stream that keeps failing
                        // without progress is closed rather than looped on.
                        errors += 1;
                        if errors > 16 {
                            eprintln!("peer={peer} too many framing errors: connection closed");
                            return;
                        }
                        continue;
                    }
                }
                errors = 0;
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

    /// Stores and answers one frame; false when the connection is to be closed.
    async fn answer(&mut self, payload: Vec<u8>) -> bool {
        let peer = self.peer;
        let size = payload.len();
        let shared = Arc::clone(&self.shared);
        let answer = tokio::task::spawn_blocking(move || shared.process(&payload)).await;
        match answer {
            Ok(Ok(a)) => {
                if !self.shared.quiet {
                    eprintln!("peer={peer} bytes={size} {}", a.log);
                }
                if let Err(e) = self.stream.write_all(&a.reply).await {
                    eprintln!(
                        "peer={peer} cannot send ACK: {} (message stored; a resend gets the stored ACK)",
                        e.kind()
                    );
                    return false;
                }
                true
            }
            Ok(Err(why)) => {
                eprintln!("peer={peer} bytes={size} {why}: not acknowledged, connection closed");
                false
            }
            Err(_) => {
                eprintln!("peer={peer} bytes={size} processing failed: not acknowledged, connection closed");
                false
            }
        }
    }
}
