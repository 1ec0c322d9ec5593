//! The HTTPS policy host: rustls picks each connection's certificate by SNI from the
//! certificates Portcullis holds (one per `mta-sts.<domain>`), and the same router answers.
//!
//! A name without a certificate fails the handshake rather than getting some other name's
//! certificate: a sender must never see a certificate that hints at another tenant.

use axum::Router;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("the certificate PEM holds no certificate")]
    NoCertificate,
    #[error("the key PEM is not a usable private key: {0}")]
    Key(String),
    #[error("the PEM is malformed: {0}")]
    Pem(String),
}

/// Certificates by lower-case host name, swapped in as they are issued or renewed.
#[derive(Debug, Default)]
pub struct CertResolver {
    by_name: RwLock<HashMap<String, Arc<CertifiedKey>>>,
}

/// Parses a PEM chain and key into what rustls serves.
pub fn certified_key(cert_pem: &str, key_pem: &str) -> Result<CertifiedKey, CertError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| CertError::Pem(e.to_string()))?;
    if chain.is_empty() {
        return Err(CertError::NoCertificate);
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| CertError::Key(e.to_string()))?;
    let signing = rustls::crypto::ring::sign::any_supported_type(&key).map_err(|e| CertError::Key(e.to_string()))?;
    Ok(CertifiedKey::new(chain, signing))
}

impl CertResolver {
    pub fn set(&self, name: &str, key: CertifiedKey) {
        self.write().insert(name.to_ascii_lowercase(), Arc::new(key));
    }

    pub fn remove(&self, name: &str) {
        self.write().remove(&name.to_ascii_lowercase());
    }

    /// Drops every certificate whose name is not in `keep`.
    pub fn retain(&self, keep: &[String]) {
        self.write()
            .retain(|name, _| keep.iter().any(|k| k.eq_ignore_ascii_case(name)));
    }

    pub fn has(&self, name: &str) -> bool {
        self.read().contains_key(&name.to_ascii_lowercase())
    }

    pub fn get(&self, name: &str) -> Option<Arc<CertifiedKey>> {
        self.read().get(&name.to_ascii_lowercase()).cloned()
    }

    pub fn len(&self) -> usize {
        self.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<CertifiedKey>>> {
        self.by_name.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Arc<CertifiedKey>>> {
        self.by_name.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name()?.trim_end_matches('.').to_ascii_lowercase();
        self.read().get(&name).cloned()
    }
}

/// TLS 1.2 and 1.3 only (senders require at least 1.2), HTTP/1.1 and HTTP/2.
pub fn server_config(resolver: Arc<CertResolver>) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("ring supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}

/// Accepts TLS connections until `shutdown` completes, within `limits` (handshakes included:
/// a handshake must finish within the header timeout), then lets open connections finish
/// within `grace`. `state` enables the policy shortcut
/// ([`crate::tls::policy_host::fast_answer`]).
pub async fn serve(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    router: Router,
    state: Option<crate::ServerState>,
    limits: crate::listener::ListenerLimits,
    shutdown: impl std::future::Future<Output = ()>,
    grace: Duration,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    crate::listener::serve_http(listener, Some(acceptor), router, state, limits, shutdown, grace).await;
}
