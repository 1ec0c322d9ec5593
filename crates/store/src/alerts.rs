//! Alerts and where they go: raised alerts (at most one per domain, kind and UTC day, which is
//! the digest), each organisation's channels, and what the alert pass reads platform-wide.

use portcullis_domain::models::{AlertChannel, AlertRow};
use portcullis_domain::Role;

use crate::pool::WriteTx;
use crate::{OrgAccess, Store, StoreError};

/// A domain's certificate state, for the certificate rules of the alert pass.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CertWatch {
    pub domain: String,
    pub name: String,
    pub not_after: Option<i64>,
    pub failures: i64,
    pub last_error: Option<String>,
}

/// A domain's current policy id, when it was set, and the latest DNS check (findings JSON).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IdWatch {
    pub domain: String,
    pub policy_id: String,
    pub changed_at: i64,
    pub checked_at: Option<i64>,
    pub findings: Option<String>,
}

/// Session totals and failures by result type of one domain over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateWatch {
    pub domain: String,
    pub successful: i64,
    pub failed: i64,
    pub failed_by_result: Vec<(String, i64)>,
}

const CHANNEL_COLUMNS: &str = "id, org_id, kind, target, created_by, created_at, sent_through, last_sent_at, \
                               last_error, last_error_at";

/// The UTC calendar day of a Unix time, `YYYY-MM-DD`.
pub fn utc_day(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Raises an alert inside a write transaction; false when the domain already had one of this
/// kind today.
pub(crate) async fn raise_in(
    tx: &mut WriteTx,
    domain_id: i64,
    kind: &str,
    detail: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let sql = "INSERT INTO alerts (org_id, domain_id, domain, kind, day, detail, created_at) \
               SELECT org_id, id, name, $2, $3, $4, $5 FROM domains WHERE id = $1 \
               ON CONFLICT (domain_id, kind, day) DO NOTHING";
    let inserted = on_tx!(tx, |conn| sqlx::query(sql)
        .bind(domain_id)
        .bind(kind)
        .bind(utc_day(at))
        .bind(detail)
        .bind(at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(inserted > 0)
}

impl Store {
    /// Raises an alert for `domain` (platform-wide, for the alert pass). False when the domain
    /// already had one of this kind today, or no longer exists.
    pub async fn raise_alert(&self, domain: &str, kind: &str, detail: &str, at: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let sql = "SELECT id FROM domains WHERE name = $1";
        let id: Option<i64> = on_tx!(tx, |conn| sqlx::query_scalar(sql)
            .bind(domain)
            .fetch_optional(conn)
            .await)?;
        let Some(id) = id else {
            return Ok(false);
        };
        let raised = raise_in(&mut tx, id, kind, detail, at).await?;
        tx.commit().await?;
        Ok(raised)
    }

    /// The organisation's latest alerts, newest first.
    pub async fn recent_alerts(&self, access: &OrgAccess, limit: i64) -> Result<Vec<AlertRow>, StoreError> {
        let sql = "SELECT id, domain, kind, detail, created_at FROM alerts WHERE org_id = $1 ORDER BY id DESC LIMIT $2";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .bind(limit.clamp(1, 500))
            .fetch_all(db)
            .await)?)
    }

    /// The organisation's alert channels, in the order they were added.
    pub async fn alert_channels(&self, access: &OrgAccess) -> Result<Vec<AlertChannel>, StoreError> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM alert_channels WHERE org_id = $1 ORDER BY id");
        Ok(on_pool!(self, |db| sqlx::query_as(&sql)
            .bind(access.org_id)
            .fetch_all(db)
            .await)?)
    }

    /// One of the organisation's channels.
    pub async fn alert_channel(&self, access: &OrgAccess, id: i64) -> Result<AlertChannel, StoreError> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM alert_channels WHERE org_id = $1 AND id = $2");
        let channel: Option<AlertChannel> = on_pool!(self, |db| sqlx::query_as(&sql)
            .bind(access.org_id)
            .bind(id)
            .fetch_optional(db)
            .await)?;
        channel.ok_or(StoreError::NotFound)
    }

    /// Adds a channel (owners). It receives alerts raised from now on, not the backlog.
    /// `Duplicate` when the organisation already has it.
    pub async fn add_alert_channel(
        &self,
        access: &OrgAccess,
        kind: &str,
        target: &str,
        actor: &str,
        at: i64,
    ) -> Result<AlertChannel, StoreError> {
        access.require(Role::Owner)?;
        let mut tx = self.begin_write().await?;
        let existing = "SELECT id FROM alert_channels WHERE org_id = $1 AND kind = $2 AND target = $3";
        let exists: Option<i64> = on_tx!(tx, |conn| sqlx::query_scalar(existing)
            .bind(access.org_id)
            .bind(kind)
            .bind(target)
            .fetch_optional(conn)
            .await)?;
        if exists.is_some() {
            return Err(StoreError::Duplicate("this alert channel".into()));
        }
        let latest = "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM alerts WHERE org_id = $1";
        let through: i64 = on_tx!(tx, |conn| sqlx::query_scalar(latest)
            .bind(access.org_id)
            .fetch_one(conn)
            .await)?;
        let insert = format!(
            "INSERT INTO alert_channels (org_id, kind, target, created_by, created_at, sent_through) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {CHANNEL_COLUMNS}"
        );
        let channel: AlertChannel = on_tx!(tx, |conn| sqlx::query_as(&insert)
            .bind(access.org_id)
            .bind(kind)
            .bind(target)
            .bind(actor)
            .bind(at)
            .bind(through)
            .fetch_one(conn)
            .await)?;
        tx.commit().await?;
        Ok(channel)
    }

    /// Removes a channel (owners).
    pub async fn delete_alert_channel(&self, access: &OrgAccess, id: i64) -> Result<(), StoreError> {
        access.require(Role::Owner)?;
        let sql = "DELETE FROM alert_channels WHERE org_id = $1 AND id = $2";
        let deleted = on_pool!(self, |db| sqlx::query(sql)
            .bind(access.org_id)
            .bind(id)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Channels with alerts they have not been sent yet (platform-wide, for the alert pass).
    pub async fn channels_with_pending(&self) -> Result<Vec<AlertChannel>, StoreError> {
        let sql = format!(
            "SELECT {CHANNEL_COLUMNS} FROM alert_channels c WHERE EXISTS \
             (SELECT 1 FROM alerts a WHERE a.org_id = c.org_id AND a.id > c.sent_through) ORDER BY id"
        );
        Ok(on_pool!(self, |db| sqlx::query_as(&sql).fetch_all(db).await)?)
    }

    /// The alerts a channel has not been sent yet, oldest first.
    pub async fn pending_alerts(&self, channel: &AlertChannel, limit: i64) -> Result<Vec<AlertRow>, StoreError> {
        let sql = "SELECT id, domain, kind, detail, created_at FROM alerts WHERE org_id = $1 AND id > $2 \
                   ORDER BY id LIMIT $3";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(channel.org_id)
            .bind(channel.sent_through)
            .bind(limit.clamp(1, 1000))
            .fetch_all(db)
            .await)?)
    }

    /// Records a delivery to a channel: alerts up to `through` were sent (a test send passes
    /// the channel's own `sent_through`).
    pub async fn alert_channel_sent(&self, channel_id: i64, through: i64, at: i64) -> Result<(), StoreError> {
        let sql =
            "UPDATE alert_channels SET sent_through = CASE WHEN sent_through > $2 THEN sent_through ELSE $2 END, \
                   last_sent_at = $3, last_error = NULL, last_error_at = NULL WHERE id = $1";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(channel_id)
            .bind(through)
            .bind(at)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Records a failed delivery; the alerts stay pending for the next pass.
    pub async fn alert_channel_failed(&self, channel_id: i64, error: &str, at: i64) -> Result<(), StoreError> {
        let sql = "UPDATE alert_channels SET last_error = $2, last_error_at = $3 WHERE id = $1";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(channel_id)
            .bind(error)
            .bind(at)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Every managed policy-host certificate, with its expiry and renewal state.
    pub async fn cert_watch(&self) -> Result<Vec<CertWatch>, StoreError> {
        let sql = "SELECT d.name AS domain, c.name, c.not_after, c.failures, c.last_error FROM certificates c \
                   JOIN domains d ON d.id = c.domain_id ORDER BY d.name";
        Ok(on_pool!(self, |db| sqlx::query_as(sql).fetch_all(db).await)?)
    }

    /// Domains whose policy changed before `changed_before`, with their latest check.
    pub async fn id_watch(&self, changed_before: i64) -> Result<Vec<IdWatch>, StoreError> {
        let sql = "SELECT d.name AS domain, v.policy_id, v.created_at AS changed_at, c.checked_at, c.findings \
                   FROM domains d \
                   JOIN policy_versions v ON v.id = (SELECT MAX(id) FROM policy_versions WHERE domain_id = d.id) \
                   LEFT JOIN dns_checks c ON c.id = (SELECT MAX(id) FROM dns_checks WHERE domain_id = d.id) \
                   WHERE v.created_at < $1 AND (d.policy_retire_at IS NULL OR d.policy_retire_at > $1) ORDER BY d.name";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(changed_before)
            .fetch_all(db)
            .await)?)
    }

    /// Per domain with reports starting in `[from, to)`: sessions and failures by result type.
    /// Summed as floating point and saturated into `i64`: senders supply the counts, and a sum
    /// past `i64` must not fail the rule (PostgreSQL refuses the cast, SQLite's SUM overflows).
    pub async fn rate_watch(&self, from: i64, to: i64) -> Result<Vec<RateWatch>, StoreError> {
        let totals = "SELECT d.name, SUM(CAST(r.successful AS DOUBLE PRECISION)), \
                      SUM(CAST(r.failed AS DOUBLE PRECISION)) FROM tlsrpt_reports r JOIN domains d ON d.id = r.domain_id \
                      WHERE r.start_at >= $1 AND r.start_at < $2 GROUP BY d.name ORDER BY d.name";
        let failures = "SELECT d.name, f.result_type, SUM(CAST(f.failed AS DOUBLE PRECISION)) FROM tlsrpt_failures f \
                        JOIN domains d ON d.id = f.domain_id WHERE f.start_at >= $1 AND f.start_at < $2 \
                        GROUP BY d.name, f.result_type";
        // (domain, successful, failed) and (domain, result type, failed).
        let totals: Vec<(String, f64, f64)> = on_pool!(self, |db| sqlx::query_as(totals)
            .bind(from)
            .bind(to)
            .fetch_all(db)
            .await)?;
        let failures: Vec<(String, String, f64)> = on_pool!(self, |db| sqlx::query_as(failures)
            .bind(from)
            .bind(to)
            .fetch_all(db)
            .await)?;
        let mut out: Vec<RateWatch> = totals
            .into_iter()
            .map(|(domain, successful, failed)| RateWatch {
                domain,
                successful: saturated(successful),
                failed: saturated(failed),
                failed_by_result: Vec::new(),
            })
            .collect();
        let index: std::collections::HashMap<String, usize> =
            out.iter().enumerate().map(|(i, w)| (w.domain.clone(), i)).collect();
        for (domain, result_type, failed) in failures {
            if let Some(&i) = index.get(&domain) {
                out[i].failed_by_result.push((result_type, saturated(failed)));
            }
        }
        Ok(out)
    }
}

/// A float sum as `i64`: `as` saturates at the ends and maps NaN to 0.
fn saturated(sum: f64) -> i64 {
    sum as i64
}
