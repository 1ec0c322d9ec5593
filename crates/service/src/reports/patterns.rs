//! Patterns across domains: the same sender or IP failing on several domains ("likely on the
//! sender's side"), the same receiving MX or MX provider failing across domains ("shared
//! infrastructure: fix once"), over the domains a user can see.

use chrono::Utc;
use portcullis_domain::tlsrpt::{find_patterns, Pattern, PatternRow};
use portcullis_store::{OrgAccess, User};
use serde::Serialize;

use super::views::MAX_SUMMARY_DAYS;
use crate::{ServiceError, Services};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatternOverview {
    pub from: String,
    pub to: String,
    pub days: i64,
    /// Most domains first, then most failures.
    pub patterns: Vec<Pattern>,
}

impl Services {
    /// Patterns over the last `days` days (today included) across the organisations of
    /// `accesses`: only their domains are read, so a pattern never names a domain the caller
    /// cannot see, and counts only domains it can.
    pub async fn failure_patterns(&self, accesses: &[OrgAccess], days: i64) -> Result<PatternOverview, ServiceError> {
        if !(1..=MAX_SUMMARY_DAYS).contains(&days) {
            return Err(ServiceError::invalid(
                "days",
                format!("{days} is not between 1 and {MAX_SUMMARY_DAYS}"),
            ));
        }
        let to = Utc::now().date_naive();
        let from = to - chrono::Days::new(days as u64 - 1);
        let start = from
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
            .timestamp();
        let end = start + days * 86_400;
        let mut rows: Vec<PatternRow> = Vec::new();
        for access in accesses {
            rows.extend(self.store.tlsrpt_pattern_rows(access, start, end).await?);
        }
        let patterns = tokio::task::spawn_blocking(move || find_patterns(&rows))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "finding patterns failed");
                ServiceError::Internal
            })?;
        Ok(PatternOverview {
            from: from.to_string(),
            to: to.to_string(),
            days,
            patterns,
        })
    }

    /// [`Self::failure_patterns`] over one organisation of the user's (by slug), or all of
    /// them (every organisation for a platform administrator).
    pub async fn failure_patterns_for(
        &self,
        user: &User,
        org: Option<&str>,
        days: i64,
    ) -> Result<PatternOverview, ServiceError> {
        let accesses = match org.filter(|s| !s.is_empty()) {
            Some(slug) => vec![self.org_access(user, slug).await?],
            None => self.store.accesses_for_user(user).await?,
        };
        self.failure_patterns(&accesses, days).await
    }
}
