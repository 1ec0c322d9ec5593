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
    let push = o.push.clone();
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
        setup: o.setup,
        delegation: o.delegation,
        id_automatic: o.id_publishing.automatic,
        push_id: push.as_ref().and_then(|p| p.pushed_id.clone()),
        push_at: push.as_ref().and_then(|p| p.pushed_at),
        push_error: push.and_then(|p| p.error),
        push_configured: o.push_configured,
        can_edit: access.role().allows(portcullis_domain::Role::Editor),
    })
}

/// Chooses how the domain's records reach DNS (delegated, manual or push).
#[server(prefix = "/sfn", endpoint = "set_dns_setup")]
pub async fn set_dns_setup(csrf: String, name: String, setup: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let row = st
        .services
        .set_dns_setup(&access, &row.name, &setup)
        .await
        .map_err(service_error)?;
    let next = match row.dns_setup.as_str() {
        "delegated" => "publish the three CNAMEs below once, then check the DNS",
        "push" => {
            "Portcullis now pushes the _mta-sts record after every policy change; push now to publish the current id"
        }
        _ => "publish the records below by hand, and each new policy id",
    };
    flash(
        &st,
        &req,
        Flash::Notice(format!(
            "{}: records {}. Next: {next}.",
            row.name,
            portcullis_domain::dns::DnsSetup::parse(&row.dns_setup)
                .map(|s| s.label())
                .unwrap_or("published by hand")
        )),
    )
    .await;
    go(&format!("/domains/{}#dns", row.name));
    Ok(())
}

/// "Push now": pushes the current id to the organisation's DNS server and verifies it.
#[server(prefix = "/sfn", endpoint = "push_dns_now")]
pub async fn push_dns_now(csrf: String, name: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let outcome = st.services.push_now(&access, &row.name).await.map_err(service_error)?;
    let message = match (&outcome.error, outcome.verified) {
        (Some(e), _) => Flash::Warning(format!("The push of id {} failed: {e}", outcome.policy_id)),
        (None, Some(false)) => Flash::Warning(format!(
            "Pushed id {}, but the DNS check does not see it yet: see the findings below.",
            outcome.policy_id
        )),
        (None, _) => Flash::Notice(format!("Pushed _mta-sts.{} TXT \"{}\".", row.name, outcome.record)),
    };
    flash(&st, &req, message).await;
    go(&format!("/domains/{}#dns", row.name));
    Ok(())
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
