use crate::orgs::access_from_row;
use crate::{hash_secret, new_secret, now, OrgAccess, Store, StoreError};
use portcullis_domain::Role;
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// What the dashboard lists about a token: never the secret, only its first characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

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
        let row = sqlx::query(
            "INSERT INTO api_tokens (org_id, name, role, token_hash, prefix, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(access.org_id)
        .bind(name)
        .bind(role.as_str())
        .bind(hash_secret(&secret))
        .bind(&prefix)
        .bind(t)
        .fetch_one(&self.pool)
        .await?;
        let info = TokenInfo {
            id: row.try_get("id")?,
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
        let rows = sqlx::query(
            "SELECT id, name, role, prefix, created_at, last_used_at FROM api_tokens WHERE org_id = $1 ORDER BY id",
        )
        .bind(access.org_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("role")?;
                Ok(TokenInfo {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    role: Role::parse(&role).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                    prefix: r.try_get("prefix")?,
                    created_at: r.try_get("created_at")?,
                    last_used_at: r.try_get("last_used_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Into::into)
    }

    pub async fn revoke_token(&self, access: &OrgAccess, id: i64) -> Result<(), StoreError> {
        access.require(Role::Owner)?;
        let n = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND org_id = $2")
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

    /// The access a bearer token grants, if it exists. Records when it was last used.
    pub async fn access_for_token(&self, secret: &str) -> Result<Option<OrgAccess>, StoreError> {
        let hash = hash_secret(secret);
        let row = sqlx::query(
            "SELECT o.id, o.slug, o.name, t.role FROM api_tokens t JOIN orgs o ON o.id = t.org_id \
             WHERE t.token_hash = $1",
        )
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        if row.is_some() {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
                .bind(now())
                .bind(&hash)
                .execute(&self.pool)
                .await?;
        }
        Ok(row.map(|r| access_from_row(&r)).transpose()?)
    }
}
