//! `hl7rs mllp listen/send` with TLS, mutual TLS, the client allow-list, the metrics endpoint and
//! the log levels, over loopback. Certificates are made at test time (rcgen): a CA, a server
//! certificate for 127.0.0.1 and localhost, a client certificate, and a second CA with a client
//! certificate of its own that must be refused.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::mllp::{connect, corpus, frame, message, msa, read_frames, send, stored, Listener};
use common::temp_dir;
use rcgen::{BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

/// PEM files of a test PKI.
struct Pki {
    ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    other_ca: PathBuf,
    other_client_cert: PathBuf,
    other_client_key: PathBuf,
}

fn ca(name: &str) -> (Certificate, KeyPair) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    (params.self_signed(&key).unwrap(), key)
}

fn leaf(issuer: &(Certificate, KeyPair), sans: &[&str], purpose: ExtendedKeyUsagePurpose) -> (String, String) {
    let mut params = CertificateParams::new(sans.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, sans.first().copied().unwrap_or("client"));
    params.extended_key_usages = vec![purpose];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &issuer.0, &issuer.1).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn pki(name: &str) -> Pki {
    let dir = temp_dir("mllp-tls", name);
    let write = |file: &str, pem: &str| {
        let p = dir.join(file);
        std::fs::write(&p, pem).unwrap();
        p
    };
    let root = ca("hl7rs test CA");
    let other = ca("another CA");
    let (server_cert, server_key) = leaf(&root, &["127.0.0.1", "localhost"], ExtendedKeyUsagePurpose::ServerAuth);
    let (client_cert, client_key) = leaf(&root, &["lab-client"], ExtendedKeyUsagePurpose::ClientAuth);
    let (other_cert, other_key) = leaf(&other, &["stranger"], ExtendedKeyUsagePurpose::ClientAuth);
    Pki {
        ca: write("ca.pem", &root.0.pem()),
        server_cert: write("server.pem", &server_cert),
        server_key: write("server.key", &server_key),
        client_cert: write("client.pem", &client_cert),
        client_key: write("client.key", &client_key),
        other_ca: write("other-ca.pem", &other.0.pem()),
        other_client_cert: write("other-client.pem", &other_cert),
        other_client_key: write("other-client.key", &other_key),
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `GET path` on the metrics address; returns the status line and the body.
fn scrape(addr: &str, path: &str) -> (String, String) {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(c, "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    let mut text = String::new();
    c.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

/// The value of one sample line (`name{labels}` exactly) in a Prometheus exposition.
fn sample<'a>(body: &'a str, series: &str) -> &'a str {
    body.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no {series} in\n{body}"))
}

#[test]
fn tls_messages_are_accepted_and_plain_or_untrusted_clients_fail() {
    let pki = pki("server");
    let out = temp_dir("mllp-tls", "server-out");
    let flags = ["--tls-cert", s(&pki.server_cert), "--tls-key", s(&pki.server_key), "--metrics", "127.0.0.1:0"];
    let l = Listener::start_with(&out, &flags);
    let (basic, types) = (corpus("basic"), corpus("message-types"));
    let (code, stdout, stderr) = send(&[&basic, &types], &l.to(), &["--tls", "--tls-ca", s(&pki.ca), "--window", "8"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let aa = stdout.lines().filter(|l| l.ends_with(": AA")).count();
    assert!(aa >= 8, "{stdout}");
    // Plain MLLP to a TLS listener: no answer.
    let (code, _, stderr) = send(&[&basic], &l.to(), &["--retries", "0", "--timeout", "2"]);
    assert_eq!(code, 1, "{stderr}");
    // A receiver certificate from a CA the sender does not trust: refused by the sender.
    let (code, _, stderr) =
        send(&[&basic], &l.to(), &["--tls", "--tls-ca", s(&pki.other_ca), "--retries", "0", "--timeout", "2"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("TLS handshake") && stderr.contains("certificate"), "{stderr}");
    // A name the certificate does not carry.
    let (code, _, stderr) = send(
        &[&basic],
        &l.to(),
        &["--tls", "--tls-ca", s(&pki.ca), "--tls-server-name", "ris.example", "--retries", "0", "--timeout", "2"],
    );
    assert_eq!(code, 1, "{stderr}");
    let (_, body) = scrape(l.metrics.as_deref().unwrap(), "/metrics");
    assert!(sample(&body, "hl7rs_mllp_tls_handshake_failures_total").parse::<u64>().unwrap() >= 3, "{body}");
    let (code, log) = l.stop();
    assert_eq!(code, 0, "{log}");
    assert_eq!(stored(&out, "hl7").len(), aa);
}

#[test]
fn mutual_tls_requires_a_client_certificate_from_the_given_ca() {
    let pki = pki("mutual");
    let out = temp_dir("mllp-tls", "mutual-out");
    let flags = ["--tls-cert", s(&pki.server_cert), "--tls-key", s(&pki.server_key), "--tls-client-ca", s(&pki.ca)];
    let l = Listener::start_with(&out, &flags);
    let dir = temp_dir("mllp-tls", "mutual-in");
    std::fs::write(dir.join("m.hl7"), message("MTLS1")).unwrap();
    let fail = ["--tls", "--tls-ca", s(&pki.ca), "--retries", "0", "--timeout", "2"];
    // No client certificate.
    let (code, _, stderr) = send(&[&dir], &l.to(), &fail);
    assert_eq!(code, 1, "{stderr}");
    // A client certificate from another CA.
    let mut other = fail.to_vec();
    other.extend(["--tls-cert", s(&pki.other_client_cert), "--tls-key", s(&pki.other_client_key)]);
    let (code, _, stderr) = send(&[&dir], &l.to(), &other);
    assert_eq!(code, 1, "{stderr}");
    // The right one.
    let good = ["--tls", "--tls-ca", s(&pki.ca), "--tls-cert", s(&pki.client_cert), "--tls-key", s(&pki.client_key)];
    let (code, stdout, stderr) = send(&[&dir], &l.to(), &good);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(": AA"), "{stdout}");
    let (code, log) = l.stop();
    assert_eq!(code, 0);
    assert!(log.matches("TLS handshake failed").count() >= 2, "{log}");
    assert_eq!(stored(&out, "hl7").len(), 1);
}

#[test]
fn tls_files_that_cannot_be_read_stop_the_start() {
    let out = temp_dir("mllp-tls", "badfiles");
    let missing = out.join("none.pem");
    let (code, _, stderr) = common::hl7rs(&[
        "mllp",
        "listen",
        "--port",
        "0",
        "--out",
        s(&out),
        "--tls-cert",
        s(&missing),
        "--tls-key",
        s(&missing),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("none.pem"), "{stderr}");
    let (code, _, stderr) = common::hl7rs(&["mllp", "listen", "--port", "0", "--out", s(&out), "--tls-key", "k.pem"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn peers_outside_the_allow_list_are_refused_at_accept() {
    let out = temp_dir("mllp", "allow");
    let l = Listener::start_with(&out, &["--allow", "10.0.0.0/8", "--allow", "192.0.2.7", "--metrics", "127.0.0.1:0"]);
    let mut c = connect(&l);
    let local = c.local_addr().unwrap();
    let _ = c.write_all(&frame(&message("ALLOW1")));
    let mut rest = Vec::new();
    // Closed by the listener, no ACK (a reset is as good as an end of stream).
    let _ = c.read_to_end(&mut rest);
    assert!(rest.is_empty());
    let (_, body) = scrape(l.metrics.as_deref().unwrap(), "/metrics");
    assert_eq!(sample(&body, "hl7rs_mllp_connections_refused_total"), "1", "{body}");
    assert_eq!(sample(&body, "hl7rs_mllp_connections_total"), "0");
    let (code, log) = l.stop();
    assert_eq!(code, 0);
    assert!(log.contains(&format!("peer={local} refused: not in --allow")), "{log}");
    assert!(!log.contains("ALLOW1") && !log.contains("MSH"), "{log}");
    assert!(stored(&out, "hl7").is_empty());
    // Loopback allowed: accepted.
    let l = Listener::start_with(&out, &["--allow", "127.0.0.0/8", "--allow", "::1"]);
    let mut c = connect(&l);
    c.write_all(&frame(&message("ALLOW2"))).unwrap();
    assert!(msa(&read_frames(&mut c, 1)[0]).starts_with("MSA|AA|ALLOW2"));
    drop(c);
    let _ = l.stop();
}

#[test]
fn metrics_are_served_while_messages_flow() {
    let out = temp_dir("mllp", "metrics");
    let l = Listener::start_with(&out, &["--metrics", "127.0.0.1:0"]);
    let addr = l.metrics.clone().unwrap();
    let (_, before) = scrape(&addr, "/metrics");
    assert_eq!(sample(&before, "hl7rs_mllp_last_message_timestamp_seconds"), "0.000");
    let mut c = connect(&l);
    let good = message("MET1");
    let bad = b"MSH|^~\\&|A|B|C|D|20240101||ORU^R01^ORU_R01|MET2|P|2.5.1\rPID|1\r".to_vec();
    c.write_all(&[frame(&good), frame(&bad), frame(&good)].concat()).unwrap();
    let acks = read_frames(&mut c, 3);
    assert!(msa(&acks[1]).starts_with("MSA|AE|MET2"), "{}", msa(&acks[1]));
    // Scraped with the connection still open.
    let (status, body) = scrape(&addr, "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(sample(&body, "hl7rs_mllp_messages_received_total{type=\"ADT^A01\"}"), "2", "{body}");
    assert_eq!(sample(&body, "hl7rs_mllp_messages_received_total{type=\"ORU^R01\"}"), "1");
    assert_eq!(sample(&body, "hl7rs_mllp_messages_acknowledged_total{type=\"ADT^A01\",code=\"AA\"}"), "1");
    assert_eq!(sample(&body, "hl7rs_mllp_messages_rejected_total{type=\"ORU^R01\",code=\"AE\"}"), "1");
    assert_eq!(sample(&body, "hl7rs_mllp_duplicates_total"), "1");
    assert_eq!(sample(&body, "hl7rs_mllp_connections_open"), "1");
    assert_eq!(sample(&body, "hl7rs_mllp_connections_total"), "1");
    let bytes = (2 * good.len() + bad.len()).to_string();
    assert_eq!(sample(&body, "hl7rs_mllp_received_bytes_total"), bytes);
    assert!(sample(&body, "hl7rs_mllp_last_message_timestamp_seconds").parse::<f64>().unwrap() > 1.7e9);
    assert_eq!(sample(&body, "hl7rs_mllp_ack_latency_seconds_count"), "2");
    assert_eq!(sample(&body, "hl7rs_mllp_ack_latency_seconds_bucket{le=\"+Inf\"}"), "2");
    assert!(body.contains("# TYPE hl7rs_mllp_ack_latency_seconds histogram"));
    // No control id or content in the exposition.
    assert!(!body.contains("MET1") && !body.contains("DOE"), "{body}");
    drop(c);
    assert!(scrape(&addr, "/other").0.contains("404"));
    let (code, _) = l.stop();
    assert_eq!(code, 0);
}

#[test]
fn verbose_logs_summaries_without_content_and_quiet_logs_none() {
    let out = temp_dir("mllp", "verbose");
    let dir = temp_dir("mllp", "verbose-in");
    for i in 0..3 {
        std::fs::write(dir.join(format!("v{i}.hl7")), message(&format!("VERBCID{i}"))).unwrap();
    }
    let l = Listener::start_with(&out, &["--verbose"]);
    let (code, _, send_log) = send(&[&dir], &l.to(), &["--verbose"]);
    assert_eq!(code, 0, "{send_log}");
    let (_, log) = l.stop();
    assert_eq!(log.matches(" stored ack=AA latency_ms=").count(), 3, "{log}");
    assert!(log.contains(" connected") && log.contains("closed by the peer"), "{log}");
    assert_eq!(send_log.matches("ack=AA latency_ms=").count(), 3, "{send_log}");
    assert!(send_log.contains("connected to 127.0.0.1:"), "{send_log}");
    for text in [&log, &send_log] {
        assert!(!text.contains("VERBCID") && !text.contains("DOE") && !text.contains("MSH|"), "{text}");
    }
    let quiet = temp_dir("mllp", "quiet");
    let l = Listener::start_with(&quiet, &["--quiet"]);
    let (code, stdout, send_log) = send(&[&dir], &l.to(), &["--quiet"]);
    assert_eq!(code, 0);
    assert!(stdout.is_empty() && send_log.is_empty(), "{stdout}{send_log}");
    let (_, log) = l.stop();
    assert!(!log.contains("peer="), "{log}");
}
