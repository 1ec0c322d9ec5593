//! Invitations: how someone joins an organisation. The owner names an address and a role; the
//! holder of the address follows a single-use link and accepts (signing in, or choosing the
//! password of a new account). Owners cannot create accounts for others or link existing ones.

use crate::{hash_secret, now, OrgAccess, Store, StoreError, User};
use portcullis_domain::models::{Invitation, InvitationFor};
use portcullis_domain::{Email, Role};

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
        let replace = "DELETE FROM invitations WHERE org_id = $1 AND email = $2 AND accepted_at IS NULL";
        on_tx!(tx, |conn| sqlx::query(replace)
            .bind(access.org_id)
            .bind(email.as_str())
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))?;
        let created_at = now();
        let insert = "INSERT INTO invitations (org_id, email, role, token_hash, invited_by, created_at, expires_at) \
                      VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
        let id: i64 = on_tx!(tx, |conn| sqlx::query_scalar(insert)
            .bind(access.org_id)
            .bind(email.as_str())
            .bind(role.as_str())
            .bind(hash_secret(token))
            .bind(invited_by)
            .bind(created_at)
            .bind(expires_at)
            .fetch_one(conn)
            .await)?;
        tx.commit().await?;
        Ok(Invitation {
            id,
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
        let sql = "SELECT id, email, role, invited_by, created_at, expires_at FROM invitations \
                   WHERE org_id = $1 AND accepted_at IS NULL AND expires_at > $2 ORDER BY email";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .bind(now())
            .fetch_all(db)
            .await)?)
    }

    /// Withdraws a pending invitation. Owners only; `NotFound` outside this organisation.
    pub async fn revoke_invitation(&self, access: &OrgAccess, id: i64) -> Result<(), StoreError> {
        access.require(Role::Owner)?;
        let sql = "DELETE FROM invitations WHERE id = $1 AND org_id = $2 AND accepted_at IS NULL";
        let n = on_pool!(self, |db| sqlx::query(sql)
            .bind(id)
            .bind(access.org_id)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The pending invitation a link's token opens, if it is still good.
    pub async fn invitation_for(&self, token: &str) -> Result<Option<InvitationFor>, StoreError> {
        let sql = "SELECT o.name AS org_name, o.slug AS org_slug, i.email, i.role, i.invited_by, i.expires_at \
                   FROM invitations i JOIN orgs o ON o.id = i.org_id \
                   WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > $2";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(hash_secret(token))
            .bind(now())
            .fetch_optional(db)
            .await)?)
    }

    /// `user` accepts the invitation a token opens: they join with its role (an existing member
    /// keeps the higher of the two), once. `NotFound` for a used, expired or unknown token;
    /// `Forbidden` when the invitation is for another address.
    pub async fn accept_invitation(&self, token: &str, user: &User) -> Result<String, StoreError> {
        let mut tx = self.begin_write().await?;
        let select =
            "SELECT i.id, i.org_id, i.email, i.role, o.slug FROM invitations i JOIN orgs o ON o.id = i.org_id \
                      WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > $2";
        let pending: Option<Pending> = on_tx!(tx, |conn| sqlx::query_as(select)
            .bind(hash_secret(token))
            .bind(now())
            .fetch_optional(conn)
            .await)?;
        let Pending {
            id,
            org_id,
            email,
            role,
            slug,
        } = pending.ok_or(StoreError::NotFound)?;
        if !email.eq_ignore_ascii_case(&user.email) {
            return Err(StoreError::Forbidden);
        }
        // A single use even when two acceptances race: only one update finds it pending.
        let claim = "UPDATE invitations SET accepted_at = $1 WHERE id = $2 AND accepted_at IS NULL";
        let claimed = on_tx!(tx, |conn| sqlx::query(claim)
            .bind(now())
            .bind(id)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))?;
        if claimed == 0 {
            return Err(StoreError::NotFound);
        }
        let member = "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2";
        let current: Option<String> = on_tx!(tx, |conn| sqlx::query_scalar(member)
            .bind(org_id)
            .bind(user.id)
            .fetch_optional(conn)
            .await)?;
        let current = current
            .map(Role::try_from)
            .transpose()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        match current {
            Some(held) if held.allows(role) => {}
            Some(_) => {
                let update = "UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3";
                on_tx!(tx, |conn| sqlx::query(update)
                    .bind(role.as_str())
                    .bind(org_id)
                    .bind(user.id)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected()))?;
            }
            None => {
                let insert = "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)";
                on_tx!(tx, |conn| sqlx::query(insert)
                    .bind(org_id)
                    .bind(user.id)
                    .bind(role.as_str())
                    .bind(now())
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected()))?;
            }
        }
        tx.commit().await?;
        Ok(slug)
    }
}

/// A pending invitation as its acceptance reads it.
#[derive(sqlx::FromRow)]
struct Pending {
    id: i64,
    org_id: i64,
    email: String,
    #[sqlx(try_from = "String")]
    role: Role,
    slug: String,
}
