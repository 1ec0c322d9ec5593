//! Server functions for a domain's TLS-RPT reports.

use crate::dto::ReportsView;
use crate::AppError;
use leptos::prelude::*;

/// Reports shown on the domain page.
pub const RECENT_REPORTS: i64 = 10;

#[server(prefix = "/sfn", endpoint = "get_reports")]
pub async fn get_reports(name: String) -> Result<ReportsView, AppError> {
    use crate::dto::ReportSummary;
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let (totals, recent) = st
        .services
        .recent_reports(&access, &row.name, RECENT_REPORTS)
        .await
        .map_err(service_error)?;
    Ok(ReportsView {
        domain: row.name,
        reports: totals.reports,
        successful: totals.successful,
        failed: totals.failed,
        recent: recent
            .into_iter()
            .map(|r| ReportSummary {
                organization: r.organization_name,
                report_id: r.report_id,
                start_at: r.start_at,
                end_at: r.end_at,
                successful: r.successful,
                failed: r.failed,
                channel: r.channel,
                received_at: r.received_at,
            })
            .collect(),
    })
}

#[server(prefix = "/sfn", endpoint = "get_report_overview")]
pub async fn get_report_overview(
    name: String,
    from: Option<String>,
    to: Option<String>,
    days: Option<i64>,
) -> Result<crate::dto::ReportOverviewView, AppError> {
    use crate::dto::{GroupView, PeriodTotals, ReportOverviewView, ResultCategoryView, ResultView};
    use crate::ssr::*;
    use portcullis_domain::tlsrpt::ResultType;
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let o = st
        .services
        .report_overview(&access, &row.name, from, to, days)
        .await
        .map_err(service_error)?;
    let totals = |s: &portcullis_store::ReportSummary| PeriodTotals {
        successful: s.successful,
        failed: s.failed,
        reports: s.reports,
        organizations: s.organizations,
    };
    let groups = |rows: Vec<portcullis_store::SummaryRow>| {
        rows.into_iter()
            .map(|g| GroupView {
                key: g.key,
                successful: g.successful,
                failed: g.failed,
            })
            .collect::<Vec<_>>()
    };
    let mut by_category: Vec<(portcullis_domain::tlsrpt::ResultCategory, ResultCategoryView)> = Vec::new();
    for g in o.by_result {
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
    let first = o.summary.from.clone();
    let days = o.by_day.len() as i64;
    Ok(ReportOverviewView {
        domain: row.name,
        org_slug: access.org_slug().to_string(),
        from: first,
        to: o.summary.to.clone(),
        days,
        current: totals(&o.summary.summary),
        previous: totals(&o.previous),
        by_category: by_category.into_iter().map(|(_, v)| v).collect(),
        by_organization: groups(o.by_organization),
        by_sending_ip: groups(o.by_sending_ip),
        by_receiving_mx: groups(o.by_receiving_mx),
        by_day: groups(o.by_day),
    })
}
