//! Certificates for the policy host: which are due, what a failed attempt costs (a back-off),
//! and what is stored. The ACME exchange itself stays with the server, which holds the TLS
//! listener's certificates and the http-01 answers.

use portcullis_store::{CertDue, StoredCert};

use crate::{ServiceError, Services};

/// A certificate is renewed this long before it expires.
pub const RENEW_BEFORE_SECS: i64 = 30 * 86_400;
const FIRST_RETRY_SECS: i64 = 600;
const MAX_RETRY_SECS: i64 = 86_400;

/// Whose certificate a name is: a domain's `mta-sts.` name, or this server's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertHolder {
    Domain,
    Host,
}

/// Seconds until the next attempt after `failures` failed ones: 10 min, doubling, at most a day.
pub fn backoff_secs(failures: i64) -> i64 {
    let exp = failures.clamp(0, 20) as u32;
    FIRST_RETRY_SECS.saturating_mul(1i64 << exp).min(MAX_RETRY_SECS)
}

/// Whether a certificate in the state `due` should be (re)issued at `now`: missing or expiring
/// within [`RENEW_BEFORE_SECS`], and not backing off after a failure.
pub fn is_due(due: &CertDue, now: i64) -> bool {
    let expiring = due.not_after.is_none_or(|t| t - now < RENEW_BEFORE_SECS);
    expiring && due.next_attempt_at <= now
}

impl Services {
    /// The `mta-sts.` certificates of domains with a policy that are due at `now`.
    pub async fn domain_certificates_due(&self, now: i64) -> Result<Vec<CertDue>, ServiceError> {
        let candidates = self.store.cert_candidates().await?;
        Ok(candidates.into_iter().filter(|d| is_due(d, now)).collect())
    }

    /// This server's own certificate for `name` (the public host), if it is due at `now`.
    pub async fn host_certificate_due(&self, name: &str, now: i64) -> Result<Option<CertDue>, ServiceError> {
        let due = self.store.host_cert_due(name.trim_end_matches('.')).await?;
        Ok(Some(due).filter(|d| is_due(d, now)))
    }

    /// Stores a certificate just issued for `due`.
    pub async fn certificate_issued(
        &self,
        due: &CertDue,
        holder: CertHolder,
        chain_pem: &str,
        key_pem: &str,
        not_after: i64,
    ) -> Result<(), ServiceError> {
        match holder {
            CertHolder::Domain => {
                self.store
                    .save_certificate(&due.domain, chain_pem, key_pem, not_after)
                    .await?
            }
            CertHolder::Host => {
                self.store
                    .save_host_certificate(&due.name, chain_pem, key_pem, not_after)
                    .await?
            }
        }
        self.announce(portcullis_store::Change::Certificates).await;
        Ok(())
    }

    /// Records a failed attempt for `due` at `now`; the next one waits for the back-off. Returns
    /// when that is.
    pub async fn certificate_failed(
        &self,
        due: &CertDue,
        holder: CertHolder,
        why: &str,
        now: i64,
    ) -> Result<i64, ServiceError> {
        let next = now + backoff_secs(due.failures);
        match holder {
            CertHolder::Domain => self.store.record_cert_failure(&due.domain, why, next).await?,
            CertHolder::Host => self.store.record_host_cert_failure(&due.name, why, next).await?,
        }
        Ok(next)
    }

    /// The stored ACME account for a directory URL, if any.
    pub async fn acme_account(&self, directory: &str) -> Result<Option<String>, ServiceError> {
        Ok(self.store.acme_account(directory).await?)
    }

    pub async fn save_acme_account(&self, directory: &str, credentials: &str) -> Result<(), ServiceError> {
        Ok(self.store.save_acme_account(directory, credentials).await?)
    }

    /// Every issued certificate, for the TLS listener.
    pub async fn stored_certificates(&self) -> Result<Vec<StoredCert>, ServiceError> {
        Ok(self.store.certificates().await?)
    }

    /// Names that have a certificate, for dropping deleted ones from the TLS listener.
    pub async fn certificate_names(&self) -> Result<Vec<String>, ServiceError> {
        Ok(self.store.certificate_names().await?)
    }
}

/// How long an http-01 answer is kept: an order gives up after 90 seconds of polling.
const CHALLENGE_TTL_SECS: i64 = 600;

/// Longest http-01 token served (ACME tokens are about 43 base64url characters).
const MAX_TOKEN_LEN: usize = 128;

impl Services {
    /// Keeps an http-01 answer where every instance can serve it.
    pub async fn put_acme_challenge(&self, token: &str, key_authorization: &str) -> Result<(), ServiceError> {
        Ok(self
            .store
            .put_acme_challenge(token, key_authorization, CHALLENGE_TTL_SECS)
            .await?)
    }

    /// The answer for `token` (taken from a request path): `None` when unknown, expired or not a
    /// plausible token.
    pub async fn acme_challenge(&self, token: &str) -> Result<Option<String>, ServiceError> {
        let plausible = !token.is_empty()
            && token.len() <= MAX_TOKEN_LEN
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !plausible {
            return Ok(None);
        }
        Ok(self.store.acme_challenge(token).await?)
    }

    pub async fn delete_acme_challenge(&self, token: &str) -> Result<(), ServiceError> {
        Ok(self.store.delete_acme_challenge(token).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(not_after: Option<i64>, next_attempt_at: i64) -> CertDue {
        CertDue {
            domain: "example.com".into(),
            name: "mta-sts.example.com".into(),
            not_after,
            failures: 0,
            next_attempt_at,
        }
    }

    #[test]
    fn renews_thirty_days_before_expiry_and_respects_back_off() {
        let now = 1_000_000_000;
        assert!(is_due(&due(None, 0), now));
        assert!(!is_due(&due(Some(now + 31 * 86_400), 0), now));
        assert!(is_due(&due(Some(now + 29 * 86_400), 0), now));
        assert!(!is_due(&due(None, now + 1), now), "waits for the back-off");
        assert_eq!(backoff_secs(0), 600);
        assert_eq!(backoff_secs(1), 1200);
        assert_eq!(backoff_secs(3), 4800);
        assert_eq!(backoff_secs(40), 86_400);
    }
}
