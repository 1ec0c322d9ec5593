//! What the receiver is configured with: its name, the report addresses it accepts, its limits
//! and, once this server has a certificate for its public host, STARTTLS.

use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct SmtpSettings {
    /// The name this server greets with.
    pub hostname: String,
    /// Accepted recipients, lower-case.
    pub recipients: Vec<String>,
    pub max_message_bytes: usize,
    /// STARTTLS, offered while a certificate is at hand.
    pub tls: Option<SmtpTls>,
    pub limits: SmtpLimits,
}

/// STARTTLS: the rustls configuration and the certificates it draws on.
#[derive(Clone)]
pub struct SmtpTls {
    pub(super) config: Arc<rustls::ServerConfig>,
    certs: Arc<SmtpCerts>,
}

impl SmtpTls {
    /// Whether a handshake could succeed now: a configured certificate, or one for the name
    /// this server greets with (obtained by ACME for the public host). Until then STARTTLS is
    /// not advertised, rather than advertised and failed.
    pub fn available(&self) -> bool {
        self.certs.fixed.is_some() || self.certs.by_name.has(&self.certs.greeting_name)
    }
}

#[derive(Debug, Clone)]
pub struct SmtpLimits {
    /// Connection caps and the idle timeout (the header timeout bounds the STARTTLS handshake).
    pub listener: crate::listener::ListenerLimits,
    pub command_timeout: Duration,
    pub data_timeout: Duration,
    pub session_max: Duration,
}

impl Default for SmtpLimits {
    fn default() -> Self {
        Self {
            listener: crate::listener::ListenerLimits {
                // SMTP waits minutes for a command by design; the command timeout rules there.
                idle_timeout: Duration::from_secs(600),
                ..Default::default()
            },
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(600),
            session_max: Duration::from_secs(1800),
        }
    }
}

/// STARTTLS certificates: the policy host's by SNI, else the configured one, else the one for
/// the name this server greets with (senders often send no SNI to an MX).
#[derive(Debug)]
struct SmtpCerts {
    fixed: Option<Arc<rustls::sign::CertifiedKey>>,
    by_name: Arc<crate::tls::https::CertResolver>,
    greeting_name: String,
}

impl rustls::server::ResolvesServerCert for SmtpCerts {
    fn resolve(&self, hello: rustls::server::ClientHello<'_>) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.by_name
            .resolve(hello)
            .or_else(|| self.fixed.clone())
            .or_else(|| self.by_name.get(&self.greeting_name))
    }
}

pub fn tls_config(
    fixed: Option<rustls::sign::CertifiedKey>,
    by_name: Arc<crate::tls::https::CertResolver>,
    greeting_name: &str,
) -> SmtpTls {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs = Arc::new(SmtpCerts {
        fixed: fixed.map(Arc::new),
        by_name,
        greeting_name: greeting_name.trim_end_matches('.').to_ascii_lowercase(),
    });
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .expect("ring supports TLS 1.2 and 1.3")
        .with_no_client_auth()
        .with_cert_resolver(certs.clone());
    SmtpTls {
        config: Arc::new(config),
        certs,
    }
}
