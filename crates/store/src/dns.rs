//! DNS check runs and domain events. Tenant reads are scoped by [`OrgAccess`]; the monitor, which
//! works for the whole platform, uses the unscoped `monitor_*` methods.

use crate::alerts::raise_in;
use crate::{OrgAccess, Store, StoreError};
use portcullis_domain::{DomainName, Role};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// How many runs per domain are kept.
pub const CHECKS_KEPT: i64 = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsCheckRow {
    pub checked_at: i64,
    /// ok | warning | error
    pub status: String,
    /// The findings as JSON (an array).
    pub findings: String,
    /// Who asked: monitor, user, api, cli.
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainEvent {
    pub kind: String,
    pub old_value: Option<String>,
    pub new_value: String,
    pub detail: String,
    pub created_at: i64,
}

/// What a check run means beyond its status, worked out by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckNotes {
    /// The status-change event's text.
    pub status_detail: String,
    /// Live MX hosts the enforced policy does not cover, comma-separated ("" when none).
    pub mx_drift: String,
    pub drift_detail: String,
    /// Alerts the findings raise besides a DNS error and MX drift: (kind, detail).
    pub alerts: Vec<(String, String)>,
}

/// A domain the monitor should check, with the policy it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorTarget {
    pub domain: String,
    pub last_checked_at: Option<i64>,
}

fn row_to_check(r: &sqlx::any::AnyRow) -> Result<DnsCheckRow, sqlx::Error> {
    Ok(DnsCheckRow {
        checked_at: r.try_get("checked_at")?,
        status: r.try_get("status")?,
        findings: r.try_get("findings")?,
        origin: r.try_get("origin")?,
    })
}

impl Store {
    pub(crate) async fn domain_id_in(&self, access: &OrgAccess, domain: &DomainName) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT id FROM domains WHERE org_id = $1 AND name = $2")
            .bind(access.org_id)
            .bind(domain.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_get("id")?)
    }

    /// Records a run for a domain of the caller's organisation (any member may ask for a check).
    /// Returns the previous status, if any.
    pub async fn record_dns_check(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        check: &DnsCheckRow,
        notes: &CheckNotes,
    ) -> Result<Option<String>, StoreError> {
        access.require(Role::Viewer)?;
        let id = self.domain_id_in(access, domain).await?;
        self.insert_check(id, check, notes).await
    }

    /// Records a monitor run for `domain` (platform-wide). `NotFound` when it was deleted meanwhile.
    pub async fn monitor_record(
        &self,
        domain: &str,
        check: &DnsCheckRow,
        notes: &CheckNotes,
    ) -> Result<Option<String>, StoreError> {
        let id: i64 = sqlx::query("SELECT id FROM domains WHERE name = $1")
            .bind(domain)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?
            .try_get("id")?;
        self.insert_check(id, check, notes).await
    }

    /// The run, a status-change event when the status differs from the last run's, an MX-drift
    /// event when the uncovered MX set changes, the alerts these raise, and pruning, in one
    /// transaction.
    async fn insert_check(
        &self,
        domain_id: i64,
        check: &DnsCheckRow,
        notes: &CheckNotes,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.begin_write().await?;
        let previous: Option<String> =
            sqlx::query("SELECT status FROM dns_checks WHERE domain_id = $1 ORDER BY id DESC LIMIT 1")
                .bind(domain_id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("status"))
                .transpose()?;
        sqlx::query(
            "INSERT INTO dns_checks (domain_id, checked_at, status, findings, origin) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(domain_id)
        .bind(check.checked_at)
        .bind(&check.status)
        .bind(&check.findings)
        .bind(&check.origin)
        .execute(&mut *tx)
        .await?;
        if previous.as_deref() != Some(check.status.as_str()) {
            sqlx::query(
                "INSERT INTO domain_events (domain_id, kind, old_value, new_value, detail, created_at) \
                 VALUES ($1, 'dns_status', $2, $3, $4, $5)",
            )
            .bind(domain_id)
            .bind(previous.clone())
            .bind(&check.status)
            .bind(&notes.status_detail)
            .bind(check.checked_at)
            .execute(&mut *tx)
            .await?;
            if check.status == "error" {
                raise_in(&mut tx, domain_id, "dns_error", &notes.status_detail, check.checked_at).await?;
            }
        }
        let drift: Option<String> = sqlx::query(
            "SELECT new_value FROM domain_events WHERE domain_id = $1 AND kind = 'mx_drift' ORDER BY id DESC LIMIT 1",
        )
        .bind(domain_id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get("new_value"))
        .transpose()?;
        let drift = drift.unwrap_or_default();
        if drift != notes.mx_drift {
            sqlx::query(
                "INSERT INTO domain_events (domain_id, kind, old_value, new_value, detail, created_at) \
                 VALUES ($1, 'mx_drift', $2, $3, $4, $5)",
            )
            .bind(domain_id)
            .bind((!drift.is_empty()).then_some(drift))
            .bind(&notes.mx_drift)
            .bind(&notes.drift_detail)
            .bind(check.checked_at)
            .execute(&mut *tx)
            .await?;
            if !notes.mx_drift.is_empty() {
                raise_in(&mut tx, domain_id, "mx_drift", &notes.drift_detail, check.checked_at).await?;
            }
        }
        for (kind, detail) in &notes.alerts {
            raise_in(&mut tx, domain_id, kind, detail, check.checked_at).await?;
        }
        sqlx::query(
            "DELETE FROM dns_checks WHERE domain_id = $1 AND id < (SELECT MIN(id) FROM \
             (SELECT id FROM dns_checks WHERE domain_id = $1 ORDER BY id DESC LIMIT $2) AS kept)",
        )
        .bind(domain_id)
        .bind(CHECKS_KEPT)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(previous)
    }

    /// The domain's runs, newest first.
    pub async fn dns_checks(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        limit: i64,
    ) -> Result<Vec<DnsCheckRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.checked_at, c.status, c.findings, c.origin FROM dns_checks c JOIN domains d ON d.id = c.domain_id \
             WHERE d.org_id = $1 AND d.name = $2 ORDER BY c.id DESC LIMIT $3",
        )
        .bind(access.org_id)
        .bind(domain.as_str())
        .bind(limit.clamp(1, CHECKS_KEPT))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(row_to_check).collect::<Result<_, _>>()?)
    }

    /// The domain's events, newest first.
    pub async fn domain_events(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        limit: i64,
    ) -> Result<Vec<DomainEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.kind, e.old_value, e.new_value, e.detail, e.created_at FROM domain_events e \
             JOIN domains d ON d.id = e.domain_id WHERE d.org_id = $1 AND d.name = $2 ORDER BY e.id DESC LIMIT $3",
        )
        .bind(access.org_id)
        .bind(domain.as_str())
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DomainEvent {
                    kind: r.try_get("kind")?,
                    old_value: r.try_get("old_value")?,
                    new_value: r.try_get("new_value")?,
                    detail: r.try_get("detail")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Domains never checked or last checked before `before`, the least recently checked first.
    pub async fn monitor_due(&self, before: i64, limit: i64) -> Result<Vec<MonitorTarget>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, last FROM (SELECT d.name, (SELECT MAX(c.checked_at) FROM dns_checks c \
             WHERE c.domain_id = d.id) AS last FROM domains d) AS t \
             WHERE last IS NULL OR last < $1 ORDER BY last IS NOT NULL, last, name LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MonitorTarget {
                    domain: r.try_get("name")?,
                    last_checked_at: r.try_get("last")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// The policy a domain serves (platform-wide, for the monitor): `(policy id, text)`.
    pub async fn monitor_policy(&self, domain: &str) -> Result<Option<(String, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT v.policy_id, v.body FROM policy_versions v JOIN domains d ON d.id = v.domain_id \
             WHERE d.name = $1 ORDER BY v.id DESC LIMIT 1",
        )
        .bind(domain)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(r) => Some((r.try_get("policy_id")?, r.try_get("body")?)),
            None => None,
        })
    }
}
