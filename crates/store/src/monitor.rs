//! The DNS monitor's work list, shared by the instances on one database. Each domain keeps the
//! time it is next due (indexed); an instance claims a batch of due domains in one statement
//! (on PostgreSQL skipping domains another instance is claiming; SQLite has one writer), so two
//! instances never check the same domain in one round, and N instances on separate machines get
//! through the domains about N times faster.

use crate::{now, Backend, Store, StoreError};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// How long a claim keeps other instances off a domain: long enough for any one check (they
/// time out within a minute), short enough that the domains of an instance that died are
/// checked by another soon after.
pub const MONITOR_CLAIM_SECS: i64 = 600;

/// Numbers this process's claim batches, so a batch is read back by (holder, batch).
static BATCHES: AtomicI64 = AtomicI64::new(1);

/// When domains fall due: `interval` seconds after their last check, less a fixed offset per
/// domain below `spread`, so that domains added together drift apart instead of all falling due
/// in the same minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonitorSchedule {
    pub now: i64,
    pub interval: i64,
    pub spread: i64,
}

impl MonitorSchedule {
    /// Checks every `interval`, spread over its last tenth, as of now.
    pub fn every(interval: Duration) -> Self {
        let interval = i64::try_from(interval.as_secs()).unwrap_or(i64::MAX / 4);
        Self {
            now: now(),
            interval,
            spread: (interval / 10).max(1),
        }
    }
}

impl MonitorSchedule {
    /// When a domain checked at `checked_at` is due again: one interval later, less the
    /// domain's fixed offset within the spread.
    pub fn next_due(&self, checked_at: i64, domain_id: i64) -> i64 {
        checked_at
            .saturating_add(self.interval)
            .saturating_sub(domain_id.wrapping_mul(7919).rem_euclid(self.spread.max(1)))
    }
}

/// A domain the monitor claimed for checking.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MonitorTarget {
    pub id: i64,
    pub domain: String,
    pub proof_token: String,
    pub proven_at: Option<i64>,
    pub dns_setup: String,
}

macro_rules! claim_sql {
    ($lock:literal) => {
        concat!(
            "INSERT INTO monitor_claims (domain_id, holder, batch, expires_at) SELECT id, $1, $2, $3 FROM ",
            "(SELECT d.id FROM domains d WHERE d.monitor_due_at <= $4 AND NOT EXISTS (SELECT 1 FROM ",
            "monitor_claims m WHERE m.domain_id = d.id AND m.expires_at > $4) ORDER BY d.monitor_due_at ",
            "LIMIT $5 ",
            $lock,
            ") AS picked WHERE true ON CONFLICT (domain_id) DO UPDATE SET holder = excluded.holder, ",
            "batch = excluded.batch, expires_at = excluded.expires_at WHERE monitor_claims.expires_at <= $4"
        )
    };
}
const CLAIM_POSTGRES: &str = claim_sql!("FOR UPDATE OF d SKIP LOCKED");
const CLAIM_SQLITE: &str = claim_sql!("");

impl Store {
    /// Brings forward due times set under a longer interval than `schedule`'s, so a shortened
    /// interval applies at once rather than after each domain's next check. Cheap: the index
    /// finds the (usually no) domains due later than one interval from now.
    pub async fn monitor_reschedule(&self, schedule: &MonitorSchedule) -> Result<(), StoreError> {
        let sql = "UPDATE domains SET monitor_due_at = $1 WHERE monitor_due_at > $2";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(schedule.now)
            .bind(schedule.now.saturating_add(schedule.interval))
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Claims for `holder` up to `limit` domains that are due as of `schedule.now` and claimed
    /// by no one (never checked first, then the longest due), and returns them. Empty when
    /// nothing is due, or every due domain is being checked elsewhere.
    pub async fn claim_monitor(
        &self,
        schedule: &MonitorSchedule,
        holder: &str,
        limit: i64,
    ) -> Result<Vec<MonitorTarget>, StoreError> {
        let batch = BATCHES.fetch_add(1, Ordering::Relaxed);
        // The due-time index gives the batch without reading other domains. On PostgreSQL the
        // picked domains are locked, skipping those another instance's claim has locked, so
        // racing instances take different batches instead of waiting and colliding. SQLite has
        // one writer at a time. The WHERE before ON CONFLICT keeps SQLite's parser from reading
        // ON as a join's.
        let claim = match self.backend() {
            Backend::Postgres => CLAIM_POSTGRES,
            Backend::Sqlite => CLAIM_SQLITE,
        };
        // A claim that finds its picks taken after all (their claims committed while it ran)
        // is tried again, seeing them; nothing claimed three times in a row means nothing
        // unclaimed is due.
        let mut claimed = 0;
        for _ in 0..3 {
            claimed = on_pool!(self, |db| sqlx::query(claim)
                .bind(holder)
                .bind(batch)
                .bind(schedule.now + MONITOR_CLAIM_SECS)
                .bind(schedule.now)
                .bind(limit)
                .execute(db)
                .await
                .map(|done| done.rows_affected()))?;
            if claimed > 0 {
                break;
            }
        }
        if claimed == 0 {
            return Ok(Vec::new());
        }
        let read = "SELECT d.id, d.name AS domain, d.proof_token, d.proven_at, d.dns_setup \
                    FROM monitor_claims m JOIN domains d ON d.id = m.domain_id \
                    WHERE m.holder = $1 AND m.batch = $2 ORDER BY d.id";
        Ok(on_pool!(self, |db| sqlx::query_as(read)
            .bind(holder)
            .bind(batch)
            .fetch_all(db)
            .await)?)
    }

    /// Gives up `holder`'s claims (a clean stop), so the domains it had not checked yet are
    /// checked by another instance at once.
    pub async fn release_monitor_claims(&self, holder: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM monitor_claims WHERE holder = $1";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(holder)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// The policy a domain serves (platform-wide, for the monitor): `(policy id, text)`.
    pub async fn monitor_policy(&self, domain: &str) -> Result<Option<(String, String)>, StoreError> {
        let sql = "SELECT v.policy_id, v.body FROM policy_versions v JOIN domains d ON d.id = v.domain_id \
                   WHERE d.name = $1 ORDER BY v.id DESC LIMIT 1";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(domain)
            .fetch_optional(db)
            .await)?)
    }
}
