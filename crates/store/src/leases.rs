//! Leases on periodic jobs, so that several instances on one database run each job once. One
//! statement takes or renews a lease: atomic on both engines (PostgreSQL locks the conflicting
//! row and re-checks the condition on its newest version; SQLite has one writer).

use crate::{now, Store, StoreError};

impl Store {
    /// Takes the lease on `job` for `holder` until `ttl_secs` from now, or renews it when
    /// `holder` already has it: true when `holder` holds it afterwards. Another holder's lease
    /// is taken over only once it has expired.
    pub async fn try_lease(&self, job: &str, holder: &str, ttl_secs: i64) -> Result<bool, StoreError> {
        let t = now();
        let sql = "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
                   WHERE job_leases.holder = excluded.holder OR job_leases.expires_at <= $4";
        let changed = on_pool!(self, |db| sqlx::query(sql)
            .bind(job)
            .bind(holder)
            .bind(t + ttl_secs)
            .bind(t)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(changed == 1)
    }

    /// Gives up `holder`'s leases (a clean stop), so another instance takes the jobs at once.
    pub async fn release_leases(&self, holder: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM job_leases WHERE holder = $1";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(holder)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }
}
