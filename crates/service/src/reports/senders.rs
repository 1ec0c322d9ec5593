//! The sender policy tracker: which policy each sending organisation applied over a period, and
//! after a change, who has picked up the served version and who still applies an old one.

use portcullis_domain::tlsrpt::{track, KnownVersion, SenderPolicy};
use portcullis_store::OrgAccess;
use serde::Serialize;

use super::views::Period;
use crate::policies::name_of;
use crate::{ServiceError, Services};

/// The period when none is given: senders cache a policy for up to `max_age` (often a week or
/// more) and report daily, so adoption shows over weeks, not days.
pub const DEFAULT_SENDER_DAYS: i64 = 90;

/// Versions compared against: every version a domain realistically has (the store's cap).
const VERSIONS_COMPARED: i64 = 1000;

/// The served version, as the tracker compares senders with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServedVersion {
    pub policy_id: String,
    pub mode: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SenderOverview {
    pub from: String,
    pub to: String,
    /// Unix seconds of the period: `[start, end)`.
    pub start: i64,
    pub end: i64,
    pub served: Option<ServedVersion>,
    /// Most sessions in the current run first.
    pub senders: Vec<SenderPolicy>,
}

impl SenderOverview {
    /// How many senders apply the served version, and how many have reported at all.
    pub fn adoption(&self) -> (usize, usize) {
        let current = self
            .senders
            .iter()
            .filter(|s| s.adoption == portcullis_domain::tlsrpt::Adoption::Current)
            .count();
        (current, self.senders.len())
    }
}

impl Services {
    /// Every organisation whose reports over the period carry the domain's `sts` policy: the
    /// version it applies now (matched to the stored versions by content), since when, in how
    /// many sessions, and its runs of versions over the period.
    pub async fn sender_policies(
        &self,
        access: &OrgAccess,
        raw: &str,
        from: Option<String>,
        to: Option<String>,
        days: Option<i64>,
    ) -> Result<SenderOverview, ServiceError> {
        let domain = name_of(raw)?;
        let p = Period::resolve(from, to, days, DEFAULT_SENDER_DAYS)?;
        let (applied, versions) = tokio::try_join!(
            self.store.tlsrpt_applied_policies(access, &domain, p.start, p.end),
            self.store.policy_versions(access, &domain, VERSIONS_COMPARED),
        )?;
        let served = versions.first().map(|v| ServedVersion {
            policy_id: v.policy_id.clone(),
            mode: v.mode.clone(),
            created_at: v.created_at,
        });
        let known: Vec<KnownVersion> = versions
            .into_iter()
            .map(|v| KnownVersion {
                policy_id: v.policy_id,
                body: v.body,
                created_at: v.created_at,
            })
            .collect();
        // Matching every block against the versions is pure CPU work over up to a year of rows.
        let served_id = served.as_ref().map(|s| s.policy_id.clone());
        let senders = tokio::task::spawn_blocking(move || track(&applied, &known, served_id.as_deref()))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "sender tracking failed");
                ServiceError::Internal
            })?;
        Ok(SenderOverview {
            from: p.from.to_string(),
            to: p.to.to_string(),
            start: p.start,
            end: p.end,
            served,
            senders,
        })
    }
}
