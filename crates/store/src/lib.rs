//! Portcullis storage: one `Store` over SQLite (default) or PostgreSQL, chosen by URL scheme.
//!
//! Tenant isolation lives here, not in the callers: every method that touches an organisation's
//! rows takes an [`OrgAccess`], which only this crate can construct, after it has checked the
//! caller's membership (or token). Each such method filters by the access's organisation and
//! checks its role, so a handler that forgets a check still cannot reach another tenant's rows.
//!
//! SQL is written once for both backends and run on each one's own sqlx driver (see [`pool`]):
//! `$n` placeholders (SQLite understands them too), integer times and flags, and `RETURNING`.

#[macro_use]
mod pool;

mod access;
mod alerts;
mod certs;
mod connect;
mod dns;
mod domains;
mod error;
mod invitations;
mod lifecycle;
mod orgs;
mod policies;
mod reports;
mod reverse_dns;
mod sessions;
mod tokens;
mod users;

#[cfg(test)]
mod schema_parity;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use access::OrgAccess;
pub use alerts::{utc_day, AlertChannel, AlertRow, CertWatch, IdWatch, RateWatch};
pub use certs::{CertDue, CertState, StoredCert};
pub use connect::{redact, Backend, Store};
pub use dns::{CheckNotes, DnsCheckRow, DomainEvent, MonitorTarget, CHECKS_KEPT};
pub use domains::{BulkInsert, DomainPage, DomainQuery, DomainRow};
pub use error::StoreError;
pub use invitations::{Invitation, InvitationFor};
pub use lifecycle::{NewTransition, Transition};
pub use orgs::{Member, Org, OrgWithRole};
pub use policies::{PolicyVersion, SaveOutcome, ServedPolicy};
pub use reports::ingest::{IngestOutcome, IngestScope, NewReport, StoredShare};
pub use reports::stored::{FailureRow, PolicyRow, ReportDetail, ReportRow, ReportSort, ReportTotals};
pub use reports::trends::DomainTrend;
pub use reports::views::{
    DailyResult, OverviewData, ReportSummary, SourceName, SummaryGroup, SummaryRow, NOT_REPORTED,
};
pub use reverse_dns::{ReverseEntry, ReverseStatus};
pub use tokens::TokenInfo;
pub use users::User;

/// Current time as Unix seconds; one helper so tests and rows agree on the clock.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// SHA-256 hex of a secret (session or API token). Secrets are random and long, so a fast hash
/// is right here; only the hash is stored.
pub fn hash_secret(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new random secret of 32 bytes, hex-encoded, with a readable prefix.
pub fn new_secret(prefix: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}
