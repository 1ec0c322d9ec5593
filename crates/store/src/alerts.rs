//! Alerts and where they go: raised alerts (at most one per domain, kind and UTC day, which is
//! the digest), each organisation's channels, and what the alert pass reads platform-wide.

use portcullis_domain::Role;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::policies::WriteTx;
use crate::{OrgAccess, Store, StoreError};

/// A raised alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRow {
    pub id: i64,
    pub domain: String,
    /// `dns_error`, `mx_drift`, `cert_expiring`, `renewal_failed`, `failure_rate`, `dns_id_stale`.
    pub kind: String,
    pub detail: String,
    pub created_at: i64,
}

/// One of an organisation's alert destinations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertChannel {
    pub id: i64,
    pub org_id: i64,
    /// `email`, `webhook` or `slack`.
    pub kind: String,
    /// An e-mail address or a URL.
    pub target: String,
    pub created_by: String,
    pub created_at: i64,
    /// The last alert sent to it.
    pub sent_through: i64,
    pub last_sent_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
}

/// A domain's certificate state, for the certificate rules of the alert pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertWatch {
    pub domain: String,
    pub name: String,
    pub not_after: Option<i64>,
    pub failures: i64,
    pub last_error: Option<String>,
}

/// A domain's current policy id, when it was set, and the latest DNS check (findings JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
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

fn channel_of(r: &sqlx::any::AnyRow) -> Result<AlertChannel, sqlx::Error> {
    Ok(AlertChannel {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        kind: r.try_get("kind")?,
        target: r.try_get("target")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        sent_through: r.try_get("sent_through")?,
        last_sent_at: r.try_get("last_sent_at")?,
        last_error: r.try_get("last_error")?,
        last_error_at: r.try_get("last_error_at")?,
    })
}

fn alert_of(r: &sqlx::any::AnyRow) -> Result<AlertRow, sqlx::Error> {
    Ok(AlertRow {
        id: r.try_get("id")?,
        domain: r.try_get("domain")?,
        kind: r.try_get("kind")?,
        detail: r.try_get("detail")?,
        created_at: r.try_get("created_at")?,
    })
}

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
    let done = sqlx::query(
        "INSERT INTO alerts (org_id, domain_id, domain, kind, day, detail, created_at) \
         SELECT org_id, id, name, $2, $3, $4, $5 FROM domains WHERE id = $1 \
         ON CONFLICT (domain_id, kind, day) DO NOTHING",
    )
    .bind(domain_id)
    .bind(kind)
    .bind(utc_day(at))
    .bind(detail)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

impl Store {
    /// Raises an alert for `domain` (platform-wide, for the alert pass). False when the domain
    /// already had one of this kind today, or no longer exists.
    pub async fn raise_alert(&self, domain: &str, kind: &str, detail: &str, at: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let id: Option<i64> = sqlx::query("SELECT id FROM domains WHERE name = $1")
            .bind(domain)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()?;
        let Some(id) = id else {
            return Ok(false);
        };
        let raised = raise_in(&mut tx, id, kind, detail, at).await?;
        tx.commit().await?;
        Ok(raised)
    }

    /// The organisation's latest alerts, newest first.
    pub async fn recent_alerts(&self, access: &OrgAccess, limit: i64) -> Result<Vec<AlertRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, domain, kind, detail, created_at FROM alerts WHERE org_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(access.org_id)
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(alert_of).collect::<Result<_, _>>()?)
    }

    /// The organisation's alert channels, in the order they were added.
    pub async fn alert_channels(&self, access: &OrgAccess) -> Result<Vec<AlertChannel>, StoreError> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM alert_channels WHERE org_id = $1 ORDER BY id");
        let rows = sqlx::query(&sql).bind(access.org_id).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(channel_of).collect::<Result<_, _>>()?)
    }

    /// One of the organisation's channels.
    pub async fn alert_channel(&self, access: &OrgAccess, id: i64) -> Result<AlertChannel, StoreError> {
        let sql = format!("SELECT {CHANNEL_COLUMNS} FROM alert_channels WHERE org_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(access.org_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(channel_of(&row)?)
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
        let exists = sqlx::query("SELECT 1 AS one FROM alert_channels WHERE org_id = $1 AND kind = $2 AND target = $3")
            .bind(access.org_id)
            .bind(kind)
            .bind(target)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::Duplicate("this alert channel".into()));
        }
        let through: i64 =
            sqlx::query("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS id FROM alerts WHERE org_id = $1")
                .bind(access.org_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("id")?;
        let sql = format!(
            "INSERT INTO alert_channels (org_id, kind, target, created_by, created_at, sent_through) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {CHANNEL_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(access.org_id)
            .bind(kind)
            .bind(target)
            .bind(actor)
            .bind(at)
            .bind(through)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(channel_of(&row)?)
    }

    /// Removes a channel (owners).
    pub async fn delete_alert_channel(&self, access: &OrgAccess, id: i64) -> Result<(), StoreError> {
        access.require(Role::Owner)?;
        let done = sqlx::query("DELETE FROM alert_channels WHERE org_id = $1 AND id = $2")
            .bind(access.org_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
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
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        Ok(rows.iter().map(channel_of).collect::<Result<_, _>>()?)
    }

    /// The alerts a channel has not been sent yet, oldest first.
    pub async fn pending_alerts(&self, channel: &AlertChannel, limit: i64) -> Result<Vec<AlertRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, domain, kind, detail, created_at FROM alerts WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(channel.org_id)
        .bind(channel.sent_through)
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(alert_of).collect::<Result<_, _>>()?)
    }

    /// Records a delivery to a channel: alerts up to `through` were sent (a test send passes
    /// the channel's own `sent_through`).
    pub async fn alert_channel_sent(&self, channel_id: i64, through: i64, at: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE alert_channels SET sent_through = CASE WHEN sent_through > $2 THEN sent_through ELSE $2 END, \
             last_sent_at = $3, last_error = NULL, last_error_at = NULL WHERE id = $1",
        )
        .bind(channel_id)
        .bind(through)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed delivery; the alerts stay pending for the next pass.
    pub async fn alert_channel_failed(&self, channel_id: i64, error: &str, at: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE alert_channels SET last_error = $2, last_error_at = $3 WHERE id = $1")
            .bind(channel_id)
            .bind(error)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every managed policy-host certificate, with its expiry and renewal state.
    pub async fn cert_watch(&self) -> Result<Vec<CertWatch>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.name AS domain, c.name, c.not_after, c.failures, c.last_error FROM certificates c \
             JOIN domains d ON d.id = c.domain_id ORDER BY d.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CertWatch {
                    domain: r.try_get("domain")?,
                    name: r.try_get("name")?,
                    not_after: r.try_get("not_after")?,
                    failures: r.try_get("failures")?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Domains whose policy changed before `changed_before`, with their latest check.
    pub async fn id_watch(&self, changed_before: i64) -> Result<Vec<IdWatch>, StoreError> {
        let rows = sqlx::query(
            "SELECT d.name AS domain, v.policy_id, v.created_at, c.checked_at, c.findings FROM domains d \
             JOIN policy_versions v ON v.id = (SELECT MAX(id) FROM policy_versions WHERE domain_id = d.id) \
             LEFT JOIN dns_checks c ON c.id = (SELECT MAX(id) FROM dns_checks WHERE domain_id = d.id) \
             WHERE v.created_at < $1 AND (d.policy_retire_at IS NULL OR d.policy_retire_at > $1) ORDER BY d.name",
        )
        .bind(changed_before)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(IdWatch {
                    domain: r.try_get("domain")?,
                    policy_id: r.try_get("policy_id")?,
                    changed_at: r.try_get("created_at")?,
                    checked_at: r.try_get("checked_at")?,
                    findings: r.try_get("findings")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Per domain with reports starting in `[from, to)`: sessions and failures by result type.
    /// Summed as floating point and saturated into `i64`: senders supply the counts, and a sum
    /// past `i64` must not fail the rule (PostgreSQL refuses the cast, SQLite's SUM overflows).
    pub async fn rate_watch(&self, from: i64, to: i64) -> Result<Vec<RateWatch>, StoreError> {
        let totals = sqlx::query(
            "SELECT d.name AS domain, SUM(CAST(r.successful AS DOUBLE PRECISION)) AS successful, \
             SUM(CAST(r.failed AS DOUBLE PRECISION)) AS failed FROM tlsrpt_reports r JOIN domains d ON d.id = r.domain_id \
             WHERE r.start_at >= $1 AND r.start_at < $2 GROUP BY d.name ORDER BY d.name",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let failures = sqlx::query(
            "SELECT d.name AS domain, f.result_type, SUM(CAST(f.failed AS DOUBLE PRECISION)) AS failed FROM tlsrpt_failures f \
             JOIN domains d ON d.id = f.domain_id WHERE f.start_at >= $1 AND f.start_at < $2 \
             GROUP BY d.name, f.result_type",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<RateWatch> = totals
            .iter()
            .map(|r| {
                Ok(RateWatch {
                    domain: r.try_get("domain")?,
                    successful: saturated(r.try_get("successful")?),
                    failed: saturated(r.try_get("failed")?),
                    failed_by_result: Vec::new(),
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        let index: std::collections::HashMap<String, usize> =
            out.iter().enumerate().map(|(i, w)| (w.domain.clone(), i)).collect();
        for r in &failures {
            let domain: String = r.try_get("domain")?;
            if let Some(&i) = index.get(&domain) {
                out[i]
                    .failed_by_result
                    .push((r.try_get("result_type")?, saturated(r.try_get("failed")?)));
            }
        }
        Ok(out)
    }
}

/// A float sum as `i64`: `as` saturates at the ends and maps NaN to 0.
fn saturated(sum: f64) -> i64 {
    sum as i64
}
