//! Claims: an organisation asking for a name that another organisation registered but never
//! proven. The claimant gets a token of its own; once the DNS shows it, the unproven
//! registration is released (deleted with everything under it) and the name is registered,
//! proven, for the claimant, in one transaction. The released organisation gets a notice.

use crate::{new_proof_token, now, OrgAccess, Store, StoreError};
use portcullis_domain::{DomainName, Role};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ClaimRow {
    pub name: String,
    pub proof_token: String,
    pub created_by: String,
    pub created_at: i64,
}

/// Why a claim cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimRefusal {
    /// Nobody has registered the name: add it instead.
    NotRegistered,
    /// The caller's own organisation holds it.
    Own,
    /// Its organisation has proven control: it cannot be claimed.
    Proven,
}

/// A registration released to a claimant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    pub from_org_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct OrgNotice {
    pub kind: String,
    pub detail: String,
    pub created_at: i64,
}

impl Store {
    /// Opens (or returns the open) claim of the caller's organisation on `name`. Editors and
    /// owners only.
    pub async fn create_claim(
        &self,
        access: &OrgAccess,
        name: &DomainName,
        by: &str,
    ) -> Result<Result<ClaimRow, ClaimRefusal>, StoreError> {
        access.require(Role::Editor)?;
        let sql = "SELECT org_id, proven_at FROM domains WHERE name = $1";
        let holder: Option<(i64, Option<i64>)> = on_pool!(self, |db| sqlx::query_as(sql)
            .bind(name.as_str())
            .fetch_optional(db)
            .await)?;
        match holder {
            None => return Ok(Err(ClaimRefusal::NotRegistered)),
            Some((org, _)) if org == access.org_id => return Ok(Err(ClaimRefusal::Own)),
            Some((_, Some(_))) => return Ok(Err(ClaimRefusal::Proven)),
            Some(_) => {}
        }
        let insert = "INSERT INTO domain_claims (name, org_id, proof_token, created_by, created_at) \
                      VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name, org_id) DO NOTHING";
        on_pool!(self, |db| sqlx::query(insert)
            .bind(name.as_str())
            .bind(access.org_id)
            .bind(new_proof_token())
            .bind(by)
            .bind(now())
            .execute(db)
            .await
            .map(|_| ()))?;
        Ok(Ok(self.claim(access, name).await?.ok_or(StoreError::NotFound)?))
    }

    /// The caller's organisation's open claim on `name`.
    pub async fn claim(&self, access: &OrgAccess, name: &DomainName) -> Result<Option<ClaimRow>, StoreError> {
        let sql = "SELECT name, proof_token, created_by, created_at FROM domain_claims WHERE org_id = $1 AND name = $2";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .bind(name.as_str())
            .fetch_optional(db)
            .await)?)
    }

    /// The organisation's open claims, oldest first.
    pub async fn claims(&self, access: &OrgAccess) -> Result<Vec<ClaimRow>, StoreError> {
        let sql = "SELECT name, proof_token, created_by, created_at FROM domain_claims WHERE org_id = $1 ORDER BY id";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .fetch_all(db)
            .await)?)
    }

    /// Withdraws the organisation's claim; says whether there was one.
    pub async fn delete_claim(&self, access: &OrgAccess, name: &DomainName) -> Result<bool, StoreError> {
        access.require(Role::Editor)?;
        let sql = "DELETE FROM domain_claims WHERE org_id = $1 AND name = $2";
        let n = on_pool!(self, |db| sqlx::query(sql)
            .bind(access.org_id)
            .bind(name.as_str())
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(n == 1)
    }

    /// The claimant proved control (`how`): the unproven registration is deleted, the name is
    /// registered for the claimant under the claim's token, proven, every claim on the name is
    /// closed, and the released organisation gets `notice`. `None` when the registration was
    /// proven, or the claim withdrawn, meanwhile (nothing changes then).
    pub async fn release_to_claimant(
        &self,
        access: &OrgAccess,
        name: &DomainName,
        how: &str,
        notice: &str,
    ) -> Result<Option<Released>, StoreError> {
        access.require(Role::Editor)?;
        let Some(claim) = self.claim(access, name).await? else {
            return Ok(None);
        };
        let mut tx = self.begin_write().await?;
        let holder = "SELECT org_id FROM domains WHERE name = $1 AND proven_at IS NULL AND org_id <> $2";
        let from: Option<i64> = on_tx!(tx, |conn| sqlx::query_scalar(holder)
            .bind(name.as_str())
            .bind(access.org_id)
            .fetch_optional(conn)
            .await)?;
        let Some(from) = from else {
            return Ok(None);
        };
        // Conditional: a proof recorded since the read above keeps the registration.
        let delete = "DELETE FROM domains WHERE name = $1 AND org_id = $2 AND proven_at IS NULL";
        let gone = on_tx!(tx, |conn| sqlx::query(delete)
            .bind(name.as_str())
            .bind(from)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))?;
        if gone != 1 {
            return Ok(None);
        }
        let t = now();
        let insert = "INSERT INTO domains (org_id, name, created_at, proof_token, proven_at, proven_by) \
                      VALUES ($1, $2, $3, $4, $3, $5)";
        on_tx!(tx, |conn| sqlx::query(insert)
            .bind(access.org_id)
            .bind(name.as_str())
            .bind(t)
            .bind(&claim.proof_token)
            .bind(how)
            .execute(conn)
            .await
            .map(|_| ()))?;
        let close = "DELETE FROM domain_claims WHERE name = $1";
        on_tx!(tx, |conn| sqlx::query(close)
            .bind(name.as_str())
            .execute(conn)
            .await
            .map(|_| ()))?;
        let tell = "INSERT INTO org_notices (org_id, kind, detail, created_at) VALUES ($1, 'domain_released', $2, $3)";
        on_tx!(tx, |conn| sqlx::query(tell)
            .bind(from)
            .bind(notice)
            .bind(t)
            .execute(conn)
            .await
            .map(|_| ()))?;
        tx.commit().await?;
        Ok(Some(Released { from_org_id: from }))
    }

    /// The organisation's notices of the last `since` seconds, newest first.
    pub async fn org_notices(&self, access: &OrgAccess, since: i64) -> Result<Vec<OrgNotice>, StoreError> {
        let sql = "SELECT kind, detail, created_at FROM org_notices WHERE org_id = $1 AND created_at >= $2 ORDER BY id DESC LIMIT 20";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .bind(since)
            .fetch_all(db)
            .await)?)
    }
}
