//! Server functions for a domain's MTA-STS policy: overview, one version, proposal from MX, save.

use crate::dto::{urlencode, MxProposalView, PolicyOverview, PolicyVersion};
use crate::AppError;
use leptos::prelude::*;
use portcullis_domain::policy::PolicyDraft;

#[server(prefix = "/sfn", endpoint = "get_policy")]
pub async fn get_policy(name: String) -> Result<PolicyOverview, AppError> {
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let (state, versions) = st
        .services
        .policy_with_history(&access, &row.name)
        .await
        .map_err(service_error)?;
    let certificate = st
        .services
        .cert_state(&access, &state.domain)
        .await
        .map_err(service_error)?;
    Ok(PolicyOverview {
        certificate,
        warnings: state
            .warnings()
            .into_iter()
            .map(|w| (w.code().to_string(), w.message().to_string()))
            .collect(),
        draft: state.policy.as_ref().map(PolicyDraft::from_policy),
        id_automatic: st.services.id_publishing(&access, &row.name).await.automatic,
        domain: row,
        role: access.role(),
        versions,
    })
}

/// One version and the one before it, for the diff.
#[server(prefix = "/sfn", endpoint = "get_policy_version")]
pub async fn get_policy_version(name: String, id: String) -> Result<(PolicyVersion, Option<PolicyVersion>), AppError> {
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    st.services
        .policy_version(&access, &row.name, &id)
        .await
        .map_err(service_error)
}

#[server(prefix = "/sfn", endpoint = "propose_policy")]
pub async fn propose_policy(name: String) -> Result<MxProposalView, AppError> {
    use crate::ssr::*;
    let (st, _req, user) = require_user()?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let p = st
        .services
        .propose_from_mx(&access, &row.name)
        .await
        .map_err(service_error)?;
    Ok(MxProposalView {
        records: p.records().iter().map(|r| (r.preference, r.host.clone())).collect(),
        uncovered_now: p
            .current_coverage
            .iter()
            .filter(|c| c.covered_by.is_empty())
            .map(|c| c.host.clone())
            .collect(),
        explanation: p.explanation,
        patterns: p
            .suggestion
            .patterns
            .into_iter()
            .map(|s| (s.pattern.to_string(), s.covers))
            .collect(),
        unusable: p.suggestion.unusable.into_iter().map(|u| (u.host, u.reason)).collect(),
    })
}

/// Saves the editor's fields as the served policy (a new version and id when the text changes).
#[server(prefix = "/sfn", endpoint = "save_policy")]
pub async fn save_policy(
    csrf: String,
    name: String,
    mode: String,
    max_age: String,
    mx: String,
) -> Result<(), AppError> {
    use crate::dto::Flash;
    use crate::ssr::*;
    use portcullis_domain::models::SaveOutcome;
    let (st, req, user) = guard(&csrf)?;
    let (access, row) = st.services.domain_for_user(&user, &name).await.map_err(service_error)?;
    let draft = PolicyDraft { mode, max_age, mx };
    let check = draft.check();
    // Back to the editor with everything the user typed and the problem: a refused form must
    // not lose its contents.
    let back = |field: &str, message: &str| {
        go(&format!(
            "{}&error_field={}&error={}",
            draft_url(&row.name, &draft),
            urlencode(field),
            urlencode(message)
        ));
    };
    let Some(policy) = check.policy else {
        let (field, message) = check
            .problems
            .into_iter()
            .next()
            .map(|p| (p.field.to_string(), p.message))
            .unwrap_or_else(|| ("mx".into(), "the policy is not valid".into()));
        back(&field, &message);
        return Ok(());
    };
    let outcome = match st
        .services
        .save_policy(&access, &row.name, &policy.to_spec(), &user.email)
        .await
    {
        Ok(outcome) => outcome,
        Err(portcullis_service::ServiceError::Invalid { field, message }) => {
            back(field, &message);
            return Ok(());
        }
        Err(e) => return Err(service_error(e)),
    };
    let message = match outcome {
        SaveOutcome::Saved(v) => format!(
            "Saved: {} (policy id {}). {}",
            v.note,
            v.policy_id,
            st.services.id_next_step(&access, &row.name, &v.policy_id).await
        ),
        SaveOutcome::Unchanged(v) => format!(
            "Nothing changed: the served policy is already this text (id {}).",
            v.policy_id
        ),
    };
    flash(&st, &req, Flash::Notice(message)).await;
    go(&format!("/domains/{}", row.name));
    Ok(())
}

/// The editor's "Preview" without JavaScript: checks the form token, then shows the draft on the
/// editor page (the fields travel in the URL; the token does not).
#[server(prefix = "/sfn", endpoint = "preview_policy")]
pub async fn preview_policy(
    csrf: String,
    name: String,
    mode: String,
    max_age: String,
    mx: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let (_st, _req, _user) = guard(&csrf)?;
    go(&draft_url(&name, &PolicyDraft { mode, max_age, mx }));
    Ok(())
}

/// The editor page showing `draft` (fields in the query string).
pub fn draft_url(domain: &str, draft: &PolicyDraft) -> String {
    format!(
        "/domains/{}/policy?mode={}&max_age={}&mx={}",
        urlencode(domain),
        urlencode(&draft.mode),
        urlencode(&draft.max_age),
        urlencode(&draft.mx)
    )
}
