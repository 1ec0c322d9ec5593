//! `GET /api/v1/domains/{name}/readiness`, `POST /api/v1/domains/{name}/transition` and
//! `GET /api/v1/domains/{name}/history`: the readiness gate, mode changes, and their record;
//! `POST /api/v1/domains/{name}/mx-drift/fix`: the one-click fix for MX drift in enforce.

use super::auth::TokenDomain;
use super::ApiError;
use crate::ServerState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_domain::lifecycle::Readiness;
use portcullis_service::{TransitionOutcome, TransitionRequest};
use portcullis_store::Transition;
use serde_json::{json, Value};

/// The documented shape: `{"ready", "items": [{"code", "ok", "detail"}]}`.
fn items_json(r: &Readiness) -> Value {
    let items: Vec<Value> = r
        .items
        .iter()
        .map(|i| json!({"code": i.code.as_str(), "title": i.code.title(), "ok": i.ok, "detail": i.detail}))
        .collect();
    json!({"ready": r.ready, "items": items})
}

fn transition_json(t: &Transition) -> Value {
    json!({
        "from": t.from_mode,
        "to": t.to_mode,
        "policy_id": t.policy_id,
        "actor": t.actor,
        "reason": t.reason,
        "overridden": t.overridden,
        "at": super::rfc3339(t.created_at),
    })
}

pub async fn readiness(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
) -> Result<Response, ApiError> {
    let view = state.app.services.readiness(&access, &name).await?;
    let mut body = items_json(&view.readiness);
    body["domain"] = json!(view.domain);
    body["mode"] = json!(view.mode);
    body["policy_id"] = json!(view.policy_id);
    body["window"] = json!({"from": view.window_from, "to": view.window_to, "reports": view.window.reports,
        "organizations": view.window.organizations, "sources": view.window.sources,
        "authenticated_sources": view.window.authenticated_sources, "successful": view.window.successful, "failed": view.window.failed});
    body["replay"] = json!(view.replay);
    body["mx_drift"] = json!(view.mx_drift);
    body["max_age"] = json!(view.max_age);
    body["max_age_advice"] = json!(view.max_age_advice);
    Ok(Json(body).into_response())
}

pub async fn transition(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
    body: Result<Json<TransitionRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = body?;
    let actor = format!("API token ({})", access.org_slug());
    let outcome = state.app.services.transition(&access, &name, &request, &actor).await?;
    Ok(match outcome {
        TransitionOutcome::Refused(readiness) => {
            let mut body = items_json(&readiness);
            let failing: Vec<&str> = readiness.failing().map(|i| i.code.as_str()).collect();
            body["error"] = json!({
                "code": "gate_failed",
                "message": format!("the readiness gate for enforce failed ({}); fix those items, or confirm with the domain name and a reason to override", failing.join(", ")),
            });
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
        TransitionOutcome::Done {
            transition,
            sts_record,
            retire_at,
        } => {
            let mut body = transition_json(&transition);
            body["sts_record"] = json!({"name": format!("_mta-sts.{}", name.trim_end_matches('.').to_ascii_lowercase()), "type": "TXT", "value": sts_record});
            body["retire_at"] = json!(retire_at.map(super::rfc3339));
            Json(body).into_response()
        }
    })
}

pub async fn history(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
) -> Result<Response, ApiError> {
    let list = state.app.services.transitions(&access, &name).await?;
    Ok(Json(json!({"transitions": list.iter().map(transition_json).collect::<Vec<_>>()})).into_response())
}

/// Adds every live MX the enforced policy misses; answers the new id and the record to publish.
pub async fn fix_drift(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
) -> Result<Response, ApiError> {
    let actor = format!("API token ({})", access.org_slug());
    let fix = state.app.services.fix_mx_drift(&access, &name, &actor).await?;
    Ok(Json(json!({
        "added": fix.added,
        "policy_id": fix.policy_id,
        "sts_record": {"name": format!("_mta-sts.{}", name.trim_end_matches('.').to_ascii_lowercase()), "type": "TXT", "value": fix.sts_record},
    }))
    .into_response())
}
