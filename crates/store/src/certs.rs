//! Certificates for the policy host and the ACME account that obtains them.
//!
//! These are platform-level rows (the policy host serves every tenant); what a tenant may see of
//! them goes through [`Store::cert_state`], which is scoped like every other domain read.

use crate::{now, OrgAccess, Store, StoreError};
use portcullis_domain::models::CertState;
use portcullis_domain::DomainName;

/// A domain with a served policy, and where its certificate stands.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CertDue {
    pub domain: String,
    pub name: String,
    pub not_after: Option<i64>,
    pub failures: i64,
    pub next_attempt_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredCert {
    pub name: String,
    pub cert_pem: String,
    pub key_pem: String,
    pub not_after: i64,
}

impl Store {
    /// Every domain with a served policy, with its certificate's expiry and retry state.
    pub async fn cert_candidates(&self) -> Result<Vec<CertDue>, StoreError> {
        let sql = "SELECT d.name AS domain, 'mta-sts.' || d.name AS name, c.not_after, \
                   COALESCE(c.failures, 0) AS failures, COALESCE(c.next_attempt_at, 0) AS next_attempt_at \
                   FROM domains d LEFT JOIN certificates c ON c.domain_id = d.id \
                   WHERE d.proven_at IS NOT NULL AND EXISTS (SELECT 1 FROM policy_versions v WHERE v.domain_id = d.id) \
                   ORDER BY d.name";
        Ok(on_pool!(self, |db| sqlx::query_as(sql).fetch_all(db).await)?)
    }

    /// Where the certificate for one of this server's own names stands (`domain` is the name).
    pub async fn host_cert_due(&self, name: &str) -> Result<CertDue, StoreError> {
        let sql = "SELECT name AS domain, name, not_after, failures, next_attempt_at FROM host_certificates \
                   WHERE name = $1";
        let row: Option<CertDue> = on_pool!(self, |db| sqlx::query_as(sql).bind(name).fetch_optional(db).await)?;
        Ok(match row {
            Some(due) => due,
            None => CertDue {
                domain: name.to_string(),
                name: name.to_string(),
                not_after: None,
                failures: 0,
                next_attempt_at: 0,
            },
        })
    }

    pub async fn save_host_certificate(
        &self,
        name: &str,
        cert_pem: &str,
        key_pem: &str,
        not_after: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO host_certificates (name, cert_pem, key_pem, issued_at, not_after, last_error, \
                   last_attempt_at, next_attempt_at, failures) VALUES ($1, $2, $3, $4, $5, NULL, $4, 0, 0) \
                   ON CONFLICT (name) DO UPDATE SET cert_pem = excluded.cert_pem, key_pem = excluded.key_pem, \
                   issued_at = excluded.issued_at, not_after = excluded.not_after, last_error = NULL, \
                   last_attempt_at = excluded.last_attempt_at, next_attempt_at = 0, failures = 0";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(name)
            .bind(cert_pem)
            .bind(key_pem)
            .bind(crate::now())
            .bind(not_after)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    pub async fn record_host_cert_failure(
        &self,
        name: &str,
        error: &str,
        next_attempt_at: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO host_certificates (name, last_error, last_attempt_at, next_attempt_at, failures) \
                   VALUES ($1, $2, $3, $4, 1) \
                   ON CONFLICT (name) DO UPDATE SET last_error = excluded.last_error, \
                   last_attempt_at = excluded.last_attempt_at, next_attempt_at = excluded.next_attempt_at, \
                   failures = host_certificates.failures + 1";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(name)
            .bind(error)
            .bind(crate::now())
            .bind(next_attempt_at)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Every issued certificate (the `mta-sts.` ones and this server's own), for the TLS
    /// listener at start-up.
    pub async fn certificates(&self) -> Result<Vec<StoredCert>, StoreError> {
        let sql = "SELECT name, cert_pem, key_pem, not_after FROM certificates \
                   WHERE cert_pem IS NOT NULL AND key_pem IS NOT NULL AND not_after IS NOT NULL \
                   UNION ALL SELECT name, cert_pem, key_pem, not_after FROM host_certificates \
                   WHERE cert_pem IS NOT NULL AND key_pem IS NOT NULL AND not_after IS NOT NULL";
        Ok(on_pool!(self, |db| sqlx::query_as(sql).fetch_all(db).await)?)
    }

    /// Names that have a certificate, for dropping deleted ones from the TLS listener.
    pub async fn certificate_names(&self) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT name FROM certificates WHERE cert_pem IS NOT NULL \
                   UNION ALL SELECT name FROM host_certificates WHERE cert_pem IS NOT NULL";
        Ok(on_pool!(self, |db| sqlx::query_scalar(sql).fetch_all(db).await)?)
    }

    pub async fn save_certificate(
        &self,
        domain: &str,
        cert_pem: &str,
        key_pem: &str,
        not_after: i64,
    ) -> Result<(), StoreError> {
        self.save_named_certificate(&format!("mta-sts.{domain}"), domain, cert_pem, key_pem, not_after)
            .await
    }

    /// Stores a certificate for `name` under `domain` (normally `mta-sts.<domain>`).
    pub async fn save_named_certificate(
        &self,
        name: &str,
        domain: &str,
        cert_pem: &str,
        key_pem: &str,
        not_after: i64,
    ) -> Result<(), StoreError> {
        let t = crate::now();
        let sql = "INSERT INTO certificates (name, domain_id, cert_pem, key_pem, issued_at, not_after, last_error, \
                   last_attempt_at, next_attempt_at, failures) \
                   SELECT $1, id, $2, $3, $4, $5, NULL, $4, 0, 0 FROM domains WHERE name = $6 \
                   ON CONFLICT (name) DO UPDATE SET cert_pem = excluded.cert_pem, key_pem = excluded.key_pem, \
                   issued_at = excluded.issued_at, not_after = excluded.not_after, last_error = NULL, \
                   last_attempt_at = excluded.last_attempt_at, next_attempt_at = 0, failures = 0";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(name)
            .bind(cert_pem)
            .bind(key_pem)
            .bind(t)
            .bind(not_after)
            .bind(domain)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Records a failed attempt; the certificate held so far (if any) is kept.
    pub async fn record_cert_failure(&self, domain: &str, error: &str, next_attempt_at: i64) -> Result<(), StoreError> {
        let t = crate::now();
        let sql = "INSERT INTO certificates (name, domain_id, last_error, last_attempt_at, next_attempt_at, failures) \
                   SELECT $1, id, $2, $3, $4, 1 FROM domains WHERE name = $5 \
                   ON CONFLICT (name) DO UPDATE SET last_error = excluded.last_error, \
                   last_attempt_at = excluded.last_attempt_at, next_attempt_at = excluded.next_attempt_at, \
                   failures = certificates.failures + 1";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(format!("mta-sts.{domain}"))
            .bind(error)
            .bind(t)
            .bind(next_attempt_at)
            .bind(domain)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// The certificate state of a domain in the caller's organisation.
    pub async fn cert_state(&self, access: &OrgAccess, domain: &DomainName) -> Result<Option<CertState>, StoreError> {
        let sql = "SELECT c.name, c.issued_at, c.not_after, c.last_error, c.last_attempt_at, c.next_attempt_at, \
                   c.failures FROM certificates c JOIN domains d ON d.id = c.domain_id \
                   WHERE d.org_id = $1 AND d.name = $2";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .bind(domain.as_str())
            .fetch_optional(db)
            .await)?)
    }

    pub async fn acme_account(&self, directory: &str) -> Result<Option<String>, StoreError> {
        let sql = "SELECT credentials FROM acme_accounts WHERE directory = $1";
        Ok(on_pool!(self, |db| sqlx::query_scalar(sql)
            .bind(directory)
            .fetch_optional(db)
            .await)?)
    }

    pub async fn save_acme_account(&self, directory: &str, credentials: &str) -> Result<(), StoreError> {
        let sql = "INSERT INTO acme_accounts (directory, credentials, created_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (directory) DO UPDATE SET credentials = excluded.credentials";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(directory)
            .bind(credentials)
            .bind(crate::now())
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }
}

impl Store {
    /// Keeps an ACME http-01 answer for `ttl_secs`, for any instance to serve.
    pub async fn put_acme_challenge(
        &self,
        token: &str,
        key_authorization: &str,
        ttl_secs: i64,
    ) -> Result<(), StoreError> {
        let t = now();
        let sql = "INSERT INTO acme_challenges (token, key_authorization, expires_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (token) DO UPDATE SET key_authorization = excluded.key_authorization, \
                   expires_at = excluded.expires_at";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(token)
            .bind(key_authorization)
            .bind(t + ttl_secs)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        // Answers of orders that ended without cleaning up (a crash) go with the next one.
        let sql = "DELETE FROM acme_challenges WHERE expires_at <= $1";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(t)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// The unexpired answer for `token`.
    pub async fn acme_challenge(&self, token: &str) -> Result<Option<String>, StoreError> {
        let sql = "SELECT key_authorization FROM acme_challenges WHERE token = $1 AND expires_at > $2";
        let row: Option<(String,)> = on_pool!(self, |db| sqlx::query_as(sql)
            .bind(token)
            .bind(now())
            .fetch_optional(db)
            .await)?;
        Ok(row.map(|(answer,)| answer))
    }

    pub async fn delete_acme_challenge(&self, token: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM acme_challenges WHERE token = $1";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(token)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }
}
