//! Setup of the first administrator, sign-in and sign-out, one-time passwords.

use crate::password_hash::{hash_password_async, verify_password_async};
use crate::throttle::{MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS};
use crate::{hash_password, ServiceError, Services};
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
    pub(crate) async fn start_session(&self, user: User) -> Result<Login, ServiceError> {
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
            .create_first_admin(&email, &hash_password_async(password.expose()).await)
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

    /// The first-run setup token (printed at start, `portcullis setup-token`); `None` once a
    /// user exists.
    pub async fn setup_token(&self) -> Result<Option<String>, ServiceError> {
        Ok(self.store.setup_token().await?)
    }

    pub fn setup_token_required(&self) -> bool {
        self.setup_token_required
    }

    /// First-run setup from the dashboard: with the setup token when it is required.
    pub async fn setup_from_dashboard(
        &self,
        token: Option<&str>,
        email: &str,
        password: &str,
        confirm: &str,
    ) -> Result<Login, ServiceError> {
        if self.setup_token_required {
            let expected = self.store.setup_token().await?;
            let given = token.map(str::trim).unwrap_or_default();
            let matches = expected.is_some_and(|e| {
                e.len() == given.len() && e.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
            });
            if !matches {
                return Err(ServiceError::invalid(
                    "token",
                    "the setup token is not right: the server prints it in its log at start, and `portcullis setup-token` prints it again",
                ));
            }
        }
        self.setup_first_admin(email, password, confirm).await
    }

    /// Checks a password, with throttling per account and per client address.
    pub async fn login(&self, email: &str, password: &str, client: &str) -> Result<Login, ServiceError> {
        let generic = || ServiceError::invalid("password", "wrong e-mail or password");
        let Ok(email) = Email::parse(email) else {
            return Err(generic());
        };
        let account_key = format!("account:{email}");
        let address_key = format!("address:{client}");
        // Each attempt is counted before the password is checked, in the same step as the
        // check: parallel attempts cannot all pass a limit they have not yet reached.
        self.throttle_attempt(&account_key, MAX_FAILURES_PER_ACCOUNT).await?;
        if let Err(e) = self.throttle_attempt(&address_key, MAX_FAILURES_PER_ADDRESS).await {
            self.forgive_attempt(&account_key).await;
            return Err(e);
        }
        let found = match self.store.user_credentials(&email).await {
            Ok(found) => found,
            Err(e) => {
                // Not the user's fault: the attempt does not count.
                self.forgive_attempt(&account_key).await;
                self.forgive_attempt(&address_key).await;
                return Err(e.into());
            }
        };
        // Verify against a dummy hash for unknown accounts so timing does not reveal which exist.
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), hash),
            None => (None, DUMMY_HASH.clone()),
        };
        let ok = verify_password_async(&hash, password).await;
        match user {
            Some(user) if ok => {
                self.reset_attempts(&account_key).await;
                self.forgive_attempt(&address_key).await;
                tracing::info!(user = %user.email, "signed in");
                self.start_session(user).await
            }
            _ => {
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
            .create_user(&email, &hash_password_async(&one_time).await, is_admin, true)
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
        if !verify_password_async(&hash, current).await {
            return Err(ServiceError::invalid("current", "the current password is wrong"));
        }
        let password = parse_password(new)?;
        if password.expose() != confirm {
            return Err(ServiceError::invalid("confirm", "the two passwords differ"));
        }
        self.store
            .set_password(user.id, &hash_password_async(password.expose()).await)
            .await?;
        self.store.delete_user_sessions(user.id).await?;
        let mut user = user.clone();
        user.must_change_password = false;
        self.start_session(user).await
    }
}

/// argon2id hash of a random string nobody knows; verified against when the account is unknown.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| hash_password(&new_secret("")));
