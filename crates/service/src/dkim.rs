//! DKIM verification of report mail (RFC 6376) through `mail-auth`, with its resolver pointed
//! where the rest of Portcullis resolves (`PORTCULLIS_DNS_UPSTREAM`, or the system's).

use std::net::SocketAddr;
use std::time::Duration;

use mail_auth::hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator};
use portcullis_domain::tlsrpt::DkimVerdict;

/// Verifies DKIM signatures of report mail.
#[derive(Clone)]
pub struct DkimCheck {
    authenticator: MessageAuthenticator,
}

impl std::fmt::Debug for DkimCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimCheck").finish_non_exhaustive()
    }
}

impl DkimCheck {
    /// Key look-ups go to `upstream` when given, else to the system's resolvers.
    pub fn new(upstream: Option<SocketAddr>) -> Result<Self, String> {
        let authenticator = match upstream {
            Some(addr) => {
                let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                    .into_iter()
                    .map(|mut c| {
                        c.port = addr.port();
                        c
                    })
                    .collect();
                let config =
                    ResolverConfig::from_parts(None, vec![], vec![NameServerConfig::new(addr.ip(), true, connections)]);
                let mut opts = ResolverOpts::default();
                opts.timeout = Duration::from_secs(3);
                opts.attempts = 2;
                MessageAuthenticator::new(config, opts)
            }
            None => MessageAuthenticator::new_system_conf(),
        }
        .map_err(|e| e.to_string())?;
        Ok(Self { authenticator })
    }

    /// The verdict for one raw message: a pass names the first verified signing domain.
    pub async fn verdict(&self, raw: &[u8]) -> DkimVerdict {
        let Some(message) = AuthenticatedMessage::parse(raw) else {
            return DkimVerdict::None {
                reason: "the message could not be parsed".into(),
            };
        };
        let outputs = self.authenticator.verify_dkim(&message).await;
        let domain_of = |o: &mail_auth::DkimOutput<'_>| o.signature().map(|s| s.d.clone()).unwrap_or_default();
        if let Some(pass) = outputs.iter().find(|o| o.result() == &DkimResult::Pass) {
            return DkimVerdict::Pass {
                domain: domain_of(pass).to_ascii_lowercase(),
            };
        }
        match outputs.first() {
            None => DkimVerdict::None {
                reason: "no signature".into(),
            },
            Some(o) => {
                let reason = match o.result() {
                    DkimResult::Fail(e) | DkimResult::Neutral(e) | DkimResult::PermError(e) => e.to_string(),
                    DkimResult::TempError(e) => format!("the key could not be looked up: {e}"),
                    DkimResult::Pass | DkimResult::None => "not verified".into(),
                };
                DkimVerdict::Fail {
                    domain: domain_of(o).to_ascii_lowercase(),
                    reason: reason.chars().take(120).collect(),
                }
            }
        }
    }

    /// [`Self::verdict`] on a blocking thread: hashing a large message body is CPU work that
    /// must not hold an async worker. Gives the message back, whatever happens.
    pub async fn verdict_off_runtime(&self, raw: Vec<u8>) -> (Vec<u8>, DkimVerdict) {
        let check = self.clone();
        let handle = tokio::runtime::Handle::current();
        let shared = std::sync::Arc::new(raw);
        let message = shared.clone();
        let verdict = tokio::task::spawn_blocking(move || handle.block_on(check.verdict(&message)))
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "DKIM verification panicked");
                DkimVerdict::None {
                    reason: "DKIM could not be checked".into(),
                }
            });
        let raw = std::sync::Arc::try_unwrap(shared).unwrap_or_else(|still| still.as_ref().clone());
        (raw, verdict)
    }
}
