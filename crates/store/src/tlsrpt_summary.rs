//! Aggregates over a domain's reports for a period: session totals from the reports' summaries,
//! and groups by result type, sending IP or receiving MX (failure details, which carry no
//! success counts) or by sending organisation and day (report summaries, which do).

use portcullis_domain::{DomainName, Role};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{OrgAccess, Store, StoreError};

/// The key of failure details that leave the grouped field out.
pub const NOT_REPORTED: &str = "(not reported)";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryGroup {
    ResultType,
    Organization,
    SendingIp,
    ReceivingMx,
    Day,
}

impl SummaryGroup {
    pub const ALL: [SummaryGroup; 5] = [
        Self::ResultType,
        Self::Organization,
        Self::SendingIp,
        Self::ReceivingMx,
        Self::Day,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResultType => "result_type",
            Self::Organization => "organization",
            Self::SendingIp => "sending_ip",
            Self::ReceivingMx => "receiving_mx",
            Self::Day => "day",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub key: String,
    /// `None` where failure details are grouped: they do not break successes down.
    pub successful: Option<i64>,
    pub failed: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSummary {
    pub successful: i64,
    pub failed: i64,
    /// Reports in the period, and the distinct organisations that sent them.
    pub reports: i64,
    pub organizations: i64,
    pub groups: Vec<SummaryRow>,
}

const DAY: i64 = 86_400;

impl Store {
    /// Reports whose period starts in `[from, to)` (Unix seconds), grouped by `group`. Groups are
    /// ordered by failed sessions (most first), then key; days in date order, every day of the
    /// period present (zero when no report covers it).
    pub async fn tlsrpt_summary(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        from: i64,
        to: i64,
        group: Option<SummaryGroup>,
    ) -> Result<ReportSummary, StoreError> {
        access.require(Role::Viewer)?;
        let domain_id = self.domain_id_in(access, domain).await?;
        let totals = sqlx::query(
            "SELECT CAST(COALESCE(SUM(successful), 0) AS BIGINT) AS successful, \
             CAST(COALESCE(SUM(failed), 0) AS BIGINT) AS failed, COUNT(*) AS reports, \
             COUNT(DISTINCT organization_name) AS organizations FROM tlsrpt_reports \
             WHERE domain_id = $1 AND start_at >= $2 AND start_at < $3",
        )
        .bind(domain_id)
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await?;
        let mut summary = ReportSummary {
            successful: totals.try_get("successful")?,
            failed: totals.try_get("failed")?,
            reports: totals.try_get("reports")?,
            organizations: totals.try_get("organizations")?,
            groups: Vec::new(),
        };
        let Some(group) = group else {
            return Ok(summary);
        };
        let (sql, with_successful) = match group {
            SummaryGroup::ResultType => (failure_groups("result_type"), false),
            SummaryGroup::SendingIp => (failure_groups("sending_ip"), false),
            SummaryGroup::ReceivingMx => (failure_groups("receiving_mx"), false),
            SummaryGroup::Organization => (
                "SELECT organization_name AS key, CAST(SUM(successful) AS BIGINT) AS successful, \
                 CAST(SUM(failed) AS BIGINT) AS failed FROM tlsrpt_reports \
                 WHERE domain_id = $1 AND start_at >= $2 AND start_at < $3 \
                 GROUP BY organization_name"
                    .to_string(),
                true,
            ),
            SummaryGroup::Day => (
                "SELECT CAST(start_at / 86400 AS BIGINT) AS day, CAST(SUM(successful) AS BIGINT) AS successful, \
                 CAST(SUM(failed) AS BIGINT) AS failed FROM tlsrpt_reports \
                 WHERE domain_id = $1 AND start_at >= $2 AND start_at < $3 GROUP BY day ORDER BY day"
                    .to_string(),
                true,
            ),
        };
        let rows = sqlx::query(&sql)
            .bind(domain_id)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        if group == SummaryGroup::Day {
            let mut by_day = std::collections::HashMap::new();
            for r in &rows {
                let day: i64 = r.try_get("day")?;
                by_day.insert(
                    day,
                    (r.try_get::<i64, _>("successful")?, r.try_get::<i64, _>("failed")?),
                );
            }
            let mut day = from.div_euclid(DAY);
            while day * DAY < to {
                let (ok, failed) = by_day.get(&day).copied().unwrap_or((0, 0));
                summary.groups.push(SummaryRow {
                    key: day_key(day),
                    successful: Some(ok),
                    failed,
                });
                day += 1;
            }
            return Ok(summary);
        }
        for r in &rows {
            let key: Option<String> = r.try_get("key")?;
            summary.groups.push(SummaryRow {
                key: key.unwrap_or_else(|| NOT_REPORTED.to_string()),
                successful: if with_successful {
                    Some(r.try_get("successful")?)
                } else {
                    None
                },
                failed: r.try_get("failed")?,
            });
        }
        // Sorted here, not in SQL: the backends order NULLs and collate text differently.
        summary
            .groups
            .sort_by(|a, b| b.failed.cmp(&a.failed).then_with(|| a.key.cmp(&b.key)));
        Ok(summary)
    }
}

/// Failed sessions per day and result type: one row per (day, result type) that has failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyResult {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub result_type: String,
    pub failed: i64,
}

impl Store {
    /// Failure details of `[from, to)` summed per day and result type, by day then result type.
    pub async fn tlsrpt_daily_results(
        &self,
        access: &OrgAccess,
        domain: &DomainName,
        from: i64,
        to: i64,
    ) -> Result<Vec<DailyResult>, StoreError> {
        access.require(Role::Viewer)?;
        let domain_id = self.domain_id_in(access, domain).await?;
        let rows = sqlx::query(
            "SELECT CAST(start_at / 86400 AS BIGINT) AS day, result_type, CAST(SUM(failed) AS BIGINT) AS failed \
             FROM tlsrpt_failures WHERE domain_id = $1 AND start_at >= $2 AND start_at < $3 \
             GROUP BY day, result_type",
        )
        .bind(domain_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let day: i64 = r.try_get("day")?;
            out.push((
                day,
                r.try_get::<String, _>("result_type")?,
                r.try_get::<i64, _>("failed")?,
            ));
        }
        out.sort();
        Ok(out
            .into_iter()
            .map(|(day, result_type, failed)| DailyResult {
                day: day_key(day),
                result_type,
                failed,
            })
            .collect())
    }
}

fn failure_groups(column: &str) -> String {
    format!(
        "SELECT {column} AS key, CAST(SUM(failed) AS BIGINT) AS failed FROM tlsrpt_failures \
         WHERE domain_id = $1 AND start_at >= $2 AND start_at < $3 \
         GROUP BY {column}"
    )
}

fn day_key(day: i64) -> String {
    chrono::DateTime::from_timestamp(day * DAY, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// One domain's reports over a period, for the cross-domain overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainTrend {
    pub domain: String,
    pub successful: i64,
    pub failed: i64,
    pub reports: i64,
    /// Failed sessions per day of the period, oldest first.
    pub daily_failed: Vec<i64>,
}

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
        let rows = sqlx::query(
            "SELECT d.name, CAST(COALESCE(SUM(r.successful), 0) AS BIGINT) AS successful, \
             CAST(COALESCE(SUM(r.failed), 0) AS BIGINT) AS failed, COUNT(r.id) AS reports \
             FROM domains d LEFT JOIN tlsrpt_reports r ON r.domain_id = d.id AND r.start_at >= $2 AND r.start_at < $3 \
             WHERE d.org_id = $1 GROUP BY d.name",
        )
        .bind(access.org_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let days = ((to - from) / DAY).max(0) as usize;
        let mut trends = Vec::with_capacity(rows.len());
        for r in &rows {
            trends.push(DomainTrend {
                domain: r.try_get("name")?,
                successful: r.try_get("successful")?,
                failed: r.try_get("failed")?,
                reports: r.try_get("reports")?,
                daily_failed: vec![0; days],
            });
        }
        let daily = sqlx::query(
            "SELECT d.name, CAST(r.start_at / 86400 AS BIGINT) AS day, CAST(SUM(r.failed) AS BIGINT) AS failed \
             FROM tlsrpt_reports r JOIN domains d ON d.id = r.domain_id \
             WHERE d.org_id = $1 AND r.start_at >= $2 AND r.start_at < $3 GROUP BY d.name, day",
        )
        .bind(access.org_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let first_day = from.div_euclid(DAY);
        for r in &daily {
            let name: String = r.try_get("name")?;
            let day: i64 = r.try_get("day")?;
            let failed: i64 = r.try_get("failed")?;
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
