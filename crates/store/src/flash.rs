//! One-time messages of a session, kept in the database so that the page after a redirect finds
//! them whichever instance serves it. The store sees them sealed (see the service's `flash`).

use crate::{now, Store, StoreError};

/// How long a message waits for its page; older ones are never shown and are purged.
pub const FLASH_TTL_SECS: i64 = 600;

impl Store {
    /// Keeps one sealed message for the session whose token hashes to `session_hash`.
    pub async fn push_flash(&self, session_hash: &str, sealed: &str) -> Result<(), StoreError> {
        let sql = "INSERT INTO flash_messages (session_hash, sealed, created_at) VALUES ($1, $2, $3)";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(session_hash)
            .bind(sealed)
            .bind(now())
            .execute(db)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Takes the session's waiting messages, oldest first: one statement deletes and returns
    /// them, so two pages loading at once cannot both show a one-time secret.
    pub async fn take_flashes(&self, session_hash: &str) -> Result<Vec<String>, StoreError> {
        let sql = "DELETE FROM flash_messages WHERE session_hash = $1 RETURNING id, sealed, created_at";
        let mut rows: Vec<(i64, String, i64)> =
            on_pool!(self, |db| sqlx::query_as(sql).bind(session_hash).fetch_all(db).await)?;
        rows.sort_by_key(|r| r.0);
        let fresh_after = now() - FLASH_TTL_SECS;
        Ok(rows.into_iter().filter(|r| r.2 > fresh_after).map(|r| r.1).collect())
    }

    /// Drops messages nobody came back for; how many went.
    pub async fn purge_flashes(&self) -> Result<u64, StoreError> {
        let sql = "DELETE FROM flash_messages WHERE created_at <= $1";
        Ok(on_pool!(self, |db| sqlx::query(sql)
            .bind(now() - FLASH_TTL_SECS)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?)
    }
}
