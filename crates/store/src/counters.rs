//! Attempts counted per key in a fixed window (sign-in failures, reports per address), shared
//! by every instance on the database. Counting is one statement: the upsert counts only while
//! the key is under its limit (or its window is over), so parallel attempts on any number of
//! instances cannot overshoot it (PostgreSQL locks the conflicting row and re-checks the
//! condition on its newest version; SQLite has one writer).

use crate::{now, Store, StoreError};

impl Store {
    /// Counts one attempt for `key` within a window of `window_secs`, or `Err(seconds until the
    /// window ends)` when `limit` attempts were already counted in it.
    pub async fn count_attempt(&self, key: &str, limit: i64, window_secs: i64) -> Result<Result<(), u64>, StoreError> {
        let t = now();
        let sql = "INSERT INTO rate_counters (key, window_start, attempts) VALUES ($1, $2, 1) \
                   ON CONFLICT (key) DO UPDATE SET \
                     attempts = CASE WHEN rate_counters.window_start <= $3 THEN 1 ELSE rate_counters.attempts + 1 END, \
                     window_start = CASE WHEN rate_counters.window_start <= $3 THEN excluded.window_start \
                                         ELSE rate_counters.window_start END \
                   WHERE rate_counters.window_start <= $3 OR rate_counters.attempts < $4";
        let counted = on_pool!(self, |db| sqlx::query(sql)
            .bind(key)
            .bind(t)
            .bind(t - window_secs)
            .bind(limit)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        if counted == 1 {
            return Ok(Ok(()));
        }
        let sql = "SELECT window_start FROM rate_counters WHERE key = $1";
        let start: Option<i64> = on_pool!(self, |db| sqlx::query_scalar(sql).bind(key).fetch_optional(db).await)?;
        let ends = start.unwrap_or(t) + window_secs;
        Ok(Err(u64::try_from(ends - now()).unwrap_or(0).max(1)))
    }

    /// Takes back one counted attempt (it succeeded, or failed through no fault of the client).
    pub async fn forgive_attempt(&self, key: &str) -> Result<(), StoreError> {
        let sql = "UPDATE rate_counters SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0";
        on_pool!(self, |db| sqlx::query(sql).bind(key).execute(db).await.map(|_| ()))?;
        Ok(())
    }

    /// Forgets every attempt counted for `key`.
    pub async fn reset_attempts(&self, key: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM rate_counters WHERE key = $1";
        on_pool!(self, |db| sqlx::query(sql).bind(key).execute(db).await.map(|_| ()))?;
        Ok(())
    }

    /// Drops counters whose window ended before `window_secs` ago; how many went.
    pub async fn purge_counters(&self, window_secs: i64) -> Result<u64, StoreError> {
        let sql = "DELETE FROM rate_counters WHERE window_start <= $1";
        Ok(on_pool!(self, |db| sqlx::query(sql)
            .bind(now() - window_secs)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?)
    }
}
