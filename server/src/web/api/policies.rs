//! `GET|PUT /api/v1/domains/{name}/policy`, `GET …/policy/versions`, `GET …/policy/mx`.

use super::auth::TokenDomain;
use super::ApiError;
use crate::ServerState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_domain::{Policy, PolicySpec};
use portcullis_store::{PolicyVersion, SaveOutcome};
use serde_json::{json, Value};

fn version_json(v: &PolicyVersion) -> Value {
    json!({
        "id": v.policy_id,
        "mode": v.mode,
        "max_age": v.max_age,
        "text": v.body,
        "author": v.author,
        "note": v.note,
        "created_at": super::rfc3339(v.created_at),
    })
}

/// The documented shape: spec fields, `id` and `text`, plus warnings and provenance.
fn policy_json(domain: &str, v: &PolicyVersion) -> Value {
    let parsed = Policy::parse(&v.body).ok();
    let warnings: Vec<Value> = parsed
        .as_ref()
        .map(Policy::warnings)
        .unwrap_or_default()
        .into_iter()
        .map(|w| json!({"code": w.code(), "message": w.message()}))
        .collect();
    json!({
        "domain": domain,
        "id": v.policy_id,
        "mode": v.mode,
        "max_age": v.max_age,
        "mx": parsed.map(|p| p.to_spec().mx).unwrap_or_default(),
        "text": v.body,
        "warnings": warnings,
        "updated_at": super::rfc3339(v.created_at),
        "updated_by": v.author,
    })
}

pub async fn show(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
) -> Result<Response, ApiError> {
    let policy = state.app.services.policy_state(&access, &name).await?;
    let current = policy.current.ok_or_else(|| {
        ApiError::NotFound(format!(
            "{} has no policy yet; PUT one to start serving it",
            policy.domain
        ))
    })?;
    Ok(Json(policy_json(policy.domain.as_str(), &current)).into_response())
}

pub async fn put(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
    body: Result<Json<PolicySpec>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(spec) = body?;
    let author = format!("API token ({})", access.org_slug());
    let outcome = state.app.services.save_policy(&access, &name, &spec, &author).await?;
    let domain = portcullis_domain::DomainName::parse(&name).map_err(|_| ApiError::Internal)?;
    let (changed, version) = match outcome {
        SaveOutcome::Saved(v) => (true, v),
        SaveOutcome::Unchanged(v) => (false, v),
    };
    let mut out = policy_json(domain.as_str(), &version);
    out["changed"] = json!(changed);
    Ok(Json(out).into_response())
}

pub async fn versions(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
) -> Result<Response, ApiError> {
    let versions = state.app.services.policy_versions(&access, &name).await?;
    Ok(Json(json!({"versions": versions.iter().map(version_json).collect::<Vec<_>>()})).into_response())
}

pub async fn from_mx(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
) -> Result<Response, ApiError> {
    let proposal = state.app.services.propose_from_mx(&access, &name).await?;
    Ok(Json(proposal).into_response())
}
