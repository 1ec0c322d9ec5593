//! Registered domains as listed: name, organisation, served mode, DNS status and proof of control.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct DomainRow {
    pub name: String,
    pub org_slug: String,
    pub org_name: String,
    pub created_at: i64,
    /// Mode of the served policy; `None` until a policy is saved.
    pub mode: Option<String>,
    /// Status of the latest DNS check (ok, warning, error); `None` until checked.
    pub dns_status: Option<String>,
    /// When the organisation proved control of the domain; `None` until then (nothing is
    /// served, ordered or attributed for it).
    #[serde(default)]
    pub proven_at: Option<i64>,
    /// How: "delegation", "txt record", "operator", or "registered before proof of control".
    #[serde(default)]
    pub proven_by: Option<String>,
    /// The random token that proves control in a TXT record, and names the delegated records.
    #[serde(default)]
    pub proof_token: String,
    /// How the records are published: "delegated", "manual" or "push".
    #[serde(default)]
    pub dns_setup: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainPage {
    pub rows: Vec<DomainRow>,
    pub total: i64,
}

impl DomainRow {
    pub fn proven(&self) -> bool {
        self.proven_at.is_some()
    }

    /// The Unicode spelling of an IDN (`None` for a plain ASCII name).
    pub fn unicode(&self) -> Option<String> {
        crate::DomainName::parse(&self.name).ok().and_then(|n| n.unicode())
    }
}
