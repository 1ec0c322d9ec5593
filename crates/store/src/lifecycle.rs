//! Mode transitions of a domain's policy (testing, enforce, removal), each recorded with who,
//! when, why and the policy id it produced; and what the readiness gate reads of the store.

use portcullis_domain::lifecycle::WindowFailure;
use portcullis_domain::models::Transition;
use portcullis_domain::{DomainName, Policy, Role};

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
        let insert = "INSERT INTO domain_transitions (domain_id, from_mode, to_mode, policy_id, actor, reason, \
                      overridden, gate, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        let retire = "UPDATE domains SET policy_retire_at = $1 WHERE id = $2";
        on_tx!(tx, |conn| {
            sqlx::query(insert)
                .bind(domain_id)
                .bind(&transition.from_mode)
                .bind(&transition.to_mode)
                .bind(&transition.policy_id)
                .bind(&transition.actor)
                .bind(&transition.reason)
                .bind(i64::from(transition.overridden))
                .bind(transition.gate.as_deref())
                .bind(transition.created_at)
                .execute(&mut *conn)
                .await?;
            sqlx::query(retire)
                .bind(record.retire_at)
                .bind(domain_id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
        })?;
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
        let sql = "SELECT from_mode, to_mode, policy_id, actor, reason, overridden <> 0 AS overridden, gate, \
                   created_at FROM domain_transitions WHERE domain_id = $1 ORDER BY id DESC LIMIT $2";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(domain_id)
            .bind(limit.clamp(1, 1000))
            .fetch_all(db)
            .await)?)
    }

    /// When the domain's current run of `testing` versions began (editing the MX patterns in
    /// testing does not restart it); `None` when the current policy is not in testing.
    pub async fn testing_since(&self, access: &OrgAccess, domain: &DomainName) -> Result<Option<i64>, StoreError> {
        access.require(Role::Viewer)?;
        let domain_id = self.domain_id_in(access, domain).await?;
        let sql = "SELECT mode, created_at FROM policy_versions WHERE domain_id = $1 ORDER BY id DESC LIMIT 1000";
        let rows: Vec<(String, i64)> = on_pool!(self, |db| sqlx::query_as(sql).bind(domain_id).fetch_all(db).await)?;
        Ok(rows
            .into_iter()
            .take_while(|(mode, _)| mode == "testing")
            .last()
            .map(|(_, created_at)| created_at))
    }

    /// When a removed domain's policy stops being served, if it is being removed.
    pub async fn policy_retire_at(&self, access: &OrgAccess, domain: &DomainName) -> Result<Option<i64>, StoreError> {
        access.require(Role::Viewer)?;
        let sql = "SELECT policy_retire_at FROM domains WHERE org_id = $1 AND name = $2";
        let found: Option<Option<i64>> = on_pool!(self, |db| sqlx::query_scalar(sql)
            .bind(access.org_id)
            .bind(domain.as_str())
            .fetch_optional(db)
            .await)?;
        found.ok_or(StoreError::NotFound)
    }

    /// Distinct sources of the reports starting in `[from, to)`, and how many of them are
    /// DKIM-verified signing domains. A source is a verified signing domain or a network
    /// address (see `Provenance`); reports stored before provenance was kept count by their
    /// organisation name.
    pub async fn window_sources(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        from: i64,
        to: i64,
    ) -> Result<(i64, i64), StoreError> {
        access.require(Role::Viewer)?;
        let domain_id = self.domain_id_in(access, domain).await?;
        let sql = "SELECT COUNT(DISTINCT COALESCE(source, 'org:' || organization_name)), COUNT(DISTINCT dkim_domain) \
                   FROM tlsrpt_reports WHERE domain_id = $1 AND start_at >= $2 AND start_at < $3";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(domain_id)
            .bind(from)
            .bind(to)
            .fetch_one(db)
            .await)?)
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
        let sql = "SELECT CAST(f.start_at / 86400 AS BIGINT) AS day, r.organization_name, f.result_type, \
                   f.sending_ip, f.receiving_mx, CAST(SUM(f.failed) AS BIGINT) AS failed FROM tlsrpt_failures f \
                   JOIN tlsrpt_reports r ON r.id = f.report_row \
                   WHERE f.domain_id = $1 AND f.start_at >= $2 AND f.start_at < $3 \
                   GROUP BY day, r.organization_name, f.result_type, f.sending_ip, f.receiving_mx";
        let rows: Vec<WindowRow> = on_pool!(self, |db| sqlx::query_as(sql)
            .bind(domain_id)
            .bind(from)
            .bind(to)
            .fetch_all(db)
            .await)?;
        let mut out: Vec<WindowFailure> = rows
            .into_iter()
            .map(|r| WindowFailure {
                day: crate::utc_day(r.day * 86_400),
                organization: r.organization_name,
                result_type: r.result_type,
                sending_ip: r.sending_ip,
                receiving_mx: r.receiving_mx,
                failed: r.failed,
            })
            .collect();
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

/// A row of [`Store::window_failures`]: `day` is the day number since the epoch.
#[derive(sqlx::FromRow)]
struct WindowRow {
    day: i64,
    organization_name: String,
    result_type: String,
    sending_ip: Option<String>,
    receiving_mx: Option<String>,
    failed: i64,
}
