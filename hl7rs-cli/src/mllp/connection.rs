//! One connection of `hl7rs mllp listen`: a reader task that decodes frames and hands each
//! message to the committer, and a writer task that sends the acknowledgments in frame order,
//! each once its message is stored. See [`super::listen`] for the whole (the module docs there
//! explain why the reader keeps reading while a group commits).

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hl7rs::mllp::{Decoder, DecoderOptions, MllpErrorKind, Status};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc as channel, oneshot, watch};
use tokio_rustls::TlsAcceptor;

use super::listen::{Answer, Prepared, Settled, Shared, Verbosity};

/// An accepted connection, before its TLS handshake (if any).
pub(super) struct Connection {
    pub(super) peer: SocketAddr,
    pub(super) shared: Arc<Shared>,
    pub(super) stop: watch::Receiver<bool>,
    pub(super) idle: Duration,
    pub(super) max_frame: usize,
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
    pub(super) async fn start(self, stream: TcpStream, tls: Option<TlsAcceptor>) {
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
