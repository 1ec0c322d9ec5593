use crate::{now, Store, StoreError};
use portcullis_domain::models::User;
use portcullis_domain::Email;

/// A user's columns as [`User`] reads them: the flags are stored as integers on both backends.
pub(crate) const USER_COLUMNS: &str =
    "id, email, is_admin <> 0 AS is_admin, must_change_password <> 0 AS must_change_password";

#[derive(sqlx::FromRow)]
struct Credentials {
    #[sqlx(flatten)]
    user: User,
    password_hash: String,
}

impl Store {
    pub async fn user_count(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM users";
        Ok(on_pool!(self, |db| sqlx::query_scalar(sql).fetch_one(db).await)?)
    }

    /// Creates a user with an already-hashed password. `Duplicate` if the e-mail is taken.
    pub async fn create_user(
        &self,
        email: &Email,
        password_hash: &str,
        is_admin: bool,
        must_change_password: bool,
    ) -> Result<User, StoreError> {
        let sql = format!(
            "INSERT INTO users (email, password_hash, is_admin, must_change_password, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {USER_COLUMNS}"
        );
        on_pool!(self, |db| sqlx::query_as(&sql)
            .bind(email.as_str())
            .bind(password_hash)
            .bind(i64::from(is_admin))
            .bind(i64::from(must_change_password))
            .bind(now())
            .fetch_one(db)
            .await)
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("a user with e-mail {email}")),
            other => other,
        })
    }

    /// Creates the first platform admin only while there are no users at all, atomically, so
    /// two racing setup forms cannot both succeed.
    pub async fn create_first_admin(&self, email: &Email, password_hash: &str) -> Result<User, StoreError> {
        let sql = format!(
            "INSERT INTO users (email, password_hash, is_admin, must_change_password, created_at) \
             SELECT $1, $2, 1, 0, $3 WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING {USER_COLUMNS}"
        );
        let user = on_pool!(self, |db| sqlx::query_as(&sql)
            .bind(email.as_str())
            .bind(password_hash)
            .bind(now())
            .fetch_optional(db)
            .await)?;
        user.ok_or_else(|| StoreError::Duplicate("the first administrator".into()))
    }

    /// The first-run setup token, made on first use; `None` once any user exists.
    pub async fn setup_token(&self) -> Result<Option<String>, StoreError> {
        if self.user_count().await? > 0 {
            return Ok(None);
        }
        let insert = "INSERT INTO setup_token (id, token, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING";
        let select = "SELECT token FROM setup_token WHERE id = 1";
        let token = on_pool!(self, |db| {
            sqlx::query(insert)
                .bind(crate::new_secret("setup_"))
                .bind(now())
                .execute(db)
                .await?;
            sqlx::query_scalar(select).fetch_one(db).await
        })?;
        Ok(Some(token))
    }

    /// The user and their password hash, for sign-in.
    pub async fn user_credentials(&self, email: &Email) -> Result<Option<(User, String)>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1");
        let found: Option<Credentials> = on_pool!(self, |db| sqlx::query_as(&sql)
            .bind(email.as_str())
            .fetch_optional(db)
            .await)?;
        Ok(found.map(|c| (c.user, c.password_hash)))
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        Ok(self.user_credentials(email).await?.map(|(u, _)| u))
    }

    pub async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<(), StoreError> {
        let sql = "UPDATE users SET password_hash = $1, must_change_password = 0 WHERE id = $2";
        on_pool!(self, |db| sqlx::query(sql)
            .bind(password_hash)
            .bind(user_id)
            .execute(db)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }
}
