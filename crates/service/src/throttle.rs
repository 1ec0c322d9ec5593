//! Sign-in throttling: attempts are counted per e-mail and per client address in a fixed window,
//! in the database so that every instance counts the same; past the limit, attempts are refused
//! before the password is even checked.

use crate::{ServiceError, Services};

pub const WINDOW_SECS: i64 = 15 * 60;
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;

impl Services {
    /// Counts one attempt for `key`, or `Throttled` while the key is locked. Checking and
    /// counting are one step, so parallel attempts cannot overshoot `limit`; an attempt that
    /// turns out well is taken back with [`Services::forgive_attempt`].
    pub(crate) async fn throttle_attempt(&self, key: &str, limit: i64) -> Result<(), ServiceError> {
        self.store
            .count_attempt(key, limit, WINDOW_SECS)
            .await?
            .map_err(|retry_after_secs| ServiceError::Throttled { retry_after_secs })
    }

    /// Takes back one attempt. Best effort: a failure here only leaves the count one too high.
    pub(crate) async fn forgive_attempt(&self, key: &str) {
        if let Err(e) = self.store.forgive_attempt(key).await {
            tracing::warn!(error = %e, "could not take back a sign-in attempt");
        }
    }

    /// Forgets the key's attempts (the account signed in).
    pub(crate) async fn reset_attempts(&self, key: &str) {
        if let Err(e) = self.store.reset_attempts(key).await {
            tracing::warn!(error = %e, "could not reset sign-in attempts");
        }
    }
}
