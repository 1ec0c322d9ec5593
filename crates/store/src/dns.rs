//! DNS check runs and domain events. Tenant reads are scoped by [`OrgAccess`]; the monitor, which
//! works for the whole platform, uses the unscoped `monitor_*` methods.

use crate::alerts::raise_in;
use crate::{MonitorSchedule, OrgAccess, Store, StoreError};
use portcullis_domain::models::{DnsCheckRow, DomainEvent};
use portcullis_domain::{DomainName, Role};

/// How many runs per domain are kept.
pub const CHECKS_KEPT: i64 = 200;

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

impl Store {
    pub(crate) async fn domain_id_in(&self, access: &OrgAccess, domain: &DomainName) -> Result<i64, StoreError> {
        let sql = "SELECT id FROM domains WHERE org_id = $1 AND name = $2";
        let id: Option<i64> = on_pool!(self, |db| sqlx::query_scalar(sql)
            .bind(access.org_id)
            .bind(domain.as_str())
            .fetch_optional(db)
            .await)?;
        id.ok_or(StoreError::NotFound)
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
        self.insert_check(id, check, notes, None).await
    }

    /// Records a monitor run for `domain` (platform-wide), sets when it is next due under
    /// `schedule` and ends its claim. `NotFound` when it was deleted meanwhile.
    pub async fn monitor_record(
        &self,
        domain: &str,
        check: &DnsCheckRow,
        notes: &CheckNotes,
        schedule: &MonitorSchedule,
    ) -> Result<Option<String>, StoreError> {
        let sql = "SELECT id FROM domains WHERE name = $1";
        let id: Option<i64> = on_pool!(self, |db| sqlx::query_scalar(sql).bind(domain).fetch_optional(db).await)?;
        let id = id.ok_or(StoreError::NotFound)?;
        let due = schedule.next_due(check.checked_at, id);
        self.insert_check(id, check, notes, Some(due)).await
    }

    /// The run, a status-change event when the status differs from the last run's, an MX-drift
    /// event when the uncovered MX set changes, the alerts these raise, and pruning, in one
    /// transaction; for a monitor run also the next due time, ending the domain's claim.
    async fn insert_check(
        &self,
        domain_id: i64,
        check: &DnsCheckRow,
        notes: &CheckNotes,
        monitor_due: Option<i64>,
    ) -> Result<Option<String>, StoreError> {
        let mut tx = self.begin_write().await?;
        let last_status = "SELECT status FROM dns_checks WHERE domain_id = $1 ORDER BY id DESC LIMIT 1";
        let insert =
            "INSERT INTO dns_checks (domain_id, checked_at, status, findings, origin) VALUES ($1, $2, $3, $4, $5)";
        let previous: Option<String> = on_tx!(tx, |conn| {
            let previous = sqlx::query_scalar(last_status)
                .bind(domain_id)
                .fetch_optional(&mut *conn)
                .await?;
            sqlx::query(insert)
                .bind(domain_id)
                .bind(check.checked_at)
                .bind(&check.status)
                .bind(&check.findings)
                .bind(&check.origin)
                .execute(conn)
                .await?;
            Ok::<_, sqlx::Error>(previous)
        })?;
        if previous.as_deref() != Some(check.status.as_str()) {
            let event = "INSERT INTO domain_events (domain_id, kind, old_value, new_value, detail, created_at) \
                         VALUES ($1, 'dns_status', $2, $3, $4, $5)";
            on_tx!(tx, |conn| sqlx::query(event)
                .bind(domain_id)
                .bind(previous.clone())
                .bind(&check.status)
                .bind(&notes.status_detail)
                .bind(check.checked_at)
                .execute(conn)
                .await
                .map(|done| done.rows_affected()))?;
            if check.status == "error" {
                raise_in(&mut tx, domain_id, "dns_error", &notes.status_detail, check.checked_at).await?;
            }
        }
        let last_drift =
            "SELECT new_value FROM domain_events WHERE domain_id = $1 AND kind = 'mx_drift' ORDER BY id DESC LIMIT 1";
        let drift: Option<String> = on_tx!(tx, |conn| sqlx::query_scalar(last_drift)
            .bind(domain_id)
            .fetch_optional(conn)
            .await)?;
        let drift = drift.unwrap_or_default();
        if drift != notes.mx_drift {
            let event = "INSERT INTO domain_events (domain_id, kind, old_value, new_value, detail, created_at) \
                         VALUES ($1, 'mx_drift', $2, $3, $4, $5)";
            on_tx!(tx, |conn| sqlx::query(event)
                .bind(domain_id)
                .bind((!drift.is_empty()).then_some(drift))
                .bind(&notes.mx_drift)
                .bind(&notes.drift_detail)
                .bind(check.checked_at)
                .execute(conn)
                .await
                .map(|done| done.rows_affected()))?;
            if !notes.mx_drift.is_empty() {
                raise_in(&mut tx, domain_id, "mx_drift", &notes.drift_detail, check.checked_at).await?;
            }
        }
        for (kind, detail) in &notes.alerts {
            raise_in(&mut tx, domain_id, kind, detail, check.checked_at).await?;
        }
        let prune = "DELETE FROM dns_checks WHERE domain_id = $1 AND id < (SELECT MIN(id) FROM \
                     (SELECT id FROM dns_checks WHERE domain_id = $1 ORDER BY id DESC LIMIT $2) AS kept)";
        on_tx!(tx, |conn| sqlx::query(prune)
            .bind(domain_id)
            .bind(CHECKS_KEPT)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))?;
        if let Some(due) = monitor_due {
            let reschedule = "UPDATE domains SET monitor_due_at = $2 WHERE id = $1";
            let unclaim = "DELETE FROM monitor_claims WHERE domain_id = $1";
            on_tx!(tx, |conn| {
                sqlx::query(reschedule)
                    .bind(domain_id)
                    .bind(due)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query(unclaim)
                    .bind(domain_id)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected())
            })?;
        }
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
        let sql = "SELECT c.checked_at, c.status, c.findings, c.origin FROM dns_checks c \
                   JOIN domains d ON d.id = c.domain_id WHERE d.org_id = $1 AND d.name = $2 ORDER BY c.id DESC LIMIT $3";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .bind(domain.as_str())
            .bind(limit.clamp(1, CHECKS_KEPT))
            .fetch_all(db)
            .await)?)
    }

    /// The domain's events, newest first.
    pub async fn domain_events(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        limit: i64,
    ) -> Result<Vec<DomainEvent>, StoreError> {
        let sql = "SELECT e.kind, e.old_value, e.new_value, e.detail, e.created_at FROM domain_events e \
                   JOIN domains d ON d.id = e.domain_id WHERE d.org_id = $1 AND d.name = $2 ORDER BY e.id DESC LIMIT $3";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .bind(domain.as_str())
            .bind(limit.clamp(1, 1000))
            .fetch_all(db)
            .await)?)
    }
}
