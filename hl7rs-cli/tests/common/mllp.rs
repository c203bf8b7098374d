//! Helpers of the `hl7rs mllp` tests: a listener process bounded by timeouts (killed by its guard
//! when a test fails), a bounded sender, frames, and the journal exported to files.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_hl7rs");

/// A running listener; killed when dropped, if still running.
pub struct Listener {
    child: Child,
    /// The MLLP port.
    pub port: u16,
    /// The metrics address (`--metrics`), from the second stdout line.
    pub metrics: Option<String>,
    stderr: mpsc::Receiver<String>,
}

impl Listener {
    pub fn start(out: &Path) -> Listener {
        Listener::start_with(out, &["--idle-timeout", "20"])
    }

    pub fn start_with(out: &Path, flags: &[&str]) -> Listener {
        let mut child = Command::new(BIN)
            .args(["mllp", "listen", "--port", "0", "--grace", "10", "--out"])
            .arg(out)
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let (etx, erx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = etx.send(line);
            }
        });
        let line = rx.recv_timeout(Duration::from_secs(20)).expect("listener printed no port");
        let port = line.trim().parse().unwrap_or_else(|_| panic!("not a port: {line:?}"));
        let metrics = if flags.contains(&"--metrics") {
            let line = rx.recv_timeout(Duration::from_secs(20)).expect("no metrics address");
            Some(line.strip_prefix("metrics=").expect("metrics=ADDR").to_owned())
        } else {
            None
        };
        Listener { child, port, metrics, stderr: erx }
    }

    pub fn to(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Sends SIGTERM and waits (bounded) for the exit; returns the exit code and stderr.
    pub fn stop(self) -> (i32, String) {
        self.signal("-TERM")
    }

    /// Sends a signal (`-TERM`, `-KILL`) and waits (bounded) for the exit.
    pub fn signal(mut self, signal: &str) -> (i32, String) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args([signal, &pid]).status().unwrap().success());
        let code = wait(&mut self.child, Duration::from_secs(30));
        let mut log = String::new();
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_secs(2)) {
            log.push_str(&line);
            log.push('\n');
        }
        (code, log)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits for a child at most `limit`, killing it (and failing) after that.
pub fn wait(child: &mut Child, limit: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("process still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `hl7rs mllp send` (bounded); returns the exit code, stdout and stderr.
pub fn send(paths: &[&Path], to: &str, extra: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(["mllp", "send"])
        .args(paths)
        .args(["--to", to])
        .args(if extra.contains(&"--timeout") { &[][..] } else { &["--timeout", "5"][..] })
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut stdout = String::new();
    let _ = out.read_to_string(&mut stdout);
    let code = wait(&mut child, Duration::from_secs(120));
    (code, stdout, reader.join().unwrap())
}

pub fn corpus(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus").join(dir)
}

pub fn message(control_id: &str) -> Vec<u8> {
    format!(
        "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240101120000||ADT^A01^ADT_A01|{control_id}|P|2.5.1\r\
EVN|A01|20240101120000\rPID|1||12345^^^HOSP^MR||DOE^JOHN\rPV1|1|I\r"
    )
    .into_bytes()
}

pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x0b];
    f.extend_from_slice(payload);
    f.extend_from_slice(b"\x1c\r");
    f
}

pub fn connect(l: &Listener) -> TcpStream {
    let s = TcpStream::connect(l.to()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Reads `n` MLLP frames (bounded by the socket's read timeout).
pub fn read_frames(s: &mut TcpStream, n: usize) -> Vec<Vec<u8>> {
    let mut buf = Vec::new();
    let mut frames = Vec::new();
    let mut chunk = [0u8; 4096];
    while frames.len() < n {
        while let Some(end) = buf.windows(2).position(|w| w == b"\x1c\r") {
            assert_eq!(buf[0], 0x0b);
            frames.push(buf[1..end].to_vec());
            buf.drain(..end + 2);
        }
        if frames.len() >= n {
            break;
        }
        let got = s.read(&mut chunk).expect("an answer in time");
        assert!(got > 0, "connection closed");
        buf.extend_from_slice(&chunk[..got]);
    }
    frames
}

pub fn msa(ack: &[u8]) -> String {
    let text = String::from_utf8_lossy(ack);
    text.split('\r').find(|s| s.starts_with("MSA|")).unwrap_or_default().to_owned()
}

/// Exports the journal in `out` with `hl7rs mllp export` to a new directory and returns it.
pub fn export(out: &Path) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let to = out.with_file_name(format!("{}-export{n}", out.file_name().unwrap().to_string_lossy()));
    let _ = std::fs::remove_dir_all(&to);
    let status = Command::new(BIN).args(["mllp", "export", "-q", "--out"]).arg(&to).arg(out).status().unwrap();
    assert!(status.success(), "export failed");
    to
}

/// The exported files of the journal in `out` with extension `ext` (`hl7` or `ack`), sorted.
pub fn stored(out: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(export(out))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    v
}
