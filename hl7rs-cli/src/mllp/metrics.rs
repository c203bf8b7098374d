//! The listener's metrics (`--metrics ADDR`): counters kept while it runs, served in the
//! Prometheus text format (version 0.0.4) on `GET /metrics` by a small HTTP/1.0-style responder
//! (one request per connection; anything else gets 404 or 405).
//!
//! Labels carry the message type (MSH-9.1^MSH-9.2 when both are short alphanumeric codes, else
//! `other`; `unparsed` for a message that does not parse) and the ACK code, never content or
//! control ids. At most [`MAX_TYPES`] types are kept apart; later ones count as `other`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Most distinct message types counted apart.
pub const MAX_TYPES: usize = 64;

/// Upper bounds (seconds) of the ACK latency histogram's buckets.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// What the listener counts.
#[derive(Debug, Default)]
pub struct Metrics {
    by_type: Mutex<ByType>,
    latency: Mutex<Histogram>,
    /// Connections open now.
    pub open: AtomicU64,
    /// Connections accepted since start.
    pub accepted: AtomicU64,
    /// Connections refused by the allow-list.
    pub refused: AtomicU64,
    /// TLS handshakes that failed.
    pub tls_failures: AtomicU64,
    /// Payload bytes of the frames received.
    pub bytes: AtomicU64,
    /// Frames answered with the stored ACK of an earlier message.
    pub duplicates: AtomicU64,
    /// Messages not acknowledged (could not be stored or acknowledged).
    pub failed: AtomicU64,
    /// Unix time (milliseconds) of the last message received; 0 before the first.
    pub last_ms: AtomicU64,
}

#[derive(Debug, Default)]
struct ByType {
    received: BTreeMap<String, u64>,
    /// (type, code) → count, for AA and CA.
    acknowledged: BTreeMap<(String, String), u64>,
    /// (type, code) → count, for AE, AR, CE and CR.
    rejected: BTreeMap<(String, String), u64>,
}

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The metrics label of a message type: `ADT^A01`, `other` or `unparsed`.
pub fn type_label(code: Option<(&[u8], &[u8])>) -> String {
    let ok = |b: &[u8]| (1..=8).contains(&b.len()) && b.iter().all(u8::is_ascii_alphanumeric);
    match code {
        None => "unparsed".to_owned(),
        Some((t, e)) if ok(t) && (e.is_empty() || ok(e)) => {
            let t = String::from_utf8_lossy(t);
            if e.is_empty() {
                t.into_owned()
            } else {
                format!("{t}^{}", String::from_utf8_lossy(e))
            }
        }
        Some(_) => "other".to_owned(),
    }
}

fn bump<K: Ord + Clone>(map: &mut BTreeMap<K, u64>, k: K, other: impl FnOnce() -> K) {
    if let Some(n) = map.get_mut(&k) {
        *n += 1;
    } else if map.len() < MAX_TYPES * 4 {
        map.insert(k, 1);
    } else {
        *map.entry(other()).or_insert(0) += 1;
    }
}

impl Metrics {
    /// A message of type `ty` was received (`bytes` long).
    pub fn received(&self, ty: &str, bytes: usize) {
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        self.last_ms.store(u64::try_from(now).unwrap_or(u64::MAX), Ordering::Relaxed);
        let mut m = self.by_type.lock().unwrap_or_else(PoisonError::into_inner);
        let ty = if m.received.len() >= MAX_TYPES && !m.received.contains_key(ty) { "other" } else { ty };
        *m.received.entry(ty.to_owned()).or_insert(0) += 1;
    }

    /// A message of type `ty` was answered with these ACK codes, `latency` after it was received.
    pub fn answered(&self, ty: &str, codes: &[&str], latency: Duration) {
        {
            let mut m = self.by_type.lock().unwrap_or_else(PoisonError::into_inner);
            for code in codes {
                let k = (ty.to_owned(), (*code).to_owned());
                let other = || ("other".to_owned(), (*code).to_owned());
                if matches!(*code, "AA" | "CA") {
                    bump(&mut m.acknowledged, k, other);
                } else {
                    bump(&mut m.rejected, k, other);
                }
            }
        }
        let secs = latency.as_secs_f64();
        let mut h = self.latency.lock().unwrap_or_else(PoisonError::into_inner);
        h.count += 1;
        h.sum += secs;
        for (bound, n) in BUCKETS.iter().zip(h.counts.iter_mut()) {
            if secs <= *bound {
                *n += 1;
            }
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}\n");
        };
        let gauge = |out: &mut String, name: &str, help: &str, v: &str| {
            let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}\n");
        };
        {
            let m = self.by_type.lock().unwrap_or_else(PoisonError::into_inner);
            let name = "hl7rs_mllp_messages_received_total";
            let _ = write!(
                out,
                "# HELP {name} Messages received (complete frames), by message type.\n# TYPE {name} counter\n"
            );
            for (ty, n) in &m.received {
                let _ = writeln!(out, "{name}{{type=\"{ty}\"}} {n}");
            }
            for (name, help, map) in [
                (
                    "hl7rs_mllp_messages_acknowledged_total",
                    "Positive acknowledgments sent (AA, CA), by message type and code.",
                    &m.acknowledged,
                ),
                (
                    "hl7rs_mllp_messages_rejected_total",
                    "Negative acknowledgments sent (AE, AR, CE, CR), by message type and code.",
                    &m.rejected,
                ),
            ] {
                let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} counter\n");
                for ((ty, code), n) in map {
                    let _ = writeln!(out, "{name}{{type=\"{ty}\",code=\"{code}\"}} {n}");
                }
            }
        }
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        counter(
            &mut out,
            "hl7rs_mllp_duplicates_total",
            "Messages answered with the stored ACK of an earlier one.",
            load(&self.duplicates),
        );
        counter(
            &mut out,
            "hl7rs_mllp_not_acknowledged_total",
            "Messages that could not be stored or acknowledged.",
            load(&self.failed),
        );
        counter(
            &mut out,
            "hl7rs_mllp_received_bytes_total",
            "Payload bytes of the frames received.",
            load(&self.bytes),
        );
        counter(&mut out, "hl7rs_mllp_connections_total", "Connections accepted.", load(&self.accepted));
        counter(
            &mut out,
            "hl7rs_mllp_connections_refused_total",
            "Connections refused by the allow-list.",
            load(&self.refused),
        );
        counter(
            &mut out,
            "hl7rs_mllp_tls_handshake_failures_total",
            "TLS handshakes that failed.",
            load(&self.tls_failures),
        );
        gauge(&mut out, "hl7rs_mllp_connections_open", "Connections open now.", &load(&self.open).to_string());
        #[allow(clippy::cast_precision_loss)]
        let last = load(&self.last_ms) as f64 / 1000.0;
        gauge(
            &mut out,
            "hl7rs_mllp_last_message_timestamp_seconds",
            "Unix time of the last message received (0: none yet).",
            &format!("{last:.3}"),
        );
        let h = self.latency.lock().unwrap_or_else(PoisonError::into_inner);
        let name = "hl7rs_mllp_ack_latency_seconds";
        let _ = write!(
            out,
            "# HELP {name} From a frame received in full to its ACK handed to the socket.\n# TYPE {name} histogram\n"
        );
        for (bound, n) in BUCKETS.iter().zip(h.counts) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {n}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
        let _ = writeln!(out, "{name}_sum {}", h.sum);
        let _ = writeln!(out, "{name}_count {}", h.count);
        out
    }
}

/// Serves `GET /metrics` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Arc<Metrics>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else { continue };
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let mut request = Vec::new();
            let mut chunk = [0u8; 1024];
            // The request line and headers, bounded in size and time.
            let read = tokio::time::timeout(Duration::from_secs(5), async {
                while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 8192 {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
            })
            .await;
            if read.is_err() {
                return;
            }
            let line = request.split(|b| *b == b'\n').next().unwrap_or_default();
            let mut parts = line.split(|b| *b == b' ');
            let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            let (status, ctype, body) = match (method, path) {
                (b"GET", b"/metrics") => ("200 OK", "text/plain; version=0.0.4; charset=utf-8", metrics.render()),
                (b"GET", _) => ("404 Not Found", "text/plain", "not found\n".to_owned()),
                _ => ("405 Method Not Allowed", "text/plain", "only GET\n".to_owned()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}

/// Binds the metrics address.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_every_family() {
        let m = Metrics::default();
        m.received("ADT^A01", 100);
        m.answered("ADT^A01", &["AA"], Duration::from_millis(2));
        m.received("ORU^R01", 50);
        m.answered("ORU^R01", &["AE"], Duration::from_millis(20));
        let text = m.render();
        assert!(text.contains("hl7rs_mllp_messages_received_total{type=\"ADT^A01\"} 1\n"), "{text}");
        assert!(text.contains("hl7rs_mllp_messages_acknowledged_total{type=\"ADT^A01\",code=\"AA\"} 1\n"));
        assert!(text.contains("hl7rs_mllp_messages_rejected_total{type=\"ORU^R01\",code=\"AE\"} 1\n"));
        assert!(text.contains("hl7rs_mllp_received_bytes_total 150\n"));
        assert!(text.contains("hl7rs_mllp_ack_latency_seconds_bucket{le=\"0.0025\"} 1\n"));
        assert!(text.contains("hl7rs_mllp_ack_latency_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("hl7rs_mllp_ack_latency_seconds_count 2\n"));
        assert_eq!(type_label(Some((b"ADT", b"A01"))), "ADT^A01");
        assert_eq!(type_label(Some((b"AD\"T", b"A01"))), "other");
        assert_eq!(type_label(None), "unparsed");
    }

    #[test]
    fn message_types_are_capped() {
        let m = Metrics::default();
        for i in 0..MAX_TYPES + 10 {
            m.received(&format!("Z{i}"), 1);
        }
        let text = m.render();
        assert!(text.contains("{type=\"other\"} 10\n"), "{text}");
    }
}
