//! Server functions for MX migration plans: the plan page, opening a plan and closing it.

use crate::dto::MxPlanInfo;
use crate::AppError;
use leptos::prelude::*;

/// Host names typed one per line (or separated by commas or spaces).
#[cfg(feature = "ssr")]
fn hosts(text: Option<String>) -> Vec<String> {
    text.unwrap_or_default()
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|h| !h.is_empty())
        .map(String::from)
        .collect()
}

#[server(prefix = "/sfn", endpoint = "get_mx_plan")]
pub async fn get_mx_plan(name: String) -> Result<MxPlanInfo, AppError> {
    use crate::dto::MxPlanDto;
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let (plan, state, dns) = tokio::try_join!(
        st.services.mx_plan(&access, &row.name),
        st.services.policy_state(&access, &row.name),
        st.services.dns_overview(&access, &row.name),
    )
    .map_err(service_error)?;
    let live_mx = dns.latest.as_ref().map(|c| (c.checked_at, c.live_mx()));
    Ok(MxPlanInfo {
        domain: row.name.clone(),
        role: access.role(),
        policy: state.policy.as_ref().map(|p| {
            (
                p.mode().as_str().to_string(),
                p.mx().iter().map(|m| m.as_str().to_string()).collect(),
            )
        }),
        live_mx,
        plan: plan.map(|p| MxPlanDto {
            kind: p.kind,
            add: p.add,
            retire: p.retire,
            created_by: p.created_by,
            created_at: p.created_at,
            steps: p.steps,
            complete: p.complete,
            planned_policy: p.planned_policy,
            replay: p.replay,
            replay_from: p.replay_from,
            replay_to: p.replay_to,
        }),
    })
}

#[server(prefix = "/sfn", endpoint = "open_mx_plan")]
pub async fn open_mx_plan(
    csrf: String,
    name: String,
    add: Option<String>,
    retire: Option<String>,
) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let plan = st
        .services
        .create_mx_plan(&access, &row.name, &hosts(add), &hosts(retire), user.email.as_str())
        .await
        .map_err(service_error)?;
    let next = plan
        .next_step()
        .map(|s| format!(" First step: {}.", s.title))
        .unwrap_or_default();
    flash(
        &st,
        &req,
        Flash::Notice(format!("MX plan opened for {}.{next}", row.name)),
    )
    .await;
    go(&format!("/domains/{}/mx-plan", row.name));
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "close_mx_plan")]
pub async fn close_mx_plan(csrf: String, name: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let outcome = st
        .services
        .close_mx_plan(&access, &row.name, user.email.as_str())
        .await
        .map_err(service_error)?;
    flash(
        &st,
        &req,
        Flash::Notice(format!("The MX plan for {} is closed ({outcome}).", row.name)),
    )
    .await;
    go(&format!("/domains/{}/mx-plan", row.name));
    Ok(())
}
