//! Setup of the first administrator, sign-in and sign-out, one-time passwords.

use crate::throttle::{MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS};
use crate::{hash_password, verify_password, ServiceError, Services};
use portcullis_domain::{Email, Password};
use portcullis_store::{new_secret, User};

/// Sessions last a working day and a half; signing out ends them at once.
pub const SESSION_TTL_SECS: i64 = 36 * 3600;

/// A successful sign-in: the user and the session cookie value to set.
#[derive(Debug)]
pub struct Login {
    pub user: User,
    pub session_token: String,
}

fn parse_email(raw: &str) -> Result<Email, ServiceError> {
    Email::parse(raw).map_err(|e| ServiceError::invalid("email", e))
}

fn parse_password(raw: &str) -> Result<Password, ServiceError> {
    Password::new(raw).map_err(|e| ServiceError::invalid("password", e))
}

impl Services {
    async fn start_session(&self, user: User) -> Result<Login, ServiceError> {
        let session_token = new_secret("");
        self.store
            .create_session(&session_token, user.id, SESSION_TTL_SECS)
            .await?;
        Ok(Login { user, session_token })
    }

    /// Creates the first platform administrator and signs them in. Refused once any user exists.
    pub async fn setup_first_admin(&self, email: &str, password: &str, confirm: &str) -> Result<Login, ServiceError> {
        if !self.needs_setup().await {
            return Err(ServiceError::Conflict(
                "Portcullis is already set up; sign in instead".into(),
            ));
        }
        let email = parse_email(email)?;
        let password = parse_password(password)?;
        if password.expose() != confirm {
            return Err(ServiceError::invalid("confirm", "the two passwords differ"));
        }
        let user = self
            .store
            .create_first_admin(&email, &hash_password(password.expose()))
            .await
            .map_err(|e| match ServiceError::from(e) {
                ServiceError::Conflict(_) => {
                    ServiceError::Conflict("Portcullis is already set up; sign in instead".into())
                }
                other => other,
            })?;
        self.mark_set_up();
        tracing::info!(user = %user.email, "first administrator created");
        self.start_session(user).await
    }

    /// Checks a password, with throttling per account and per client address.
    pub async fn login(&self, email: &str, password: &str, client: &str) -> Result<Login, ServiceError> {
        let generic = || ServiceError::invalid("password", "wrong e-mail or password");
        let Ok(email) = Email::parse(email) else {
            return Err(generic());
        };
        let account_key = format!("account:{email}");
        let address_key = format!("address:{client}");
        for (key, limit) in [
            (&account_key, MAX_FAILURES_PER_ACCOUNT),
            (&address_key, MAX_FAILURES_PER_ADDRESS),
        ] {
            self.throttle
                .check(key, limit)
                .map_err(|retry_after_secs| ServiceError::Throttled { retry_after_secs })?;
        }
        let found = self.store.user_credentials(&email).await?;
        // Verify against a dummy hash for unknown accounts so timing does not reveal which exist.
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), hash),
            None => (None, DUMMY_HASH.clone()),
        };
        let ok = verify_password(&hash, password);
        match user {
            Some(user) if ok => {
                self.throttle.reset(&account_key);
                tracing::info!(user = %user.email, "signed in");
                self.start_session(user).await
            }
            _ => {
                self.throttle.fail(&account_key);
                self.throttle.fail(&address_key);
                tracing::warn!(client, "failed sign-in");
                Err(generic())
            }
        }
    }

    pub async fn logout(&self, session_token: &str) -> Result<(), ServiceError> {
        Ok(self.store.delete_session(session_token).await?)
    }

    pub async fn user_for_session(&self, session_token: &str) -> Result<Option<User>, ServiceError> {
        Ok(self.store.session_user(session_token).await?)
    }

    /// Creates a user with a random one-time password (which they must change at first sign-in).
    pub async fn create_user_with_one_time_password(
        &self,
        email: &str,
        is_admin: bool,
    ) -> Result<(User, String), ServiceError> {
        let email = parse_email(email)?;
        let one_time = new_secret("").chars().take(20).collect::<String>();
        let user = self
            .store
            .create_user(&email, &hash_password(&one_time), is_admin, true)
            .await?;
        if is_admin {
            self.mark_set_up();
        }
        Ok((user, one_time))
    }

    /// Changes the signed-in user's password and ends their other sessions.
    pub async fn change_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        confirm: &str,
    ) -> Result<Login, ServiceError> {
        let (_, hash) = self
            .store
            .user_credentials(&parse_email(&user.email)?)
            .await?
            .ok_or(ServiceError::Unauthenticated)?;
        if !verify_password(&hash, current) {
            return Err(ServiceError::invalid("current", "the current password is wrong"));
        }
        let password = parse_password(new)?;
        if password.expose() != confirm {
            return Err(ServiceError::invalid("confirm", "the two passwords differ"));
        }
        self.store
            .set_password(user.id, &hash_password(password.expose()))
            .await?;
        self.store.delete_user_sessions(user.id).await?;
        let mut user = user.clone();
        user.must_change_password = false;
        self.start_session(user).await
    }
}

/// argon2id hash of a random string nobody knows; verified against when the account is unknown.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| hash_password(&new_secret("")));
