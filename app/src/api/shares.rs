//! Server functions for read-only share links: owners create and revoke them on the
//! organisation page; anyone with a live link reads its page, signed in or not.

use crate::dto::SharedView;
use crate::AppError;
use leptos::prelude::*;

#[server(prefix = "/sfn", endpoint = "create_share_link")]
pub async fn create_share_link(
    csrf: String,
    org: String,
    domain: Option<String>,
    label: Option<String>,
    days: i64,
) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    let (token, link) = st
        .services
        .create_share_link(
            &access,
            domain.as_deref(),
            label.as_deref().unwrap_or(""),
            portcullis_service::ShareExpiry::Days(days),
            &user.email,
        )
        .await
        .map_err(service_error)?;
    let scope = match &link.domain {
        Some(d) => d.clone(),
        None => format!("every domain of {}", access.org_name()),
    };
    flash(
        &st,
        &req,
        Flash::ShareCreated {
            scope,
            link: site_url(&req, &format!("/share/{token}")),
            expires_at: link.expires_at,
        },
    )
    .await;
    go(&format!("/orgs/{}#shares", access.org_slug()));
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "revoke_share_link")]
pub async fn revoke_share_link(csrf: String, org: String, id: i64) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    st.services
        .revoke_share_link(&access, id)
        .await
        .map_err(service_error)?;
    flash(
        &st,
        &req,
        Flash::Notice("Share link revoked: it opens nothing from now on.".into()),
    )
    .await;
    go(&format!("/orgs/{}#shares", access.org_slug()));
    Ok(())
}

/// What a share link shows; `name` picks one domain of an organisation's link.
#[server(prefix = "/sfn", endpoint = "get_shared")]
pub async fn get_shared(token: String, name: Option<String>) -> Result<SharedView, AppError> {
    use crate::dto::{SharedDomainRow, SharedDomainView};
    use crate::ssr::*;
    use portcullis_service::charts::{daily_sessions, failure_bars};
    let st = state()?;
    let shared = st
        .services
        .open_share(&token, name.as_deref())
        .await
        .map_err(service_error)?;
    let access = &shared.access;
    let domain = match &shared.domain {
        None => None,
        Some(d) => {
            let row = st.services.domain_in(access, d).await.map_err(service_error)?;
            let dns = st.services.dns_overview(access, d).await.map_err(service_error)?;
            let o = st
                .services
                .report_overview(access, d, None, None, Some(portcullis_service::SHARED_DAYS))
                .await
                .map_err(service_error)?;
            let days: Vec<(String, i64, i64)> = o
                .by_day
                .iter()
                .map(|g| (g.key.clone(), g.successful.unwrap_or(0), g.failed))
                .collect();
            let results: Vec<(String, i64)> = o.by_result.iter().map(|g| (g.key.clone(), g.failed)).collect();
            let findings = dns
                .latest
                .as_ref()
                .map(|run| {
                    run.findings
                        .iter()
                        .filter(|f| f.severity != portcullis_domain::dns::Severity::Ok)
                        .map(|f| (f.severity.as_str().to_string(), f.seen.clone()))
                        .collect()
                })
                .unwrap_or_default();
            Some(SharedDomainView {
                name: row.name.clone(),
                mode: row.mode,
                dns_status: row.dns_status,
                checked_at: dns.latest.as_ref().map(|r| r.checked_at),
                findings,
                from: o.summary.from.clone(),
                to: o.summary.to.clone(),
                successful: o.summary.summary.successful,
                failed: o.summary.summary.failed,
                reports: o.summary.summary.reports,
                daily_chart: daily_sessions("Sessions per day (UTC)", &days),
                results_chart: failure_bars("Failed sessions by result", &results),
            })
        }
    };
    let domains = if shared.domain.is_none() {
        st.services
            .shared_domains(access)
            .await
            .map_err(service_error)?
            .into_iter()
            .map(|d| SharedDomainRow {
                name: d.name,
                mode: d.mode,
                dns_status: d.dns_status,
                successful: d.successful,
                failed: d.failed,
                reports: d.reports,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(SharedView {
        token,
        org_name: access.org_name().to_string(),
        expires_at: shared.expires_at,
        single: shared.single,
        domain,
        domains,
    })
}
