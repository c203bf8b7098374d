//! `hl7rs mllp listen` and `hl7rs mllp send` over loopback: every process and socket is bounded by
//! timeouts, and every listener started is stopped (SIGTERM, or killed by its guard).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use common::mllp::{connect, corpus, export, frame, message, msa, read_frames, send, stored, Listener};
use common::temp_dir;

#[test]
fn corpus_is_stored_and_accepted() {
    let out = temp_dir("mllp", "corpus");
    let l = Listener::start(&out);
    let basic = corpus("basic");
    let types = corpus("message-types");
    let (code, stdout, stderr) = send(&[&basic, &types], &l.to(), &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let aa = lines.iter().filter(|l| l.ends_with(": AA")).count();
    // The two ACK files of corpus/basic are sent but never acknowledged.
    let unasked = lines.iter().filter(|l| l.ends_with("(no acknowledgment asked)")).count();
    assert_eq!(unasked, 2, "{stdout}");
    assert_eq!(aa + unasked, lines.len(), "{stdout}");
    assert!(aa >= 8, "{stdout}");
    let (code, log) = l.stop();
    assert_eq!(code, 0, "{log}");
    let files = stored(&out, "hl7");
    assert_eq!(files.len(), aa, "{log}");
    assert_eq!(stored(&out, "ack").len(), aa);
    // Each stored message is one of the inputs, byte for byte.
    let mut inputs = Vec::new();
    for dir in [&basic, &types] {
        for e in std::fs::read_dir(dir).unwrap() {
            inputs.push(std::fs::read(e.unwrap().path()).unwrap());
        }
    }
    for f in &files {
        let m = std::fs::read(f).unwrap();
        assert!(inputs.iter().any(|i| i.windows(m.len()).any(|w| w == m)), "{}", f.display());
        let ack = std::fs::read(f.with_extension("ack")).unwrap();
        assert!(msa(&ack[1..]).starts_with("MSA|AA|"), "{}", f.display());
    }
    // Logs name no content: no patient name from corpus/basic.
    assert!(!log.contains("EVERYMAN") && !log.contains("MSH|"), "{log}");
}

#[test]
fn frame_split_byte_by_byte_and_two_frames_in_one_write() {
    let out = temp_dir("mllp", "split");
    let l = Listener::start(&out);
    let mut s = connect(&l);
    for b in frame(&message("SPLIT1")) {
        s.write_all(&[b]).unwrap();
        s.flush().unwrap();
    }
    let acks = read_frames(&mut s, 1);
    assert!(msa(&acks[0]).starts_with("MSA|AA|SPLIT1"), "{:?}", msa(&acks[0]));
    // Two frames (with junk before them) in one write: two ACKs, in order.
    let mut both = b"junk".to_vec();
    both.extend(frame(&message("TWO1")));
    both.extend(frame(&message("TWO2")));
    s.write_all(&both).unwrap();
    let acks = read_frames(&mut s, 2);
    assert!(msa(&acks[0]).starts_with("MSA|AA|TWO1"));
    assert!(msa(&acks[1]).starts_with("MSA|AA|TWO2"));
    drop(s);
    let (code, log) = l.stop();
    assert_eq!(code, 0);
    assert!(log.contains("junk: 4 byte(s)"), "{log}");
    let files = export(&out);
    for id in ["SPLIT1", "TWO1", "TWO2"] {
        assert_eq!(std::fs::read(files.join(format!("{id}.hl7"))).unwrap(), message(id));
    }
}

#[test]
fn duplicate_control_id_gets_the_stored_ack_and_is_stored_once() {
    let out = temp_dir("mllp", "dup");
    let l = Listener::start(&out);
    let mut s = connect(&l);
    s.write_all(&frame(&message("DUP1"))).unwrap();
    let first = read_frames(&mut s, 1);
    s.write_all(&frame(&message("DUP1"))).unwrap();
    let second = read_frames(&mut s, 1);
    assert_eq!(first, second, "the stored ACK, byte for byte");
    drop(s);
    let (_, log) = l.stop();
    assert_eq!(log.matches("duplicate").count(), 1, "{log}");
    assert_eq!(stored(&out, "hl7").len(), 1);
    // Also across a restart (the index is rebuilt from the directory).
    let l = Listener::start(&out);
    let mut s = connect(&l);
    s.write_all(&frame(&message("DUP1"))).unwrap();
    assert_eq!(read_frames(&mut s, 1), first);
    drop(s);
    let (_, log) = l.stop();
    assert!(log.contains("duplicate"), "{log}");
    assert_eq!(stored(&out, "hl7").len(), 1);
}

#[test]
fn validation_errors_give_ae_and_enhanced_mode_gets_a_commit_ack() {
    let out = temp_dir("mllp", "codes");
    let l = Listener::start(&out);
    let mut s = connect(&l);
    // PID-3 and PID-5 missing: AE with ERR segments.
    s.write_all(&frame(
        b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01^ADT_A01|BAD1|P|2.5.1\rEVN|A01|20240101\rPID|1\rPV1|1|I\r",
    ))
    .unwrap();
    let ae = read_frames(&mut s, 1);
    assert!(msa(&ae[0]).starts_with("MSA|AE|BAD1"), "{}", String::from_utf8_lossy(&ae[0]));
    assert!(String::from_utf8_lossy(&ae[0]).contains("\rERR|"));
    // Enhanced mode, MSH-15 AL, MSH-16 NE: one commit ACK.
    let mut m = message("ENH1");
    let at = m.iter().position(|b| *b == b'\r').unwrap();
    m.splice(at..at, b"|||AL|NE".iter().copied());
    s.write_all(&frame(&m)).unwrap();
    let ca = read_frames(&mut s, 1);
    assert!(msa(&ca[0]).starts_with("MSA|CA|ENH1"), "{}", String::from_utf8_lossy(&ca[0]));
    drop(s);
    let (code, _) = l.stop();
    assert_eq!(code, 0);
}

#[test]
fn sender_reports_rejects_and_unreachable_receivers() {
    let out = temp_dir("mllp", "reject");
    let dir = temp_dir("mllp", "reject-in");
    std::fs::write(dir.join("bad.hl7"), b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01^ADT_A01|R1|P|9.9\rPID|1\r").unwrap();
    let l = Listener::start(&out);
    let (code, stdout, stderr) = send(&[&dir], &l.to(), &[]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("not accepted: AR"), "{stderr}");
    let to = l.to();
    let _ = l.stop();
    // Nobody listens any more: bounded retries, then exit 1.
    let start = Instant::now();
    let (code, _, stderr) = send(&[&dir], &to, &["--retries", "2", "--timeout", "1"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("no acknowledgment after 3 tries"), "{stderr}");
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn sigterm_mid_stream_loses_no_acknowledged_message() {
    stop_mid_stream("-TERM", "1", 200);
}

/// The same with 16 messages in flight (`--window 16`).
#[test]
fn sigkill_mid_pipelined_stream_loses_no_acknowledged_message() {
    stop_mid_stream("-KILL", "16", 200);
}

/// SIGKILL gives no chance to finish anything: what was acknowledged must already be in the
/// journal.
#[test]
fn sigkill_mid_stream_loses_no_acknowledged_message() {
    stop_mid_stream("-KILL", "1", 200);
}

/// SIGKILL in a stream of 1,000 messages with 64 in flight (group commits of many messages, a
/// torn last record possible): zero acknowledged messages lost, the rest stored after a restart,
/// those stored before flagged as duplicates.
#[test]
fn sigkill_in_a_stream_of_1000_loses_no_acknowledged_message() {
    stop_mid_stream("-KILL", "64", 1000);
}

/// Bytes in the journal segments of `out` (a cheap progress probe while the listener runs).
fn journal_bytes(out: &Path) -> u64 {
    std::fs::read_dir(out)
        .map_or(0, |d| d.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum())
}

fn stop_mid_stream(signal: &str, window: &str, n: usize) {
    let out = temp_dir("mllp", &format!("kill{signal}-{window}-{n}"));
    let dir = temp_dir("mllp", &format!("kill-in{signal}-{window}-{n}"));
    for i in 0..n {
        std::fs::write(dir.join(format!("m{i:04}.hl7")), message(&format!("K{i:04}"))).unwrap();
    }
    let l = Listener::start(&out);
    let to = l.to();
    let sender = {
        let dir = dir.clone();
        let window = window.to_owned();
        std::thread::spawn(move || send(&[&dir], &to, &["--retries", "0", "--timeout", "2", "--window", &window]))
    };
    // Stop the listener about halfway (a record of these messages is about 290 bytes).
    let start = Instant::now();
    while journal_bytes(&out) < (n as u64 / 2) * 250 {
        assert!(start.elapsed() < Duration::from_secs(60), "no progress");
        std::thread::sleep(Duration::from_millis(1));
    }
    let (code, log) = l.signal(signal);
    if signal == "-TERM" {
        assert_eq!(code, 0, "clean exit on SIGTERM: {log}");
    }
    let (_, stdout, _) = sender.join().unwrap();
    let acked: Vec<String> = stdout
        .lines()
        .filter(|l| l.ends_with(": AA"))
        .map(|l| {
            let file = Path::new(l.split(':').next().unwrap());
            file.file_stem().unwrap().to_string_lossy().replace('m', "K")
        })
        .collect();
    // Restart: the index is rebuilt from the journal (a torn last record is cut off).
    let l = Listener::start(&out);
    let files = export(&out);
    let before = stored(&out, "ack").len();
    eprintln!("acknowledged before {signal}: {}, stored with ACK: {before}", acked.len());
    assert!(acked.len() < n, "the stop came too late to test anything");
    // Zero acknowledged messages lost: each is there, byte for byte, with an AA.
    for id in &acked {
        assert_eq!(std::fs::read(files.join(format!("{id}.hl7"))).unwrap(), message(id), "{id}");
        let ack = std::fs::read(files.join(format!("{id}.ack"))).unwrap();
        assert!(msa(&ack[1..]).starts_with(&format!("MSA|AA|{id}")), "{id}");
    }
    assert!(before >= acked.len());
    // Resend everything: the ones stored before are flagged as duplicates.
    let (code, stdout, stderr) = send(&[&dir], &l.to(), &["--window", window]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().filter(|l| l.ends_with(": AA")).count(), n);
    let (_, log) = l.stop();
    assert_eq!(log.matches("duplicate").count(), before, "{log}");
    assert_eq!(stored(&out, "hl7").len(), n);
}

#[test]
fn idle_connections_are_closed_and_oversized_frames_refused() {
    let out = temp_dir("mllp", "limits");
    let l = Listener::start_with(&out, &["--idle-timeout", "0.5", "--max-frame", "1000"]);
    // Silent: closed by the listener after the idle timeout (the read sees end of stream).
    let mut s = connect(&l);
    let start = Instant::now();
    let mut byte = [0u8; 1];
    assert_eq!(s.read(&mut byte).unwrap(), 0);
    assert!(start.elapsed() < Duration::from_secs(5));
    // Too large: no ACK, connection closed, nothing stored.
    let mut s = connect(&l);
    let mut big = message("BIG1");
    big.extend(std::iter::repeat_n(b'X', 2000));
    s.write_all(&frame(&big)).unwrap();
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(rest.is_empty());
    // A message within the limit is still accepted on a new connection.
    let mut s = connect(&l);
    s.write_all(&frame(&message("SMALL1"))).unwrap();
    assert!(msa(&read_frames(&mut s, 1)[0]).starts_with("MSA|AA|SMALL1"));
    drop(s);
    let (code, log) = l.stop();
    assert_eq!(code, 0);
    assert!(log.contains("idle for 0.5s"), "{log}");
    assert!(log.contains("exceeds the 1000-byte limit") && log.contains("connection closed"), "{log}");
    assert_eq!(stored(&out, "hl7").len(), 1);
}

#[test]
fn many_connections_at_once() {
    let out = temp_dir("mllp", "many");
    let l = Listener::start(&out);
    let to = l.to();
    let clients: Vec<_> = (0..4)
        .map(|c| {
            let to = to.clone();
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(&to).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                for i in 0..25 {
                    let id = format!("M{c}-{i:02}");
                    s.write_all(&frame(&message(&id))).unwrap();
                    let ack = read_frames(&mut s, 1);
                    assert!(msa(&ack[0]).starts_with(&format!("MSA|AA|{id}")));
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let (code, _) = l.stop();
    assert_eq!(code, 0);
    assert_eq!(stored(&out, "hl7").len(), 100);
}

#[test]
fn a_framing_error_is_reported_and_the_next_frame_still_answered() {
    let out = temp_dir("mllp", "framing");
    let l = Listener::start(&out);
    let mut s = connect(&l);
    // End block followed by X instead of CR, then a good frame.
    let mut bytes = b"\x0bMSH|^~\\&|A\x1cX".to_vec();
    bytes.extend(frame(&message("AFTER1")));
    s.write_all(&bytes).unwrap();
    assert!(msa(&read_frames(&mut s, 1)[0]).starts_with("MSA|AA|AFTER1"));
    drop(s);
    let (code, log) = l.stop();
    assert_eq!(code, 0);
    assert!(log.contains("end block not followed by carriage return"), "{log}");
    assert_eq!(stored(&out, "hl7").len(), 1);
}

#[test]
fn sender_refuses_a_message_without_control_id() {
    let dir = temp_dir("mllp", "nocid-in");
    std::fs::write(dir.join("m.hl7"), b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01^ADT_A01||P|2.5.1\rPID|1\r").unwrap();
    // Nothing is sent, so no receiver is needed (port 9 on loopback is never connected to).
    let (code, _, stderr) = send(&[&dir], "127.0.0.1:9", &["--retries", "0", "--timeout", "1"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("MSH-10 (control id) is empty: not sent"), "{stderr}");
}

#[test]
fn frames_sent_together_share_a_group_commit_and_duplicates_within_it_are_flagged() {
    let out = temp_dir("mllp", "group");
    let l = Listener::start_with(&out, &["--idle-timeout", "20", "--verbose"]);
    let mut s = connect(&l);
    let mut bytes = Vec::new();
    for i in 0..50 {
        bytes.extend(frame(&message(&format!("P{i:02}"))));
    }
    bytes.extend(frame(&message("P00")));
    s.write_all(&bytes).unwrap();
    let acks = read_frames(&mut s, 51);
    for (i, ack) in acks.iter().take(50).enumerate() {
        assert!(msa(ack).starts_with(&format!("MSA|AA|P{i:02}")), "{}", msa(ack));
    }
    assert_eq!(acks[50], acks[0], "the duplicate gets the first one's ACK");
    drop(s);
    let (code, log) = l.stop();
    assert_eq!(code, 0);
    assert_eq!(stored(&out, "hl7").len(), 50);
    assert_eq!(log.matches("duplicate").count(), 1, "{log}");
    let largest =
        log.lines().filter_map(|l| l.split("batch=").nth(1)).map(|n| n.trim().parse::<usize>().unwrap()).max().unwrap();
    assert!(largest > 1, "no group commit: {log}");
}

#[test]
fn pipelined_sender_gets_every_ack_and_retries_after_a_lost_connection() {
    let out = temp_dir("mllp", "window");
    let dir = temp_dir("mllp", "window-in");
    for i in 0..300 {
        std::fs::write(dir.join(format!("w{i:03}.hl7")), message(&format!("W{i:03}"))).unwrap();
    }
    let l = Listener::start(&out);
    let (code, stdout, stderr) = send(&[&dir, &corpus("basic")], &l.to(), &["--window", "32"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().filter(|l| l.ends_with(": AA")).count(), 302, "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.ends_with("(no acknowledgment asked)")).count(), 2);
    let (_, log) = l.stop();
    assert_eq!(stored(&out, "hl7").len(), 302, "{log}");
    // A receiver that is not there: every message in flight gives up after its tries.
    let to = format!("127.0.0.1:{}", {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    });
    let few = temp_dir("mllp", "window-few");
    for i in 0..3 {
        std::fs::write(few.join(format!("f{i}.hl7")), message(&format!("F{i}"))).unwrap();
    }
    let (code, _, stderr) = send(&[&few], &to, &["--window", "8", "--retries", "1", "--timeout", "1"]);
    assert_eq!(code, 1);
    assert_eq!(stderr.matches("no acknowledgment after 2 tries").count(), 3, "{stderr}");
}
