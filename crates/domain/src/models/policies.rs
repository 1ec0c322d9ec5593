//! Policy versions, mode transitions and the policy host's certificate state.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct PolicyVersion {
    pub policy_id: String,
    pub mode: String,
    pub max_age: i64,
    /// The exact served text.
    pub body: String,
    pub author: String,
    pub note: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    Saved(PolicyVersion),
    /// The served text would not change, so no version (and no new id) was made.
    Unchanged(PolicyVersion),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct Transition {
    pub from_mode: String,
    pub to_mode: String,
    pub policy_id: String,
    pub actor: String,
    pub reason: String,
    pub overridden: bool,
    pub gate: Option<String>,
    pub created_at: i64,
}

/// What the dashboard shows about a domain's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct CertState {
    pub name: String,
    pub issued_at: Option<i64>,
    pub not_after: Option<i64>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<i64>,
    pub next_attempt_at: i64,
    pub failures: i64,
}
