use crate::dto::{DomainDetail, DomainListing};
use crate::AppError;
use leptos::prelude::*;

/// A page of the domains list: every organisation the user can see, or just `org`.
#[server(prefix = "/sfn", endpoint = "list_domains")]
pub async fn list_domains(
    org: Option<String>,
    q: Option<String>,
    page: Option<i64>,
) -> Result<DomainListing, AppError> {
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let page = page.unwrap_or(1).max(1);
    let found = st
        .services
        .list_domains(&user, org.as_deref(), q.as_deref(), page)
        .await
        .map_err(service_error)?;
    Ok(DomainListing {
        rows: found.rows,
        total: found.total,
        page,
        page_size: portcullis_service::DOMAINS_PAGE_SIZE,
        delegation_available: st.services.dns_config().zone.is_some(),
    })
}

#[server(prefix = "/sfn", endpoint = "get_domain")]
pub async fn get_domain(name: String) -> Result<DomainDetail, AppError> {
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let mx_drift = st.services.mx_drift(&access, &row.name).await.map_err(service_error)?;
    Ok(DomainDetail {
        id_automatic: st.services.id_publishing(&access, &row.name).await.automatic,
        domain: row,
        role: access.role(),
        mx_drift,
    })
}

#[server(prefix = "/sfn", endpoint = "add_domain")]
pub async fn add_domain(csrf: String, org: String, name: String, setup: Option<String>) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    let row = st.services.add_domain(&access, &name).await.map_err(service_error)?;
    let delegated = setup.as_deref() == Some("delegated");
    if delegated {
        st.services
            .set_dns_setup(&access, &row.name, "delegated")
            .await
            .map_err(service_error)?;
    }
    let next = if delegated {
        "Next: publish its three delegation CNAMEs (on the domain's page) once; they also prove the domain is yours."
    } else {
        "Next: prove the domain is yours with the TXT record on its page, and save a policy."
    };
    flash(
        &st,
        &req,
        Flash::Notice(format!("Added {} to {}. {next}", row.name, row.org_name)),
    )
    .await;
    go(&format!("/?org={}", access.org_slug()));
    Ok(())
}

/// Adds a pasted list or CSV; the per-line report is shown on the next page.
#[server(prefix = "/sfn", endpoint = "bulk_add_domains")]
pub async fn bulk_add_domains(csrf: String, org: String, text: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let access = org_access(&st, &user, &org).await?;
    let report = st
        .services
        .bulk_add_domains(&access, &text)
        .await
        .map_err(service_error)?;
    flash(&st, &req, Flash::Bulk(report)).await;
    go(&format!("/domains/import?org={}", access.org_slug()));
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "delete_domain")]
pub async fn delete_domain(csrf: String, name: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    st.services
        .delete_domain(&access, &row.name)
        .await
        .map_err(service_error)?;
    flash(&st, &req, Flash::Notice(format!("Deleted {}.", row.name))).await;
    go("/");
    Ok(())
}
