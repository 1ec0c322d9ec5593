//! How checks connect: ports, deadlines, concurrency, caching and which addresses are allowed.

use rustls::pki_types::CertificateDer;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct CheckSettings {
    /// Where policy hosts are fetched (443; tests use their own port).
    pub https_port: u16,
    /// Where MX hosts are probed (25; tests use their own port).
    pub smtp_port: u16,
    /// Connect to loopback and private addresses. Tests only: a user-entered domain must not make
    /// this server connect into its own network.
    pub allow_private: bool,
    /// Roots trusted on top of the Mozilla set (a test CA).
    pub extra_roots: Vec<CertificateDer<'static>>,
    pub connect_timeout: Duration,
    pub io_timeout: Duration,
    /// How long an MX probe result is reused: many domains share the same MX hosts.
    pub probe_ttl: Duration,
    /// MX probes running at once, process-wide.
    pub probe_concurrency: usize,
    /// The name sent in EHLO.
    pub helo_name: String,
    /// A certificate expiring within this many days is a warning.
    pub expiry_warning_days: i64,
}

impl Default for CheckSettings {
    fn default() -> Self {
        Self {
            https_port: 443,
            smtp_port: 25,
            allow_private: false,
            extra_roots: Vec::new(),
            connect_timeout: Duration::from_secs(5),
            io_timeout: Duration::from_secs(10),
            probe_ttl: Duration::from_secs(3600),
            probe_concurrency: 16,
            helo_name: "portcullis.invalid".into(),
            expiry_warning_days: 14,
        }
    }
}
