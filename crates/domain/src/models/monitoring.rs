//! DNS check runs, domain events and alerts as they are read.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct DnsCheckRow {
    pub checked_at: i64,
    /// ok | warning | error
    pub status: String,
    /// The findings as JSON (an array).
    pub findings: String,
    /// Who asked: monitor, user, api, cli.
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct DomainEvent {
    pub kind: String,
    pub old_value: Option<String>,
    pub new_value: String,
    pub detail: String,
    pub created_at: i64,
}

/// A raised alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct AlertRow {
    pub id: i64,
    pub domain: String,
    /// `dns_error`, `mx_drift`, `cert_expiring`, `renewal_failed`, `failure_rate`, `dns_id_stale`.
    pub kind: String,
    pub detail: String,
    pub created_at: i64,
}

/// One of an organisation's alert destinations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct AlertChannel {
    pub id: i64,
    pub org_id: i64,
    /// `email`, `webhook` or `slack`.
    pub kind: String,
    /// An e-mail address or a URL.
    pub target: String,
    pub created_by: String,
    pub created_at: i64,
    /// The last alert sent to it.
    pub sent_through: i64,
    pub last_sent_at: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
}
