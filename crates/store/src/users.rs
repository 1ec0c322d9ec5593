use crate::{now, Store, StoreError};
use portcullis_domain::Email;
use serde::{Deserialize, Serialize};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub is_admin: bool,
    pub must_change_password: bool,
}

pub(crate) fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
        must_change_password: row.try_get::<i64, _>("must_change_password")? != 0,
    })
}

impl Store {
    pub async fn user_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// Creates a user with an already-hashed password. `Duplicate` if the e-mail is taken.
    pub async fn create_user(
        &self,
        email: &Email,
        password_hash: &str,
        is_admin: bool,
        must_change_password: bool,
    ) -> Result<User, StoreError> {
        let row = sqlx::query(
            "INSERT INTO users (email, password_hash, is_admin, must_change_password, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id, email, is_admin, must_change_password",
        )
        .bind(email.as_str())
        .bind(password_hash)
        .bind(is_admin as i64)
        .bind(must_change_password as i64)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("a user with e-mail {email}")),
            other => other,
        })?;
        Ok(user_from_row(&row)?)
    }

    /// Creates the first platform admin only while there are no users at all, atomically, so
    /// two racing setup forms cannot both succeed.
    pub async fn create_first_admin(&self, email: &Email, password_hash: &str) -> Result<User, StoreError> {
        let row = sqlx::query(
            "INSERT INTO users (email, password_hash, is_admin, must_change_password, created_at) \
             SELECT $1, $2, 1, 0, $3 WHERE NOT EXISTS (SELECT 1 FROM users) \
             RETURNING id, email, is_admin, must_change_password",
        )
        .bind(email.as_str())
        .bind(password_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(user_from_row(&row)?),
            None => Err(StoreError::Duplicate("the first administrator".into())),
        }
    }

    /// The first-run setup token, made on first use; `None` once any user exists.
    pub async fn setup_token(&self) -> Result<Option<String>, StoreError> {
        if self.user_count().await? > 0 {
            return Ok(None);
        }
        sqlx::query("INSERT INTO setup_token (id, token, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING")
            .bind(crate::new_secret("setup_"))
            .bind(now())
            .execute(&self.pool)
            .await?;
        let row = sqlx::query("SELECT token FROM setup_token WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(Some(row.try_get("token")?))
    }

    /// The user and their password hash, for sign-in.
    pub async fn user_credentials(&self, email: &Email) -> Result<Option<(User, String)>, StoreError> {
        let row =
            sqlx::query("SELECT id, email, is_admin, must_change_password, password_hash FROM users WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row
            .map(|r| Ok::<_, sqlx::Error>((user_from_row(&r)?, r.try_get("password_hash")?)))
            .transpose()?)
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        Ok(self.user_credentials(email).await?.map(|(u, _)| u))
    }

    pub async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET password_hash = $1, must_change_password = 0 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
