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
mod changes;
mod claims;
mod connect;
mod counters;
mod dns;
mod domains;
mod error;
mod flash;
mod invitations;
mod leases;
mod lifecycle;
mod monitor;
mod mx_plans;
mod orgs;
mod policies;
mod proof;
mod push;
mod reports;
mod reverse_dns;
mod sessions;
mod shares;
mod silences;
mod tokens;
mod users;

#[cfg(test)]
mod schema_parity;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use access::OrgAccess;
// The read models are the domain crate's; re-exported because every store method returns them.
pub use alerts::{utc_day, CertWatch, IdWatch, RateWatch};
pub use certs::{CertDue, StoredCert};
pub use changes::{Change, ChangeListener};
pub use claims::{ClaimRefusal, ClaimRow, OrgNotice, Released};
pub use connect::{redact, Backend, Store};
pub use dns::{CheckNotes, CHECKS_KEPT};
pub use domains::{BulkInsert, DomainQuery};
pub use error::StoreError;
pub use flash::FLASH_TTL_SECS;
pub use lifecycle::NewTransition;
pub use monitor::{MonitorSchedule, MonitorTarget, MONITOR_CLAIM_SECS};
pub use mx_plans::MxPlanRow;
pub use policies::ServedPolicy;
pub use portcullis_domain::models::*;
pub use proof::{new_proof_token, ProvenDomain};
pub use push::{PushRecord, PushSettingsRow};
pub use reports::ingest::{IngestOutcome, IngestScope, NewReport, StoredShare};
pub use reports::stored::ReportSort;
pub use reports::views::NOT_REPORTED;
pub use reverse_dns::{ReverseEntry, ReverseStatus};
pub use shares::{ShareAccess, ShareLink, SHARE_PREFIX};
pub use silences::ReportDay;

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
