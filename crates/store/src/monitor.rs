//! The DNS monitor's work list, shared by the instances on one database. An instance claims a
//! batch of due domains in one statement (PostgreSQL locks a conflicting row and re-checks the
//! claim's condition on its newest version; SQLite has one writer), so two instances never check
//! the same domain in one round, and N instances on separate machines get through the domains
//! about N times faster.

use crate::{now, Store, StoreError};
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

/// A domain the monitor claimed for checking.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MonitorTarget {
    pub id: i64,
    pub domain: String,
}

/// A multiplier that orders domain ids differently per holder: `(id * m) % 1000003` is a
/// permutation of the ids below that prime, a different one for each `m`.
fn shuffle(holder: &str) -> i64 {
    let hash = holder.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (hash % 1_000_002) as i64 + 1
}

impl Store {
    /// Claims for `holder` up to `limit` domains that are due under `schedule` and claimed by no
    /// one (never checked first), and returns them. Empty when
    /// nothing is due, or every due domain is being checked elsewhere.
    pub async fn claim_monitor(
        &self,
        schedule: &MonitorSchedule,
        holder: &str,
        limit: i64,
    ) -> Result<Vec<MonitorTarget>, StoreError> {
        let batch = BATCHES.fetch_add(1, Ordering::Relaxed);
        // Picked in this holder's order, claimed in id order: two instances' statements then
        // lock their conflicting rows in the same order and wait for each other, never deadlock.
        // The WHERE before ON CONFLICT keeps SQLite's parser from reading ON as a join's.
        let claim = "INSERT INTO monitor_claims (domain_id, holder, batch, expires_at) \
                     SELECT id, $1, $2, $3 FROM (SELECT id FROM (SELECT d.id, (SELECT MAX(c.checked_at) \
                     FROM dns_checks c WHERE c.domain_id = d.id) AS last FROM domains d WHERE NOT EXISTS \
                     (SELECT 1 FROM monitor_claims m WHERE m.domain_id = d.id AND m.expires_at > $4)) AS t \
                     WHERE last IS NULL OR last + $5 - ((id * 7919) % $6) <= $4 \
                     ORDER BY last IS NOT NULL, (id * $8) % 1000003 LIMIT $7) AS picked WHERE true ORDER BY id \
                     ON CONFLICT (domain_id) DO UPDATE SET holder = excluded.holder, batch = excluded.batch, \
                     expires_at = excluded.expires_at WHERE monitor_claims.expires_at <= $4";
        // Each instance takes the due domains in its own order (never-checked ones first), so
        // instances claiming at the same moment rarely pick the same ones. On PostgreSQL one
        // that lost all its picks to another tries again, seeing the claims just made. Nothing
        // claimed three times in a row means nothing unclaimed is due.
        let mut claimed = 0;
        for _ in 0..3 {
            claimed = on_pool!(self, |db| sqlx::query(claim)
                .bind(holder)
                .bind(batch)
                .bind(schedule.now + MONITOR_CLAIM_SECS)
                .bind(schedule.now)
                .bind(schedule.interval)
                .bind(schedule.spread.max(1))
                .bind(limit)
                .bind(shuffle(holder))
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
        let read = "SELECT d.id, d.name AS domain FROM monitor_claims m JOIN domains d ON d.id = m.domain_id \
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
