//! Server functions for a domain's mode: the readiness gate, transitions, and their history.

use crate::dto::LifecycleView;
use crate::AppError;
use leptos::prelude::*;

#[server(prefix = "/sfn", endpoint = "get_lifecycle")]
pub async fn get_lifecycle(name: String) -> Result<LifecycleView, AppError> {
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let view = st.services.readiness(&access, &row.name).await.map_err(service_error)?;
    let transitions = st
        .services
        .transitions(&access, &row.name)
        .await
        .map_err(service_error)?;
    // The record is verified when a check after the last change saw the current id.
    let changed_at = transitions.first().map(|t| t.created_at).unwrap_or(0);
    let sts_seen = view
        .last_check
        .map(|(checked_at, sts_ok)| (checked_at, checked_at >= changed_at && sts_ok));
    Ok(LifecycleView {
        id_automatic: st.services.id_publishing(&access, &view.domain).await.automatic,
        domain: view.domain,
        role: access.role(),
        mode: view.mode,
        policy_id: view.policy_id,
        readiness: view.readiness,
        replay: view.replay,
        window: view.window,
        window_from: view.window_from,
        window_to: view.window_to,
        candidate: view.candidate,
        min_testing_days: view.config.min_testing_days.max(1),
        retire_at: view.retire_at,
        sts_seen,
        mx_drift: view.mx_drift,
        max_age: view.max_age,
        max_age_advice: view.max_age_advice,
        transitions,
    })
}

/// A confirmed mode change from the lifecycle page.
#[server(prefix = "/sfn", endpoint = "transition_domain")]
pub async fn transition_domain(
    csrf: String,
    name: String,
    to: String,
    confirm: Option<String>,
    reason: Option<String>,
) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    use portcullis_service::{TransitionOutcome, TransitionRequest};
    let (st, req, user) = guard(&csrf)?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let form = to.trim().to_string();
    let request = TransitionRequest { to, confirm, reason };
    // The page has a form per target mode with the same field names: the refusal names the form's
    // field (enforce_reason, none_confirm), so it shows under the field that was filled in.
    let outcome = st
        .services
        .transition(&access, &row.name, &request, user.email.as_str())
        .await
        .map_err(|e| match service_error(e) {
            AppError::Invalid { field, message } if field == "confirm" || field == "reason" => {
                AppError::invalid(&format!("{form}_{field}"), message)
            }
            other => other,
        })?;
    match outcome {
        TransitionOutcome::Refused(readiness) => {
            let failing: Vec<&str> = readiness.failing().map(|i| i.code.title()).collect();
            Err(fail(AppError::Conflict(format!(
                "Not moved to enforce: the readiness gate failed ({}). Fix those items, or (owners) type the domain name and a reason to override.",
                failing.join("; ")
            ))))
        }
        TransitionOutcome::Done { transition, .. } => {
            let next = st
                .services
                .id_next_step(&access, &row.name, &transition.policy_id)
                .await;
            flash(
                &st,
                &req,
                Flash::Notice(format!(
                    "{} moved from {} to {} (policy id {}). {next}",
                    row.name, transition.from_mode, transition.to_mode, transition.policy_id
                )),
            )
            .await;
            go(&format!("/domains/{}/lifecycle", row.name));
            Ok(())
        }
    }
}

/// The one-click MX-drift fix: adds the uncovered MX to the policy (new id), then shows the DNS
/// change to make.
#[server(prefix = "/sfn", endpoint = "fix_mx_drift")]
pub async fn fix_mx_drift(csrf: String, name: String) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    let (st, req, user) = guard(&csrf)?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let fix = st
        .services
        .fix_mx_drift(&access, &row.name, user.email.as_str())
        .await
        .map_err(service_error)?;
    let next = st.services.id_next_step(&access, &row.name, &fix.policy_id).await;
    flash(
        &st,
        &req,
        Flash::Notice(format!(
            "Step 1 done: the policy now lists {} (policy id {}). Step 2: {next}",
            fix.added.join(", "),
            fix.policy_id,
        )),
    )
    .await;
    go(&format!("/domains/{}/lifecycle", row.name));
    Ok(())
}
