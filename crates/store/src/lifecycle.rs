//! Mode transitions of a domain's policy (testing, enforce, removal), each recorded with who,
//! when, why and the policy id it produced; and what the readiness gate reads of the store.

use portcullis_domain::lifecycle::WindowFailure;
use portcullis_domain::{DomainName, Policy, Role};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::policies::{domain_id_for_write, insert_version};
use crate::{OrgAccess, PolicyVersion, SaveOutcome, Store, StoreError};

/// A transition to record with the policy version it publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTransition<'a> {
    /// `unconfigured`, `testing`, `enforce` or `none`.
    pub from_mode: &'a str,
    pub actor: &'a str,
    pub reason: &'a str,
    /// The policy version's note (what changed).
    pub note: &'a str,
    /// An owner confirmed it although the readiness gate failed.
    pub overridden: bool,
    /// The gate's items at that moment, as JSON.
    pub gate: Option<String>,
    /// Removal: serve the new policy until then, then stop.
    pub retire_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub from_mode: String,
    pub to_mode: String,
    pub policy_id: String,
    pub actor: String,
    pub reason: String,
    pub overridden: bool,
    pub gate: Option<String>,
    pub created_at: i64,
}

impl Store {
    /// Publishes `policy` (a new version, so a new id) and records the transition, in one
    /// transaction. Editors and owners (the service decides which transitions need an owner).
    /// Fails with `Invalid` if the text would not change.
    pub async fn transition_policy(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        policy: &Policy,
        record: &NewTransition<'_>,
    ) -> Result<(PolicyVersion, Transition), StoreError> {
        access.require(Role::Editor)?;
        let mut tx = self.begin_write().await?;
        let domain_id = domain_id_for_write(&mut tx, access, domain).await?;
        let version = match insert_version(&mut tx, domain_id, policy, record.actor, record.note).await? {
            SaveOutcome::Saved(v) => v,
            SaveOutcome::Unchanged(_) => {
                return Err(StoreError::Invalid("the policy would not change".into()));
            }
        };
        let transition = Transition {
            from_mode: record.from_mode.to_string(),
            to_mode: policy.mode().to_string(),
            policy_id: version.policy_id.clone(),
            actor: record.actor.to_string(),
            reason: record.reason.to_string(),
            overridden: record.overridden,
            gate: record.gate.clone(),
            created_at: version.created_at,
        };
        sqlx::query(
            "INSERT INTO domain_transitions (domain_id, from_mode, to_mode, policy_id, actor, reason, overridden, gate, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(domain_id)
        .bind(&transition.from_mode)
        .bind(&transition.to_mode)
        .bind(&transition.policy_id)
        .bind(&transition.actor)
        .bind(&transition.reason)
        .bind(i64::from(transition.overridden))
        .bind(transition.gate.as_deref())
        .bind(transition.created_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE domains SET policy_retire_at = $1 WHERE id = $2")
            .bind(record.retire_at)
            .bind(domain_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((version, transition))
    }

    /// The domain's transitions, newest first.
    pub async fn domain_transitions(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        limit: i64,
    ) -> Result<Vec<Transition>, StoreError> {
        access.require(Role::Viewer)?;
        let domain_id = self.domain_id_in(access, domain).await?;
        let rows = sqlx::query(
            "SELECT from_mode, to_mode, policy_id, actor, reason, overridden, gate, created_at \
             FROM domain_transitions WHERE domain_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(domain_id)
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Transition {
                    from_mode: r.try_get("from_mode")?,
                    to_mode: r.try_get("to_mode")?,
                    policy_id: r.try_get("policy_id")?,
                    actor: r.try_get("actor")?,
                    reason: r.try_get("reason")?,
                    overridden: r.try_get::<i64, _>("overridden")? != 0,
                    gate: r.try_get("gate")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// When the domain's current run of `testing` versions began (editing the MX patterns in
    /// testing does not restart it); `None` when the current policy is not in testing.
    pub async fn testing_since(&self, access: &OrgAccess, domain: &DomainName) -> Result<Option<i64>, StoreError> {
        access.require(Role::Viewer)?;
        let domain_id = self.domain_id_in(access, domain).await?;
        let rows = sqlx::query(
            "SELECT mode, created_at FROM policy_versions WHERE domain_id = $1 ORDER BY id DESC LIMIT 1000",
        )
        .bind(domain_id)
        .fetch_all(&self.pool)
        .await?;
        let mut since = None;
        for r in &rows {
            if r.try_get::<String, _>("mode")? != "testing" {
                break;
            }
            since = Some(r.try_get::<i64, _>("created_at")?);
        }
        Ok(since)
    }

    /// When a removed domain's policy stops being served, if it is being removed.
    pub async fn policy_retire_at(&self, access: &OrgAccess, domain: &DomainName) -> Result<Option<i64>, StoreError> {
        access.require(Role::Viewer)?;
        Ok(
            sqlx::query("SELECT policy_retire_at FROM domains WHERE org_id = $1 AND name = $2")
                .bind(access.org_id)
                .bind(domain.as_str())
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?
                .try_get("policy_retire_at")?,
        )
    }

    /// The failure details of reports starting in `[from, to)`, summed per day, sending
    /// organisation, result type, sending IP and receiving MX: the replay's input.
    pub async fn window_failures(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        from: i64,
        to: i64,
    ) -> Result<Vec<WindowFailure>, StoreError> {
        access.require(Role::Viewer)?;
        let domain_id = self.domain_id_in(access, domain).await?;
        let rows = sqlx::query(
            "SELECT CAST(f.start_at / 86400 AS BIGINT) AS day, r.organization_name, f.result_type, f.sending_ip, \
             f.receiving_mx, CAST(SUM(f.failed) AS BIGINT) AS failed FROM tlsrpt_failures f \
             JOIN tlsrpt_reports r ON r.id = f.report_row \
             WHERE f.domain_id = $1 AND f.start_at >= $2 AND f.start_at < $3 \
             GROUP BY day, r.organization_name, f.result_type, f.sending_ip, f.receiving_mx",
        )
        .bind(domain_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let day: i64 = r.try_get("day")?;
            out.push(WindowFailure {
                day: chrono::DateTime::from_timestamp(day * 86_400, 0)
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                organization: r.try_get("organization_name")?,
                result_type: r.try_get("result_type")?,
                sending_ip: r.try_get("sending_ip")?,
                receiving_mx: r.try_get("receiving_mx")?,
                failed: r.try_get("failed")?,
            });
        }
        out.sort_by(|a, b| {
            (&a.day, &a.organization, &a.result_type, &a.sending_ip, &a.receiving_mx).cmp(&(
                &b.day,
                &b.organization,
                &b.result_type,
                &b.sending_ip,
                &b.receiving_mx,
            ))
        });
        Ok(out)
    }
}
