//! How records reach DNS, per domain and organisation:
//! `PUT /api/v1/domains/{name}/dns/setup` (delegated, manual or push),
//! `POST /api/v1/domains/{name}/dns/push` (push now),
//! `GET|PUT|DELETE /api/v1/dns-push` (the organisation's push settings; the secret is never
//! shown again), and claims on names another organisation registered but never proved:
//! `GET|POST /api/v1/claims`, `POST /api/v1/claims/{name}/check`, `DELETE /api/v1/claims/{name}`.

use super::auth::{TokenAccess, TokenDomain};
use super::ApiError;
use crate::ServerState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_service::{ClaimCheck, ClaimView, PushInput, PushView};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct SetupBody {
    setup: String,
}

fn actor(access: &portcullis_store::OrgAccess) -> String {
    format!("API token ({})", access.org_slug())
}

pub async fn set_setup(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
    body: Result<Json<SetupBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let services = &state.app.services;
    services.set_dns_setup(&access, &name, &body.setup).await?;
    let o = services.dns_overview(&access, &name).await?;
    Ok(Json(super::dns::dns_json(&o, None)).into_response())
}

pub async fn push_now(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
) -> Result<Response, ApiError> {
    let outcome = state.app.services.push_now(&access, &name).await?;
    Ok(Json(json!({
        "ok": outcome.ok(),
        "policy_id": outcome.policy_id,
        "record": {"name": format!("_mta-sts.{}", name.trim_end_matches('.').to_ascii_lowercase()), "type": "TXT", "value": outcome.record},
        "error": outcome.error,
        "verified": outcome.verified,
    }))
    .into_response())
}

fn push_json(view: &PushView) -> Value {
    json!({
        "provider": view.provider,
        "server": view.server,
        "key_name": view.key_name,
        "algorithm": view.algorithm,
        "updated_by": view.updated_by,
        "updated_at": super::rfc3339(view.updated_at),
        "domains": view.domains,
    })
}

pub async fn show_push(
    State(state): State<ServerState>,
    TokenAccess(access): TokenAccess,
) -> Result<Response, ApiError> {
    match state.app.services.push_settings(&access).await? {
        Some(view) => Ok(Json(push_json(&view)).into_response()),
        None => Err(ApiError::NotFound("this organisation has no push settings".into())),
    }
}

pub async fn put_push(
    State(state): State<ServerState>,
    TokenAccess(access): TokenAccess,
    body: Result<Json<PushInput>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(input) = body?;
    let view = state
        .app
        .services
        .save_push_settings(&access, &actor(&access), &input)
        .await?;
    Ok(Json(push_json(&view)).into_response())
}

pub async fn delete_push(
    State(state): State<ServerState>,
    TokenAccess(access): TokenAccess,
) -> Result<Response, ApiError> {
    state.app.services.delete_push_settings(&access).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn claim_json(c: &ClaimView) -> Value {
    json!({
        "name": c.name,
        "record": c.record,
        "delegation": c.delegation,
        "created_by": c.created_by,
        "created_at": super::rfc3339(c.created_at),
    })
}

pub async fn list_claims(
    State(state): State<ServerState>,
    TokenAccess(access): TokenAccess,
) -> Result<Response, ApiError> {
    let claims = state.app.services.domain_claims(&access).await?;
    Ok(Json(json!({"claims": claims.iter().map(claim_json).collect::<Vec<_>>()})).into_response())
}

#[derive(Deserialize)]
pub struct ClaimBody {
    name: String,
}

pub async fn create_claim(
    State(state): State<ServerState>,
    TokenAccess(access): TokenAccess,
    body: Result<Json<ClaimBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let claim = state
        .app
        .services
        .claim_domain(&access, &body.name, &actor(&access))
        .await?;
    Ok((StatusCode::CREATED, Json(claim_json(&claim))).into_response())
}

pub async fn check_claim(
    State(state): State<ServerState>,
    TokenAccess(access): TokenAccess,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let found = state
        .app
        .services
        .check_claim(&access, &name)
        .await
        .map_err(|e| match e {
            portcullis_service::ServiceError::NotFound => ApiError::NotFound(format!("no claim on {name}")),
            other => other.into(),
        })?;
    Ok(Json(match found {
        ClaimCheck::Released { how } => json!({"proven": true, "proven_by": how}),
        ClaimCheck::NotYet { findings } => json!({"proven": false, "findings": findings}),
    })
    .into_response())
}

pub async fn withdraw_claim(
    State(state): State<ServerState>,
    TokenAccess(access): TokenAccess,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    state
        .app
        .services
        .withdraw_claim(&access, &name)
        .await
        .map_err(|e| match e {
            portcullis_service::ServiceError::NotFound => ApiError::NotFound(format!("no claim on {name}")),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
