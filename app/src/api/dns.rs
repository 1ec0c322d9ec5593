//! Server functions for a domain's DNS: records to publish, latest check, "check now".

use crate::dto::DnsView;
use crate::AppError;
use leptos::prelude::*;

#[server(prefix = "/sfn", endpoint = "get_dns")]
pub async fn get_dns(name: String) -> Result<DnsView, AppError> {
    use crate::ssr::*;
    use portcullis_domain::dns::Status;
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let o = st
        .services
        .dns_overview(&access, &row.name)
        .await
        .map_err(service_error)?;
    let (status, checked_at, origin, findings) = match o.latest {
        Some(run) => (run.status, Some(run.checked_at), Some(run.origin), run.findings),
        None => (Status::NeverChecked, None, None, Vec::new()),
    };
    Ok(DnsView {
        domain: o.domain,
        records: o.records,
        zone: o.zone,
        public_host_configured: o.public_host_configured,
        has_policy: o.has_policy,
        status,
        checked_at,
        origin,
        findings,
        can_check: o.can_check,
        events: o.events,
    })
}

/// "Check now": any member may ask; the result is stored and shown on the domain page.
#[server(prefix = "/sfn", endpoint = "check_dns_now")]
pub async fn check_dns_now(csrf: String, name: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let run = st
        .services
        .check_dns(&access, &row.name, "user")
        .await
        .map_err(service_error)?;
    flash(
        &st,
        &req,
        Flash::Notice(format!("Checked {}: {}.", row.name, run.status.label())),
    )
    .await;
    go(&format!("/domains/{}#dns", row.name));
    Ok(())
}
