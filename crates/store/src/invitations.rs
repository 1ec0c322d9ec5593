//! Invitations: how someone joins an organisation. The owner names an address and a role; the
//! holder of the address follows a single-use link and accepts (signing in, or choosing the
//! password of a new account). Owners cannot create accounts for others or link existing ones.

use crate::orgs::role_of;
use crate::{hash_secret, now, OrgAccess, Store, StoreError, User};
use portcullis_domain::{Email, Role};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// A pending invitation, as its organisation's owners see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// An invitation found by its link, as its recipient sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationFor {
    pub org_name: String,
    pub org_slug: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: i64,
}

impl Store {
    /// Invites `email` as `role`, valid until `expires_at`; an earlier pending invitation of the
    /// same address to this organisation is replaced (its link stops working). Owners only.
    pub async fn create_invitation(
        &self,
        access: &OrgAccess,
        email: &Email,
        role: Role,
        token: &str,
        invited_by: &str,
        expires_at: i64,
    ) -> Result<Invitation, StoreError> {
        access.require(Role::Owner)?;
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM invitations WHERE org_id = $1 AND email = $2 AND accepted_at IS NULL")
            .bind(access.org_id)
            .bind(email.as_str())
            .execute(&mut *tx)
            .await?;
        let created_at = now();
        let row = sqlx::query(
            "INSERT INTO invitations (org_id, email, role, token_hash, invited_by, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(access.org_id)
        .bind(email.as_str())
        .bind(role.as_str())
        .bind(hash_secret(token))
        .bind(invited_by)
        .bind(created_at)
        .bind(expires_at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Invitation {
            id: row.try_get("id")?,
            email: email.as_str().to_string(),
            role,
            invited_by: invited_by.to_string(),
            created_at,
            expires_at,
        })
    }

    /// The organisation's invitations not yet accepted nor expired. Owners only.
    pub async fn invitations(&self, access: &OrgAccess) -> Result<Vec<Invitation>, StoreError> {
        access.require(Role::Owner)?;
        let rows = sqlx::query(
            "SELECT id, email, role, invited_by, created_at, expires_at FROM invitations \
             WHERE org_id = $1 AND accepted_at IS NULL AND expires_at > $2 ORDER BY email",
        )
        .bind(access.org_id)
        .bind(now())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Invitation {
                    id: r.try_get("id")?,
                    email: r.try_get("email")?,
                    role: role_of(r)?,
                    invited_by: r.try_get("invited_by")?,
                    created_at: r.try_get("created_at")?,
                    expires_at: r.try_get("expires_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    /// Withdraws a pending invitation. Owners only; `NotFound` outside this organisation.
    pub async fn revoke_invitation(&self, access: &OrgAccess, id: i64) -> Result<(), StoreError> {
        access.require(Role::Owner)?;
        let n = sqlx::query("DELETE FROM invitations WHERE id = $1 AND org_id = $2 AND accepted_at IS NULL")
            .bind(id)
            .bind(access.org_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The pending invitation a link's token opens, if it is still good.
    pub async fn invitation_for(&self, token: &str) -> Result<Option<InvitationFor>, StoreError> {
        let row = sqlx::query(
            "SELECT o.name, o.slug, i.email, i.role, i.invited_by, i.expires_at FROM invitations i \
             JOIN orgs o ON o.id = i.org_id \
             WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > $2",
        )
        .bind(hash_secret(token))
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(InvitationFor {
                org_name: r.try_get("name")?,
                org_slug: r.try_get("slug")?,
                email: r.try_get("email")?,
                role: role_of(&r)?,
                invited_by: r.try_get("invited_by")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
        .map_err(|e: sqlx::Error| e.into())
    }

    /// `user` accepts the invitation a token opens: they join with its role (an existing member
    /// keeps the higher of the two), once. `NotFound` for a used, expired or unknown token;
    /// `Forbidden` when the invitation is for another address.
    pub async fn accept_invitation(&self, token: &str, user: &User) -> Result<String, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "SELECT i.id, i.org_id, i.email, i.role, o.slug FROM invitations i JOIN orgs o ON o.id = i.org_id \
             WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > $2",
        )
        .bind(hash_secret(token))
        .bind(now())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let email: String = row.try_get("email")?;
        if !email.eq_ignore_ascii_case(&user.email) {
            return Err(StoreError::Forbidden);
        }
        let (id, org_id, slug): (i64, i64, String) = (row.try_get("id")?, row.try_get("org_id")?, row.try_get("slug")?);
        let role = role_of(&row)?;
        // A single use even when two acceptances race: only one update finds it pending.
        let claimed = sqlx::query("UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL")
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if claimed == 0 {
            return Err(StoreError::NotFound);
        }
        let current = sqlx::query("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user.id)
            .fetch_optional(&mut *tx)
            .await?;
        match current {
            Some(r) if role_of(&r)?.allows(role) => {}
            Some(_) => {
                sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
                    .bind(role.as_str())
                    .bind(org_id)
                    .bind(user.id)
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                sqlx::query("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(org_id)
                    .bind(user.id)
                    .bind(role.as_str())
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(slug)
    }
}
