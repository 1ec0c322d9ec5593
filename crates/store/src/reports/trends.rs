//! The cross-domain overview: every domain of an organisation over a period, ranked by failed
//! sessions, with its failures per day.

use portcullis_domain::models::DomainTrend;
use portcullis_domain::Role;

use super::views::DAY;
use crate::{OrgAccess, Store, StoreError};

impl Store {
    /// Every domain of the organisation (with or without reports) over `[from, to)`, ranked by
    /// failed sessions, most first, then by name.
    pub async fn tlsrpt_org_trends(
        &self,
        access: &OrgAccess,
        from: i64,
        to: i64,
    ) -> Result<Vec<DomainTrend>, StoreError> {
        access.require(Role::Viewer)?;
        let rows: Vec<(String, i64, i64, i64)> = self
            .period_rows(
                "SELECT d.name, CAST(COALESCE(SUM(r.successful), 0) AS BIGINT) AS successful, \
                 CAST(COALESCE(SUM(r.failed), 0) AS BIGINT) AS failed, COUNT(r.id) AS reports \
                 FROM domains d LEFT JOIN tlsrpt_reports r ON r.domain_id = d.id AND r.start_at >= $2 AND r.start_at < $3 \
                 WHERE d.org_id = $1 GROUP BY d.name",
                access.org_id,
                from,
                to,
            )
            .await?;
        let days = ((to - from) / DAY).max(0) as usize;
        let mut trends: Vec<DomainTrend> = rows
            .into_iter()
            .map(|(domain, successful, failed, reports)| DomainTrend {
                domain,
                successful,
                failed,
                reports,
                daily_failed: vec![0; days],
            })
            .collect();
        let daily: Vec<(String, i64, i64)> = self
            .period_rows(
                "SELECT d.name, CAST(r.start_at / 86400 AS BIGINT) AS day, CAST(SUM(r.failed) AS BIGINT) AS failed \
                 FROM tlsrpt_reports r JOIN domains d ON d.id = r.domain_id \
                 WHERE d.org_id = $1 AND r.start_at >= $2 AND r.start_at < $3 GROUP BY d.name, day",
                access.org_id,
                from,
                to,
            )
            .await?;
        let first_day = from.div_euclid(DAY);
        for (name, day, failed) in daily {
            if let Some(t) = trends.iter_mut().find(|t| t.domain == name) {
                if let Some(slot) = t.daily_failed.get_mut((day - first_day) as usize) {
                    *slot += failed;
                }
            }
        }
        trends.sort_by(|a, b| b.failed.cmp(&a.failed).then_with(|| a.domain.cmp(&b.domain)));
        Ok(trends)
    }
}
