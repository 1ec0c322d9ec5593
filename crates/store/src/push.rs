//! Push settings (per organisation) and the last push per domain. The TSIG secret is stored
//! sealed; this layer never sees it in clear.

use crate::{now, OrgAccess, Store, StoreError};
use portcullis_domain::{DomainName, Role};

/// An organisation's push settings as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PushSettingsRow {
    /// `rfc2136` or a provider (`cloudflare`).
    pub provider: String,
    pub server: String,
    pub key_name: String,
    pub algorithm: String,
    pub secret_sealed: String,
    pub updated_by: String,
    pub updated_at: i64,
}

/// The last push of a domain's `_mta-sts` record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PushRecord {
    pub pushed_id: Option<String>,
    pub pushed_at: Option<i64>,
    pub push_error: Option<String>,
}

impl Store {
    /// The organisation's push settings, if any. Any member may read them (the secret is sealed).
    pub async fn push_settings(&self, access: &OrgAccess) -> Result<Option<PushSettingsRow>, StoreError> {
        let sql = "SELECT provider, server, key_name, algorithm, secret_sealed, updated_by, updated_at \
                   FROM dns_push_settings WHERE org_id = $1";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .fetch_optional(db)
            .await)?)
    }

    /// Sets the organisation's push settings. Owners only: they hold a credential for its DNS.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_push_settings(
        &self,
        access: &OrgAccess,
        provider: &str,
        server: &str,
        key_name: &str,
        algorithm: &str,
        secret_sealed: &str,
        by: &str,
    ) -> Result<(), StoreError> {
        access.require(Role::Owner)?;
        let sql = "INSERT INTO dns_push_settings (org_id, server, key_name, algorithm, secret_sealed, updated_by, updated_at, provider) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                   ON CONFLICT (org_id) DO UPDATE SET provider = excluded.provider, server = excluded.server, key_name = excluded.key_name, \
                   algorithm = excluded.algorithm, secret_sealed = excluded.secret_sealed, \
                   updated_by = excluded.updated_by, updated_at = excluded.updated_at";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(access.org_id)
            .bind(server)
            .bind(key_name)
            .bind(algorithm)
            .bind(secret_sealed)
            .bind(by)
            .bind(now())
            .bind(provider)
            .execute(db)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// How many of the organisation's domains use push.
    pub async fn domains_using_push(&self, access: &OrgAccess) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM domains WHERE org_id = $1 AND dns_setup = 'push'";
        Ok(on_pool!(self, |db| sqlx::query_scalar(sql)
            .bind(access.org_id)
            .fetch_one(db)
            .await)?)
    }

    /// Removes the organisation's push settings. Owners only; says whether there were any.
    pub async fn delete_push_settings(&self, access: &OrgAccess) -> Result<bool, StoreError> {
        access.require(Role::Owner)?;
        let sql = "DELETE FROM dns_push_settings WHERE org_id = $1";
        let n = on_pool!(self, |db| sqlx::query(sql)
            .bind(access.org_id)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(n == 1)
    }

    /// The domain's last push (all `None` when never pushed).
    pub async fn push_record(&self, access: &OrgAccess, name: &DomainName) -> Result<PushRecord, StoreError> {
        let sql = "SELECT pushed_id, pushed_at, push_error FROM domains WHERE org_id = $1 AND name = $2";
        let found: Option<PushRecord> = on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .bind(name.as_str())
            .fetch_optional(db)
            .await)?;
        found.ok_or(StoreError::NotFound)
    }

    /// Records a push of `id`: `error` is `None` when it worked.
    pub async fn record_push(
        &self,
        access: &OrgAccess,
        name: &DomainName,
        id: &str,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE domains SET pushed_id = $3, pushed_at = $4, push_error = $5 WHERE org_id = $1 AND name = $2";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(access.org_id)
            .bind(name.as_str())
            .bind(id)
            .bind(now())
            .bind(error)
            .execute(db)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}
