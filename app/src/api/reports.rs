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
