//! Real peers on loopback for tests and benchmarks: an authoritative DNS server, a test CA, an
//! HTTPS policy host and SMTP servers, each configurable per name so that one set of servers can
//! reproduce every finding.

mod ca;
mod dns;
mod policy_host;
mod smtp;

pub use ca::TestCa;
pub use dns::TestDns;
pub use hickory_server::proto::rr::RecordType;
pub use policy_host::{PolicyHostBehaviour, TestPolicyHost};
pub use smtp::{SmtpTls, TestSmtp};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Certificates by SNI name, deliberately without checking that a certificate matches its name:
/// tests need wrong-name certificates served.
#[derive(Debug, Default)]
pub(crate) struct SniCerts(RwLock<HashMap<String, Arc<CertifiedKey>>>);

impl SniCerts {
    pub(crate) fn set(&self, name: &str, key: Arc<CertifiedKey>) {
        self.0.write().unwrap().insert(name.to_ascii_lowercase(), key);
    }
}

impl ResolvesServerCert for SniCerts {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name()?.to_ascii_lowercase();
        self.0.read().unwrap().get(&name).cloned()
    }
}

pub(crate) fn server_config(certs: Arc<SniCerts>) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .with_no_client_auth()
        .with_cert_resolver(certs);
    Arc::new(config)
}
