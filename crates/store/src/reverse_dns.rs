//! The reverse DNS cache of sending MTA addresses. Not tenant-scoped: PTR records are public, and
//! callers only ask for addresses found in reports the user may read.

use crate::{Store, StoreError};
use serde::{Deserialize, Serialize};
use sqlx::Row;
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

    fn parse(s: &str) -> Self {
        match s {
            "found" => Self::Found,
            "none" => Self::None,
            _ => Self::Error,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReverseEntry {
    pub ip: String,
    pub name: Option<String>,
    /// The name resolves back to the address.
    pub confirmed: bool,
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
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT ip, name, confirmed, status, looked_up_at, expires_at FROM reverse_dns \
                 WHERE expires_at > $1 AND ip IN ({})",
                marks.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(now);
            for ip in chunk {
                query = query.bind(ip.as_str());
            }
            for r in query.fetch_all(&self.pool).await? {
                let entry = ReverseEntry {
                    ip: r.try_get("ip")?,
                    name: r.try_get("name")?,
                    confirmed: r.try_get::<i64, _>("confirmed")? != 0,
                    status: ReverseStatus::parse(&r.try_get::<String, _>("status")?),
                    looked_up_at: r.try_get("looked_up_at")?,
                    expires_at: r.try_get("expires_at")?,
                };
                found.insert(entry.ip.clone(), entry);
            }
        }
        Ok(found)
    }

    /// Saves a look-up's result, replacing what was cached for the address.
    pub async fn save_reverse_dns(&self, entry: &ReverseEntry) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO reverse_dns (ip, name, confirmed, status, looked_up_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ip) DO UPDATE SET name = excluded.name, \
             confirmed = excluded.confirmed, status = excluded.status, \
             looked_up_at = excluded.looked_up_at, expires_at = excluded.expires_at",
        )
        .bind(entry.ip.as_str())
        .bind(entry.name.as_deref())
        .bind(i64::from(entry.confirmed))
        .bind(entry.status.as_str())
        .bind(entry.looked_up_at)
        .bind(entry.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
