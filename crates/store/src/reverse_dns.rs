//! The reverse DNS cache of sending MTA addresses. Not tenant-scoped: PTR records are public, and
//! callers only ask for addresses found in reports the user may read.

use crate::{Store, StoreError};
use serde::{Deserialize, Serialize};
use sqlx::QueryBuilder;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReverseStatus {
    /// The address has a PTR name.
    Found,
    /// The address has no PTR record.
    None,
    /// The look-up failed (timeout, server failure); retried sooner.
    Error,
}

impl ReverseStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Found => "found",
            Self::None => "none",
            Self::Error => "error",
        }
    }
}

/// As stored; anything unknown reads as an error, which is looked up again soon.
impl From<String> for ReverseStatus {
    fn from(text: String) -> Self {
        match text.as_str() {
            "found" => Self::Found,
            "none" => Self::None,
            _ => Self::Error,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ReverseEntry {
    pub ip: String,
    pub name: Option<String>,
    /// The name resolves back to the address.
    pub confirmed: bool,
    #[sqlx(try_from = "String")]
    pub status: ReverseStatus,
    pub looked_up_at: i64,
    pub expires_at: i64,
}

impl Store {
    /// The cached entries of `ips` that have not expired at `now`.
    pub async fn reverse_dns_cached(
        &self,
        ips: &[String],
        now: i64,
    ) -> Result<HashMap<String, ReverseEntry>, StoreError> {
        let mut found = HashMap::new();
        // Bounded IN lists: SQLite allows 32,766 parameters, PostgreSQL 65,535.
        for chunk in ips.chunks(500) {
            let entries: Vec<ReverseEntry> = on_pool!(self, |db| {
                let mut query = QueryBuilder::new(
                    "SELECT ip, name, confirmed <> 0 AS confirmed, status, looked_up_at, expires_at FROM reverse_dns \
                     WHERE expires_at > ",
                );
                query.push_bind(now).push(" AND ip IN (");
                let mut list = query.separated(", ");
                for ip in chunk {
                    list.push_bind(ip.as_str());
                }
                query.push(")").build_query_as().fetch_all(db).await
            })?;
            found.extend(entries.into_iter().map(|entry| (entry.ip.clone(), entry)));
        }
        Ok(found)
    }

    /// Saves a look-up's result, replacing what was cached for the address.
    pub async fn save_reverse_dns(&self, entry: &ReverseEntry) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let sql = "INSERT INTO reverse_dns (ip, name, confirmed, status, looked_up_at, expires_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ip) DO UPDATE SET name = excluded.name, \
                   confirmed = excluded.confirmed, status = excluded.status, \
                   looked_up_at = excluded.looked_up_at, expires_at = excluded.expires_at";
        on_tx!(tx, |conn| sqlx::query(sql)
            .bind(entry.ip.as_str())
            .bind(entry.name.as_deref())
            .bind(i64::from(entry.confirmed))
            .bind(entry.status.as_str())
            .bind(entry.looked_up_at)
            .bind(entry.expires_at)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))?;
        tx.commit().await?;
        Ok(())
    }
}
