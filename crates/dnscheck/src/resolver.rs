//! One resolver for the whole process, pointed at the system's servers or at
//! `PORTCULLIS_DNS_UPSTREAM`.

use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::{ResolveError, Resolver};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Clone)]
pub struct Dns {
    pub(crate) resolver: Resolver<TokioConnectionProvider>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    #[error("the DNS server did not answer in time")]
    Timeout,
    #[error("the DNS look-up failed: {0}")]
    Failed(String),
    #[error("no DNS resolver is configured on this machine ({0}); set PORTCULLIS_DNS_UPSTREAM")]
    NoSystemConfig(String),
}

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dns").finish_non_exhaustive()
    }
}

impl Dns {
    /// The system's resolvers (`/etc/resolv.conf`), or `upstream` when given.
    pub fn new(upstream: Option<SocketAddr>) -> Result<Self, DnsError> {
        let (config, mut opts) = match upstream {
            Some(addr) => (
                ResolverConfig::from_parts(
                    None,
                    vec![],
                    NameServerConfigGroup::from_ips_clear(&[addr.ip()], addr.port(), true),
                ),
                ResolverOpts::default(),
            ),
            None => hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| DnsError::NoSystemConfig(e.to_string()))?,
        };
        // Answers must reflect what the user just changed in DNS, not what we saw an hour ago.
        opts.cache_size = 0;
        opts.timeout = Duration::from_secs(3);
        opts.attempts = 2;
        // "Does this name point here?" needs every address, not the first family that answers.
        opts.ip_strategy = hickory_resolver::config::LookupIpStrategy::Ipv4AndIpv6;
        let resolver = Resolver::builder_with_config(config, TokioConnectionProvider::default())
            .with_options(opts)
            .build();
        Ok(Self { resolver })
    }
}

/// `name` as an absolute name (trailing root dot), so no search domain is ever appended.
pub(crate) fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

pub(crate) fn classify(e: &ResolveError) -> DnsError {
    if e.to_string().contains("timed out") {
        DnsError::Timeout
    } else {
        DnsError::Failed(e.to_string())
    }
}
