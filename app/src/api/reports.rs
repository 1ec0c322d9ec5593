//! Server functions for a domain's TLS-RPT reports.

use crate::dto::ReportsView;
use crate::AppError;
use leptos::prelude::*;

/// Reports shown on the domain page.
pub const RECENT_REPORTS: i64 = 10;

#[server(prefix = "/sfn", endpoint = "get_reports")]
pub async fn get_reports(name: String) -> Result<ReportsView, AppError> {
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let (totals, recent) = st
        .services
        .recent_reports(&access, &row.name, RECENT_REPORTS)
        .await
        .map_err(service_error)?;
    let status = st
        .services
        .reporting_status(&access, &row.name)
        .await
        .map_err(service_error)?;
    Ok(ReportsView {
        domain: row.name,
        reports: totals.reports,
        successful: totals.successful,
        failed: totals.failed,
        recent,
        senders: status
            .senders
            .into_iter()
            .map(|s| (s.reporting, s.last_received))
            .collect(),
        reporting: status.domain,
        report_record_shown: !st.services.dns_config().reports.uris().is_empty(),
    })
}

#[server(prefix = "/sfn", endpoint = "get_report_overview")]
pub async fn get_report_overview(
    name: String,
    from: Option<String>,
    to: Option<String>,
    days: Option<i64>,
) -> Result<crate::dto::ReportOverviewView, AppError> {
    use crate::dto::{PeriodTotals, ReportOverviewView, ResultCategoryView, ResultView};
    use crate::ssr::*;
    use portcullis_domain::tlsrpt::ResultType;
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let o = st
        .services
        .report_overview(&access, &row.name, from, to, days)
        .await
        .map_err(service_error)?;
    let mut by_category: Vec<(portcullis_domain::tlsrpt::ResultCategory, ResultCategoryView)> = Vec::new();
    for g in o.by_result.clone() {
        let t = ResultType::parse(&g.key);
        let category = t.category();
        let view = ResultView {
            result_type: g.key.clone(),
            failed: g.failed,
            meaning: t.meaning().to_string(),
            fix: t.fix().to_string(),
        };
        match by_category.iter_mut().find(|(c, _)| *c == category) {
            Some((_, c)) => {
                c.failed += g.failed;
                c.results.push(view);
            }
            None => by_category.push((
                category,
                ResultCategoryView {
                    label: category.label().to_string(),
                    failed: g.failed,
                    results: vec![view],
                },
            )),
        }
    }
    by_category.sort_by_key(|(c, _)| *c);
    let failures = |rows: &[crate::dto::SummaryRow]| rows.iter().map(|g| (g.key.clone(), g.failed)).collect::<Vec<_>>();
    let charts = {
        use portcullis_service::charts::{daily_sessions, failure_bars, stacked_failures};
        let day_keys: Vec<String> = o.by_day.iter().map(|g| g.key.clone()).collect();
        let mut series: Vec<(String, Vec<i64>)> = Vec::new();
        for d in &o.daily_results {
            let Some(i) = day_keys.iter().position(|k| *k == d.day) else {
                continue;
            };
            let slot = match series.iter().position(|(t, _)| *t == d.result_type) {
                Some(slot) => slot,
                None => {
                    series.push((d.result_type.clone(), vec![0; day_keys.len()]));
                    series.len() - 1
                }
            };
            series[slot].1[i] += d.failed;
        }
        let days: Vec<(String, i64, i64)> = o
            .by_day
            .iter()
            .map(|g| (g.key.clone(), g.successful.unwrap_or(0), g.failed))
            .collect();
        let mut by_failed = o.by_organization.clone();
        by_failed.retain(|g| g.failed > 0);
        crate::dto::OverviewCharts {
            daily: daily_sessions("Sessions per day (UTC)", &days),
            daily_results: stacked_failures("Failed sessions per day by result (UTC)", &day_keys, &series),
            by_result: failure_bars("Failed sessions by result", &failures(&o.by_result)),
            by_organization: failure_bars("Failed sessions by sending organisation", &failures(&by_failed)),
            by_receiving_mx: failure_bars("Failed sessions by receiving MX", &failures(&o.by_receiving_mx)),
        }
    };
    let first = o.summary.from.clone();
    let days = o.by_day.len() as i64;
    Ok(ReportOverviewView {
        domain: row.name,
        org_slug: access.org_slug().to_string(),
        from: first,
        to: o.summary.to.clone(),
        days,
        current: PeriodTotals::from(&o.summary.summary),
        previous: PeriodTotals::from(&o.previous),
        by_category: by_category.into_iter().map(|(_, v)| v).collect(),
        by_organization: o.by_organization,
        sending_ips: o.by_sending_ip.len(),
        by_sending_ip: o
            .by_sending_ip
            .into_iter()
            .take(portcullis_service::GROUP_ROWS_SHOWN)
            .collect(),
        by_receiving_mx: o.by_receiving_mx,
        by_day: o.by_day,
        daily_results: o.daily_results,
        charts,
    })
}

#[server(prefix = "/sfn", endpoint = "get_senders")]
pub async fn get_senders(
    name: String,
    from: Option<String>,
    to: Option<String>,
    days: Option<i64>,
) -> Result<crate::dto::SendersView, AppError> {
    use crate::ssr::*;
    use portcullis_service::charts::{sender_timeline, TimelineRow, UNKNOWN_VERSION};
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let o = st
        .services
        .sender_policies(&access, &row.name, from, to, days)
        .await
        .map_err(service_error)?;
    let rows: Vec<TimelineRow> = o
        .senders
        .iter()
        .map(|s| {
            let runs = s
                .runs
                .iter()
                .map(|r| {
                    let label = r.policy_id.clone().unwrap_or_else(|| UNKNOWN_VERSION.to_string());
                    (label, r.from, r.to)
                })
                .collect();
            (s.organization.clone(), runs)
        })
        .collect();
    let served_id = o.served.as_ref().map(|v| v.policy_id.as_str());
    let chart = sender_timeline("Policy applied by each sender", o.start, o.end, served_id, &rows);
    Ok(crate::dto::SendersView {
        domain: row.name,
        days: (o.end - o.start) / 86_400,
        from: o.from,
        to: o.to,
        served: o.served.map(|v| (v.policy_id, v.mode, v.created_at)),
        senders: o.senders,
        chart,
    })
}

#[server(prefix = "/sfn", endpoint = "get_report_list")]
pub async fn get_report_list(
    name: String,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<i64>,
) -> Result<crate::dto::ReportListView, AppError> {
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let p = st
        .services
        .report_page(&access, &row.name, sort.as_deref(), dir.as_deref(), page)
        .await
        .map_err(service_error)?;
    Ok(crate::dto::ReportListView {
        domain: row.name,
        reports: p.reports,
        total: p.total,
        page: p.page,
        pages: p.pages,
        sort: p.sort.as_str().to_string(),
        descending: p.descending,
    })
}

#[server(prefix = "/sfn", endpoint = "get_report_detail")]
pub async fn get_report_detail(name: String, id: i64) -> Result<crate::dto::ReportDetailView, AppError> {
    use crate::dto::ReportDetailView;
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let (detail, raw) = st
        .services
        .report_detail(&access, &row.name, id)
        .await
        .map_err(service_error)?;
    // Indented for reading when it is valid JSON; as stored otherwise.
    let json = serde_json::from_slice::<serde_json::Value>(&raw)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| String::from_utf8_lossy(&raw).into_owned());
    Ok(ReportDetailView {
        domain: row.name,
        report: detail.report,
        policies: detail.policies,
        json,
        resends: detail.resends,
    })
}

#[server(prefix = "/sfn", endpoint = "get_trends")]
pub async fn get_trends(org: Option<String>, days: Option<i64>) -> Result<crate::dto::TrendsView, AppError> {
    use crate::dto::{TrendRow, TrendsView};
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let days = days.unwrap_or(30);
    let t = st
        .services
        .domain_trends(&user, org.as_deref(), days)
        .await
        .map_err(service_error)?;
    Ok(TrendsView {
        from: t.from,
        to: t.to,
        days,
        org: org.filter(|o| !o.is_empty()),
        rows: t
            .rows
            .into_iter()
            .map(|(org_name, org_slug, d)| TrendRow {
                domain: d.domain,
                org_name,
                org_slug,
                successful: d.successful,
                failed: d.failed,
                reports: d.reports,
                daily_failed: d.daily_failed,
            })
            .collect(),
    })
}

#[server(prefix = "/sfn", endpoint = "get_patterns")]
pub async fn get_patterns(org: Option<String>, days: Option<i64>) -> Result<crate::dto::PatternsView, AppError> {
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let o = st
        .services
        .failure_patterns_for(&user, org.as_deref(), days.unwrap_or(7))
        .await
        .map_err(service_error)?;
    Ok(crate::dto::PatternsView {
        from: o.from,
        to: o.to,
        days: o.days,
        org: org.filter(|o| !o.is_empty()),
        patterns: o.patterns,
    })
}
