//! TLS for `hl7rs mllp listen` and `hl7rs mllp send`: rustls with the `ring` provider, TLS 1.2
//! and 1.3, certificates and keys from PEM files.
//!
//! Listener: `--tls-cert` (the chain, leaf first) and `--tls-key`; with `--tls-client-ca` every
//! client must present a certificate signed by one of those CAs (mutual TLS). Sender: `--tls`
//! with `--tls-ca` (the CAs that sign the receiver's certificate; the server name checked is the
//! host of `--to`, or `--tls-server-name`), and `--tls-cert`/`--tls-key` for a client certificate.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// The `ring` provider: aws-lc-rs (rustls' default, with post-quantum key exchange) needs cmake to
/// build, which the project's machines do not have; rustls marks `ring` deprecated for lacking
/// post-quantum key exchange only.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

/// The certificates of a PEM file (at least one).
fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("{}: cannot read certificates: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate in the file", path.display()));
    }
    Ok(certs)
}

fn key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| format!("{}: cannot read a private key: {e}", path.display()))
}

fn roots(path: &Path) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    for cert in certs(path)? {
        roots.add(cert).map_err(|e| format!("{}: not a usable CA certificate: {e}", path.display()))?;
    }
    Ok(roots)
}

/// The listener's TLS settings: certificate chain and key, and the CAs of client certificates
/// when clients must present one.
pub fn server_config(cert: &Path, key_file: &Path, client_ca: Option<&Path>) -> Result<Arc<ServerConfig>, String> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = match client_ca {
        Some(ca) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots(ca)?), provider())
                .build()
                .map_err(|e| format!("{}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let config = builder
        .with_single_cert(certs(cert)?, key(key_file)?)
        .map_err(|e| format!("{} and {}: {e}", cert.display(), key_file.display()))?;
    Ok(Arc::new(config))
}

/// The sender's TLS settings: the CAs of the receiver's certificate and, for mutual TLS, the
/// client certificate chain and key.
pub fn client_config(ca: &Path, identity: Option<(&Path, &Path)>) -> Result<Arc<ClientConfig>, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots(ca)?);
    let config = match identity {
        Some((cert, key_file)) => builder
            .with_client_auth_cert(certs(cert)?, key(key_file)?)
            .map_err(|e| format!("{} and {}: {e}", cert.display(), key_file.display()))?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The name the receiver's certificate must carry: `name`, or the host part of `HOST:PORT`.
pub fn server_name(to: &str, name: Option<&str>) -> Result<ServerName<'static>, String> {
    let host = name.unwrap_or_else(|| {
        let host = to.rsplit_once(':').map_or(to, |(h, _)| h);
        host.trim_start_matches('[').trim_end_matches(']')
    });
    ServerName::try_from(host.to_owned()).map_err(|_| format!("not a usable TLS server name: {host:?}"))
}
