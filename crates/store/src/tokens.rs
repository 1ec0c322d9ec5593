use crate::orgs::AccessRow;
use crate::{hash_secret, new_secret, now, OrgAccess, Store, StoreError};
use portcullis_domain::models::TokenInfo;
use portcullis_domain::Role;

pub const TOKEN_PREFIX: &str = "pc_";

impl Store {
    /// Creates an API token and returns its secret (shown once) with its listing. Owners only;
    /// a token never gets more rights than its creator.
    pub async fn create_token(
        &self,
        access: &OrgAccess,
        name: &str,
        role: Role,
    ) -> Result<(String, TokenInfo), StoreError> {
        access.require(Role::Owner)?;
        if !access.role.allows(role) {
            return Err(StoreError::Forbidden);
        }
        let secret = new_secret(TOKEN_PREFIX);
        let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
        let t = now();
        let sql = "INSERT INTO api_tokens (org_id, name, role, token_hash, prefix, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
        let id: i64 = on_pool!(self, |db| sqlx::query_scalar(sql)
            .bind(access.org_id)
            .bind(name)
            .bind(role.as_str())
            .bind(hash_secret(&secret))
            .bind(&prefix)
            .bind(t)
            .fetch_one(db)
            .await)?;
        let info = TokenInfo {
            id,
            name: name.to_string(),
            role,
            prefix,
            created_at: t,
            last_used_at: None,
        };
        Ok((secret, info))
    }

    pub async fn tokens(&self, access: &OrgAccess) -> Result<Vec<TokenInfo>, StoreError> {
        access.require(Role::Owner)?;
        let sql =
            "SELECT id, name, role, prefix, created_at, last_used_at FROM api_tokens WHERE org_id = $1 ORDER BY id";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(access.org_id)
            .fetch_all(db)
            .await)?)
    }

    pub async fn revoke_token(&self, access: &OrgAccess, id: i64) -> Result<(), StoreError> {
        access.require(Role::Owner)?;
        let sql = "DELETE FROM api_tokens WHERE id = $1 AND org_id = $2";
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

    /// The access a bearer token grants, if it exists. Records when it was last used.
    pub async fn access_for_token(&self, secret: &str) -> Result<Option<OrgAccess>, StoreError> {
        let hash = hash_secret(secret);
        let select = "SELECT o.id AS org_id, o.slug, o.name, t.role FROM api_tokens t JOIN orgs o ON o.id = t.org_id \
                      WHERE t.token_hash = $1";
        let row: Option<AccessRow> = on_pool!(self, |db| sqlx::query_as(select).bind(&hash).fetch_optional(db).await)?;
        if row.is_some() {
            let update = "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2";
            on_pool!(self, |db| sqlx::query(update)
                .bind(now())
                .bind(&hash)
                .execute(db)
                .await
                .map(|done| done.rows_affected()))?;
        }
        Ok(row.map(OrgAccess::from))
    }
}
