//! Read-only share links: an owner hands a client a link to one domain, or to every domain of the
//! organisation, with an expiry. Only the token's hash is kept (the link is shown once); a link
//! opens nothing once expired or revoked, and what it opens is read through a viewer's access to
//! its organisation, so it can never reach another organisation's data.

use portcullis_domain::{DomainName, Role};
use serde::{Deserialize, Serialize};

use crate::{hash_secret, new_secret, now, OrgAccess, Store, StoreError};

pub const SHARE_PREFIX: &str = "sh_";

/// A share link as its organisation's owners see it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ShareLink {
    pub id: i64,
    /// The one domain it shows; `None` for the whole organisation.
    pub domain: Option<String>,
    pub label: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

impl ShareLink {
    pub fn is_live(&self, at: i64) -> bool {
        self.revoked_at.is_none() && at < self.expires_at
    }
}

/// What a live link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareAccess {
    /// A viewer's access to the link's organisation: everything is read through it.
    pub access: OrgAccess,
    /// The one domain the link is limited to; `None` for the whole organisation.
    pub domain: Option<String>,
    pub expires_at: i64,
}

const LINK_COLUMNS: &str = "s.id, d.name AS domain, s.label, s.created_by, s.created_at, s.expires_at, s.revoked_at";

impl Store {
    /// Creates a link to `domain` (of the organisation) or the whole organisation; returns its
    /// token, shown once. Owners only.
    pub async fn create_share_link(
        &self,
        access: &OrgAccess,
        domain: Option<&DomainName>,
        label: &str,
        actor: &str,
        expires_at: i64,
    ) -> Result<(String, ShareLink), StoreError> {
        access.require(Role::Owner)?;
        let domain_id = match domain {
            Some(d) => Some(self.domain_id_in(access, d).await?),
            None => None,
        };
        let token = new_secret(SHARE_PREFIX);
        let t = now();
        let sql = "INSERT INTO share_links (org_id, domain_id, token_hash, label, created_by, created_at, expires_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let id: i64 = on_pool!(self, |db| sqlx::query_scalar(sql)
            .bind(access.org_id)
            .bind(domain_id)
            .bind(hash_secret(&token))
            .bind(label)
            .bind(actor)
            .bind(t)
            .bind(expires_at)
            .fetch_one(db)
            .await)?;
        let link = ShareLink {
            id,
            domain: domain.map(|d| d.as_str().to_string()),
            label: label.to_string(),
            created_by: actor.to_string(),
            created_at: t,
            expires_at,
            revoked_at: None,
        };
        Ok((token, link))
    }

    /// The organisation's links, newest first. Owners only.
    pub async fn share_links(&self, access: &OrgAccess) -> Result<Vec<ShareLink>, StoreError> {
        access.require(Role::Owner)?;
        let sql = format!(
            "SELECT {LINK_COLUMNS} FROM share_links s LEFT JOIN domains d ON d.id = s.domain_id \
             WHERE s.org_id = $1 ORDER BY s.id DESC"
        );
        Ok(on_pool!(self, |db| sqlx::query_as(&sql)
            .bind(access.org_id)
            .fetch_all(db)
            .await)?)
    }

    /// Revokes one of the organisation's links (kept, marked revoked). Owners only.
    pub async fn revoke_share_link(&self, access: &OrgAccess, id: i64) -> Result<(), StoreError> {
        access.require(Role::Owner)?;
        let sql = "UPDATE share_links SET revoked_at = $3 WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL";
        let n = on_pool!(self, |db| sqlx::query(sql)
            .bind(id)
            .bind(access.org_id)
            .bind(now())
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// What a live token opens at `at`: a viewer's access to its organisation, the one domain
    /// it is limited to (if any) and when it expires. `None` for unknown, expired and revoked
    /// tokens alike.
    pub async fn share_access(&self, token: &str, at: i64) -> Result<Option<ShareAccess>, StoreError> {
        let sql = "SELECT s.org_id, o.slug, o.name, d.name, s.expires_at FROM share_links s \
                   JOIN orgs o ON o.id = s.org_id LEFT JOIN domains d ON d.id = s.domain_id \
                   WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2";
        let row: Option<(i64, String, String, Option<String>, i64)> = on_pool!(self, |db| sqlx::query_as(sql)
            .bind(hash_secret(token))
            .bind(at)
            .fetch_optional(db)
            .await)?;
        Ok(row.map(|(org_id, slug, name, domain, expires_at)| ShareAccess {
            access: OrgAccess {
                org_id,
                role: Role::Viewer,
                slug,
                name,
            },
            domain,
            expires_at,
        }))
    }
}
