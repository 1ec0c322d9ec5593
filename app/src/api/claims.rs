//! Server functions for claims (a name another organisation registered but never proved) and
//! the notices of registrations released to a claimant.

use crate::dto::ClaimsView;
use crate::AppError;
use leptos::prelude::*;

/// Open claims and notices of the organisations the user sees (or just `org`).
#[server(prefix = "/sfn", endpoint = "get_claims")]
pub async fn get_claims(org: Option<String>) -> Result<ClaimsView, AppError> {
    use crate::dto::{ClaimItem, NoticeItem};
    use crate::ssr::*;
    use portcullis_domain::Role;
    let (st, _req, user) = require_user()?;
    let orgs = st.services.orgs_for(&user).await.map_err(service_error)?;
    let mut out = ClaimsView::default();
    for o in orgs.iter().filter(|o| org.as_deref().is_none_or(|s| s == o.slug)) {
        let access = org_access(&st, &user, &o.slug).await?;
        if access.role().allows(Role::Editor) {
            for c in st.services.domain_claims(&access).await.map_err(service_error)? {
                out.claims.push(ClaimItem {
                    org_slug: o.slug.clone(),
                    org_name: o.name.clone(),
                    name: c.name,
                    record: c.record,
                    delegation: c.delegation,
                    created_at: c.created_at,
                });
            }
        }
        for n in st.services.org_notices(&access).await.map_err(service_error)? {
            out.notices.push(NoticeItem {
                org_name: o.name.clone(),
                detail: n.detail,
                created_at: n.created_at,
            });
        }
    }
    Ok(out)
}

#[server(prefix = "/sfn", endpoint = "claim_domain")]
pub async fn claim_domain(csrf: String, org: String, name: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    let claim = st
        .services
        .claim_domain(&access, &name, &user.email)
        .await
        .map_err(service_error)?;
    flash(
        &st,
        &req,
        Flash::Notice(format!(
            "Claim on {} opened. Publish the TXT record shown under Claims (or the delegation CNAMEs), then check the claim.",
            claim.name
        )),
    )
    .await;
    go(&format!("/?org={}#claims", access.org_slug()));
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "check_claim")]
pub async fn check_claim(csrf: String, org: String, name: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    use portcullis_service::ClaimCheck;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    match st.services.check_claim(&access, &name).await.map_err(service_error)? {
        ClaimCheck::Released { how } => {
            let domain = name.trim().trim_end_matches('.').to_ascii_lowercase();
            flash(
                &st,
                &req,
                Flash::Notice(format!(
                    "Control of {domain} proven ({how}): the domain is now registered in {}.",
                    access.org_name()
                )),
            )
            .await;
            go(&format!("/domains/{domain}"));
        }
        ClaimCheck::NotYet { findings } => {
            let seen = findings
                .iter()
                .find(|f| f.severity != portcullis_domain::dns::Severity::Ok)
                .map(|f| f.seen.clone())
                .unwrap_or_default();
            flash(
                &st,
                &req,
                Flash::Warning(format!(
                    "Not proven yet: {seen}. Publish the record, wait for DNS, and check again."
                )),
            )
            .await;
            go(&format!("/?org={}#claims", access.org_slug()));
        }
    }
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "withdraw_claim")]
pub async fn withdraw_claim(csrf: String, org: String, name: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    st.services
        .withdraw_claim(&access, &name)
        .await
        .map_err(service_error)?;
    flash(&st, &req, Flash::Notice(format!("Claim on {name} withdrawn."))).await;
    go(&format!("/?org={}", access.org_slug()));
    Ok(())
}
