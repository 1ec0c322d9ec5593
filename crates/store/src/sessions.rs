use crate::{hash_secret, now, Store, StoreError, User};

impl Store {
    /// Stores a session under the hash of its cookie value.
    pub async fn create_session(&self, token: &str, user_id: i64, ttl_secs: i64) -> Result<(), StoreError> {
        let t = now();
        let sql = "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(hash_secret(token))
            .bind(user_id)
            .bind(t)
            .bind(t + ttl_secs)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// The signed-in user for a session cookie value, if the session exists and has not expired.
    pub async fn session_user(&self, token: &str) -> Result<Option<User>, StoreError> {
        let sql =
            "SELECT u.id, u.email, u.is_admin <> 0 AS is_admin, u.must_change_password <> 0 AS must_change_password \
                   FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2";
        Ok(on_pool!(self, |db| sqlx::query_as(sql)
            .bind(hash_secret(token))
            .bind(now())
            .fetch_optional(db)
            .await)?)
    }

    pub async fn delete_session(&self, token: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM sessions WHERE token_hash = $1";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(hash_secret(token))
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Signs a user out everywhere (after a password change).
    pub async fn delete_user_sessions(&self, user_id: i64) -> Result<(), StoreError> {
        let sql = "DELETE FROM sessions WHERE user_id = $1";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(user_id)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    pub async fn purge_expired_sessions(&self) -> Result<u64, StoreError> {
        let sql = "DELETE FROM sessions WHERE expires_at <= $1";
        Ok(on_pool!(self, |db| sqlx::query(sql)
            .bind(now())
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?)
    }
}
