//! What users read of a domain's stored reports: totals, the most recent reports, and session
//! summaries over a period grouped by result type, organisation, sending IP, receiving MX or day.

use chrono::{Datelike, NaiveDate, Utc};
use portcullis_domain::tlsrpt::{decode, PayloadKind, PayloadLimits};
use portcullis_store::{
    DomainTrend, OrgAccess, ReportDetail, ReportRow, ReportSort, ReportSummary, ReportTotals, SummaryGroup,
};
use serde::{Deserialize, Serialize};

use crate::policies::name_of;
use crate::{ServiceError, Services};

impl Services {
    /// Totals over the domain's reports and the `limit` most recent, newest period first.
    pub async fn recent_reports(
        &self,
        access: &OrgAccess,
        raw: &str,
        limit: i64,
    ) -> Result<(ReportTotals, Vec<ReportRow>), ServiceError> {
        let domain = name_of(raw)?;
        let totals = self.store.tlsrpt_totals(access, &domain).await?;
        let recent = self.store.tlsrpt_reports(access, &domain, limit, 0).await?;
        Ok((totals, recent))
    }
}

/// Longest period a summary covers.
pub const MAX_SUMMARY_DAYS: i64 = 400;
/// The period when none is given: the last 30 days, today included.
pub const DEFAULT_SUMMARY_DAYS: i64 = 30;

/// A summary request as it arrives (query string, form): dates as `YYYY-MM-DD`, both included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SummaryQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub group_by: Option<String>,
}

/// A summary with the period and grouping it was computed for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub from: String,
    pub to: String,
    pub group_by: Option<SummaryGroup>,
    #[serde(flatten)]
    pub summary: ReportSummary,
}

/// A date from a query. Years outside 1970–9999 are refused: chrono's own range ends at year
/// ±262,143, where the period arithmetic below (a day after `to`) would overflow and panic.
fn date(field: &'static str, text: &str) -> Result<NaiveDate, ServiceError> {
    let parsed = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| ServiceError::invalid(field, format!("{text:?} is not a date: use YYYY-MM-DD")))?;
    if !(1970..=9999).contains(&parsed.year()) {
        return Err(ServiceError::invalid(
            field,
            format!("{text:?} is outside the years 1970 to 9999"),
        ));
    }
    Ok(parsed)
}

/// A period of whole UTC days, both ends included, and the same as Unix seconds `[start, end)`.
pub(crate) struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub start: i64,
    pub end: i64,
}

impl Period {
    /// `to` defaults to today, `from` to `default_days` before it; at most [`MAX_SUMMARY_DAYS`].
    fn parse(from: Option<&str>, to: Option<&str>, default_days: i64) -> Result<Self, ServiceError> {
        let to = match to.filter(|t| !t.trim().is_empty()) {
            Some(t) => date("to", t)?,
            None => Utc::now().date_naive(),
        };
        let from = match from.filter(|t| !t.trim().is_empty()) {
            Some(f) => date("from", f)?,
            None => to - chrono::Days::new(default_days as u64 - 1),
        };
        if from > to {
            return Err(ServiceError::invalid("from", format!("{from} is after {to}")));
        }
        if (to - from).num_days() + 1 > MAX_SUMMARY_DAYS {
            return Err(ServiceError::invalid(
                "to",
                format!("a summary covers at most {MAX_SUMMARY_DAYS} days"),
            ));
        }
        let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp();
        Ok(Self {
            from,
            to,
            start: midnight(from),
            end: midnight(to + chrono::Days::new(1)),
        })
    }

    /// A period from a form or query: `from` and `to`, or a preset of `days` ending on `to` (or
    /// today); `default_days` ending today when neither start is given.
    pub(crate) fn resolve(
        from: Option<String>,
        to: Option<String>,
        days: Option<i64>,
        default_days: i64,
    ) -> Result<Self, ServiceError> {
        let from = match (from.filter(|f| !f.trim().is_empty()), days) {
            (Some(f), _) => Some(f),
            (None, Some(n)) if (1..=MAX_SUMMARY_DAYS).contains(&n) => {
                let end = match to.as_deref().filter(|t| !t.trim().is_empty()) {
                    Some(t) => date("to", t)?,
                    None => Utc::now().date_naive(),
                };
                Some((end - chrono::Days::new(n as u64 - 1)).to_string())
            }
            (None, Some(n)) => {
                return Err(ServiceError::invalid(
                    "days",
                    format!("{n} is not between 1 and {MAX_SUMMARY_DAYS}"),
                ))
            }
            (None, None) => None,
        };
        Self::parse(from.as_deref(), to.as_deref(), default_days)
    }

    pub(crate) fn days(&self) -> i64 {
        (self.end - self.start) / 86_400
    }
}

impl Services {
    /// Session totals for the period, grouped as asked.
    pub async fn report_summary(
        &self,
        access: &OrgAccess,
        raw: &str,
        query: &SummaryQuery,
    ) -> Result<Summary, ServiceError> {
        let domain = name_of(raw)?;
        let group_by = match query.group_by.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
            None => None,
            Some(g) => Some(SummaryGroup::parse(g).ok_or_else(|| {
                let known: Vec<&str> = SummaryGroup::ALL.iter().map(|g| g.as_str()).collect();
                ServiceError::invalid("group_by", format!("{g:?} is not one of {}", known.join(", ")))
            })?),
        };
        let p = Period::parse(query.from.as_deref(), query.to.as_deref(), DEFAULT_SUMMARY_DAYS)?;
        let mut summary = self
            .store
            .tlsrpt_summary(access, &domain, p.start, p.end, group_by)
            .await?;
        if group_by == Some(SummaryGroup::SendingIp) {
            self.name_sending_ips(&mut summary.groups).await;
        }
        Ok(Summary {
            from: p.from.to_string(),
            to: p.to.to_string(),
            group_by,
            summary,
        })
    }
}

/// Rows of a grouped table the overview page shows (the exports hold them all); reverse DNS is
/// looked up for these only.
pub const GROUP_ROWS_SHOWN: usize = 100;

/// Everything the report overview page shows for one period, with the previous period's totals
/// for comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportOverview {
    pub summary: Summary,
    /// The same number of days just before `from`.
    pub previous: ReportSummary,
    pub by_result: Vec<portcullis_store::SummaryRow>,
    pub by_organization: Vec<portcullis_store::SummaryRow>,
    pub by_sending_ip: Vec<portcullis_store::SummaryRow>,
    pub by_receiving_mx: Vec<portcullis_store::SummaryRow>,
    pub by_day: Vec<portcullis_store::SummaryRow>,
    /// Failed sessions per day and result type (days with failures only).
    pub daily_results: Vec<portcullis_store::DailyResult>,
}

impl Services {
    pub async fn report_overview(
        &self,
        access: &OrgAccess,
        raw: &str,
        from: Option<String>,
        to: Option<String>,
        days: Option<i64>,
    ) -> Result<ReportOverview, ServiceError> {
        // A preset ("last N days") ends today, or on `to` when given.
        let p = Period::resolve(from, to, days, DEFAULT_SUMMARY_DAYS)?;
        let mut data = self
            .store
            .tlsrpt_overview(access, &name_of(raw)?, p.start - p.days() * 86_400, p.start, p.end)
            .await?;
        let shown = data.by_sending_ip.len().min(GROUP_ROWS_SHOWN);
        self.name_sending_ips(&mut data.by_sending_ip[..shown]).await;
        Ok(ReportOverview {
            summary: Summary {
                from: p.from.to_string(),
                to: p.to.to_string(),
                group_by: None,
                summary: data.current,
            },
            previous: data.previous,
            by_result: data.by_result,
            by_organization: data.by_organization,
            by_sending_ip: data.by_sending_ip,
            by_receiving_mx: data.by_receiving_mx,
            by_day: data.by_day,
            daily_results: data.daily_results,
        })
    }
}

/// Reports per page of the report list.
pub const REPORTS_PAGE_SIZE: i64 = 50;

/// One page of a domain's report list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportPage {
    pub reports: Vec<ReportRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub sort: ReportSort,
    pub descending: bool,
}

impl Services {
    /// `sort` is one of [`ReportSort`]'s names (default: period), `dir` `asc` or `desc` (default
    /// desc), `page` from 1.
    pub async fn report_page(
        &self,
        access: &OrgAccess,
        raw: &str,
        sort: Option<&str>,
        dir: Option<&str>,
        page: Option<i64>,
    ) -> Result<ReportPage, ServiceError> {
        let domain = name_of(raw)?;
        let sort = match sort.filter(|s| !s.is_empty()) {
            None => ReportSort::Period,
            Some(s) => {
                ReportSort::parse(s).ok_or_else(|| ServiceError::invalid("sort", format!("{s:?} is not a column")))?
            }
        };
        let descending = !matches!(dir, Some("asc"));
        let page = page.unwrap_or(1).max(1);
        let (reports, total) = self
            .store
            .tlsrpt_report_page(
                access,
                &domain,
                sort,
                descending,
                REPORTS_PAGE_SIZE,
                (page - 1) * REPORTS_PAGE_SIZE,
            )
            .await?;
        let pages = (total + REPORTS_PAGE_SIZE - 1) / REPORTS_PAGE_SIZE;
        Ok(ReportPage {
            reports,
            total,
            page,
            pages: pages.max(1),
            sort,
            descending,
        })
    }

    /// One report of the domain with its policies and failure details, and its JSON as the
    /// sender wrote it.
    pub async fn report_detail(
        &self,
        access: &OrgAccess,
        raw: &str,
        id: i64,
    ) -> Result<(ReportDetail, Vec<u8>), ServiceError> {
        let domain = name_of(raw)?;
        let detail = self.store.tlsrpt_report(access, id).await?;
        if detail.report.domain != domain.as_str() {
            return Err(ServiceError::NotFound);
        }
        let gz = self.store.tlsrpt_raw(access, id).await?;
        let json = decode(PayloadKind::Gzip, &gz, PayloadLimits::default()).map_err(|e| {
            tracing::error!(report = id, error = %e, "stored report JSON does not decompress");
            ServiceError::Internal
        })?;
        Ok((detail, json))
    }
}

/// The cross-domain overview: every domain the user can see (one organisation, or all of them;
/// all organisations for a platform administrator), ranked by failed sessions over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrendOverview {
    pub from: String,
    pub to: String,
    /// (organisation name, organisation slug, the domain's trend), most failures first.
    pub rows: Vec<(String, String, DomainTrend)>,
}

impl Services {
    pub async fn domain_trends(
        &self,
        user: &portcullis_store::User,
        org: Option<&str>,
        days: i64,
    ) -> Result<TrendOverview, ServiceError> {
        if !(1..=MAX_SUMMARY_DAYS).contains(&days) {
            return Err(ServiceError::invalid(
                "days",
                format!("{days} is not between 1 and {MAX_SUMMARY_DAYS}"),
            ));
        }
        let accesses = match org.filter(|s| !s.is_empty()) {
            Some(slug) => vec![self.org_access(user, slug).await?],
            None => self.store.accesses_for_user(user).await?,
        };
        let to = Utc::now().date_naive();
        let from = to - chrono::Days::new(days as u64 - 1);
        let start = from
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
            .timestamp();
        let end = start + days * 86_400;
        let mut rows = Vec::new();
        for access in &accesses {
            for trend in self.store.tlsrpt_org_trends(access, start, end).await? {
                rows.push((access.org_name().to_string(), access.org_slug().to_string(), trend));
            }
        }
        rows.sort_by(|a, b| b.2.failed.cmp(&a.2.failed).then_with(|| a.2.domain.cmp(&b.2.domain)));
        Ok(TrendOverview {
            from: from.to_string(),
            to: to.to_string(),
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_at_the_edge_of_the_calendar_are_refused_not_a_panic() {
        for (from, to) in [
            (None, Some("+262143-12-31")),
            (Some("-262143-01-01"), None),
            (Some("0001-01-01"), Some("0001-01-02")),
        ] {
            assert!(
                matches!(
                    Period::parse(from, to, DEFAULT_SUMMARY_DAYS),
                    Err(ServiceError::Invalid { .. })
                ),
                "{from:?} {to:?}"
            );
        }
        let p = Period::parse(Some("9999-12-01"), Some("9999-12-31"), DEFAULT_SUMMARY_DAYS).unwrap();
        assert_eq!(p.days(), 31);
    }
}
