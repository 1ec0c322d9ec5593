//! Registered domains as listed: name, organisation, served mode and DNS status.

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
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainPage {
    pub rows: Vec<DomainRow>,
    pub total: i64,
}

impl DomainRow {
    /// The Unicode spelling of an IDN (`None` for a plain ASCII name).
    pub fn unicode(&self) -> Option<String> {
        crate::DomainName::parse(&self.name).ok().and_then(|n| n.unicode())
    }
}
