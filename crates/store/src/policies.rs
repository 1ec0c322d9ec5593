//! Policy versions. The newest version of a domain is its served policy; every save that changes
//! the served text adds a version with a new policy id, in one transaction.

use crate::pool::WriteTx;
use crate::{now, OrgAccess, Store, StoreError};
use portcullis_domain::models::{PolicyVersion, SaveOutcome};
use portcullis_domain::{DomainName, Policy, PolicyId, Role};

/// One served policy, for the in-memory snapshot that answers `mta-sts.<name>`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ServedPolicy {
    pub domain: String,
    pub policy_id: String,
    pub body: String,
}

const VERSION_COLUMNS: &str = "v.policy_id, v.mode, v.max_age, v.body, v.author, v.note, v.created_at";

/// UTC `YYYYMMDDTHHMMSS` for a Unix time: the readable stem of policy ids.
fn id_stamp(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%S")
        .to_string()
}

impl Store {
    /// Saves `policy` as the domain's new current version unless it would serve the same text.
    /// `note` says what changed; `author` who changed it. Editors and owners only.
    pub async fn save_policy(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        policy: &Policy,
        author: &str,
        note: &str,
    ) -> Result<SaveOutcome, StoreError> {
        access.require(Role::Editor)?;
        let mut tx = self.begin_write().await?;
        let domain_id = domain_id_for_write(&mut tx, access, domain).await?;
        let outcome = insert_version(&mut tx, domain_id, policy, author, note).await?;
        if policy.mode() != portcullis_domain::Mode::None {
            // Publishing a real policy again ends a removal in progress.
            let sql = "UPDATE domains SET policy_retire_at = NULL WHERE id = $1";
            on_tx!(tx, |conn| sqlx::query(sql)
                .bind(domain_id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// Versions of the domain's policy, newest (the served one) first.
    pub async fn policy_versions(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        limit: i64,
    ) -> Result<Vec<PolicyVersion>, StoreError> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM policy_versions v JOIN domains d ON d.id = v.domain_id \
             WHERE d.org_id = $1 AND d.name = $2 ORDER BY v.id DESC LIMIT $3"
        );
        Ok(on_pool!(self, |db| sqlx::query_as(&sql)
            .bind(access.org_id)
            .bind(domain.as_str())
            .bind(limit.clamp(1, 1000))
            .fetch_all(db)
            .await)?)
    }

    pub async fn current_policy(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
    ) -> Result<Option<PolicyVersion>, StoreError> {
        Ok(self.policy_versions(access, domain, 1).await?.into_iter().next())
    }

    /// Every domain's current policy, platform-wide. Only for the public policy host, which
    /// serves these texts to anyone who asks for `mta-sts.<domain>` anyway.
    pub async fn served_policies(&self) -> Result<Vec<ServedPolicy>, StoreError> {
        // A removed domain's "mode: none" is served until its retire time, then not at all.
        let sql = "SELECT d.name AS domain, v.policy_id, v.body FROM domains d JOIN policy_versions v \
                   ON v.id = (SELECT MAX(id) FROM policy_versions WHERE domain_id = d.id) \
                   WHERE d.proven_at IS NOT NULL AND (d.policy_retire_at IS NULL OR d.policy_retire_at > $1)";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(now())
            .fetch_all(db)
            .await)?)
    }
}

pub(crate) async fn domain_id_for_write(
    tx: &mut WriteTx,
    access: &OrgAccess,
    domain: &DomainName,
) -> Result<i64, StoreError> {
    let sql = "SELECT id FROM domains WHERE org_id = $1 AND name = $2";
    let id: Option<i64> = on_tx!(tx, |conn| sqlx::query_scalar(sql)
        .bind(access.org_id)
        .bind(domain.as_str())
        .fetch_optional(conn)
        .await)?;
    id.ok_or(StoreError::NotFound)
}

/// Adds `policy` as the domain's current version unless it would serve the same text.
pub(crate) async fn insert_version(
    tx: &mut WriteTx,
    domain_id: i64,
    policy: &Policy,
    author: &str,
    note: &str,
) -> Result<SaveOutcome, StoreError> {
    let body = policy.render();
    let sql =
        format!("SELECT {VERSION_COLUMNS} FROM policy_versions v WHERE v.domain_id = $1 ORDER BY v.id DESC LIMIT 1");
    let current: Option<PolicyVersion> = on_tx!(tx, |conn| sqlx::query_as(&sql)
        .bind(domain_id)
        .fetch_optional(conn)
        .await)?;
    if let Some(current) = current.as_ref().filter(|c| c.body == body) {
        return Ok(SaveOutcome::Unchanged(current.clone()));
    }
    let t = now();
    let previous = current.as_ref().and_then(|c| PolicyId::new(&c.policy_id).ok());
    let policy_id =
        PolicyId::successor(&id_stamp(t), previous.as_ref()).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let version = PolicyVersion {
        policy_id: policy_id.to_string(),
        mode: policy.mode().to_string(),
        max_age: policy.max_age() as i64,
        body,
        author: author.to_string(),
        note: note.to_string(),
        created_at: t,
    };
    let insert = "INSERT INTO policy_versions (domain_id, policy_id, mode, max_age, body, author, note, created_at) \
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_tx!(tx, |conn| sqlx::query(insert)
        .bind(domain_id)
        .bind(&version.policy_id)
        .bind(&version.mode)
        .bind(version.max_age)
        .bind(&version.body)
        .bind(&version.author)
        .bind(&version.note)
        .bind(version.created_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(SaveOutcome::Saved(version))
}
