//! `GET|POST|DELETE /api/v1/domains/{name}/mx-plan`: the domain's MX migration plan, its steps
//! in safe order with their earliest safe moments, and what the planned policy would break.

use super::auth::TokenDomain;
use super::{rfc3339, ApiError};
use crate::ServerState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_service::MxPlanView;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    retire: Vec<String>,
}

/// `{"id","kind","add","retire","created_by","created_at","complete","planned_policy",
/// "steps":[…],"replay":{…},"replay_window":{"from","to"},"id_automatic"}`.
pub fn plan_json(p: &MxPlanView) -> Value {
    let steps: Vec<Value> = p
        .steps
        .iter()
        .map(|s| {
            json!({
                "code": s.code.as_str(),
                "title": s.title,
                "detail": s.detail,
                "state": s.state.as_str(),
                "earliest": s.earliest.map(rfc3339),
                "projected": s.projected,
                "done_at": s.done_at.map(rfc3339),
                "warnings": s.warnings,
            })
        })
        .collect();
    json!({
        "id": p.id,
        "kind": p.kind,
        "add": p.add,
        "retire": p.retire,
        "created_by": p.created_by,
        "created_at": rfc3339(p.created_at),
        "complete": p.complete,
        "planned_policy": p.planned_policy,
        "steps": steps,
        "replay": p.replay,
        "replay_window": {"from": p.replay_from, "to": p.replay_to},
        "id_automatic": p.id_automatic,
    })
}

pub async fn show(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
) -> Result<Response, ApiError> {
    let plan = state.app.services.mx_plan(&access, &name).await?;
    Ok(
        Json(json!({"domain": name.trim_end_matches('.').to_ascii_lowercase(), "plan": plan.as_ref().map(plan_json)}))
            .into_response(),
    )
}

pub async fn create(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
    body: Result<Json<PlanRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(request) = body?;
    let actor = format!("API token ({})", access.org_slug());
    let plan = state
        .app
        .services
        .create_mx_plan(&access, &name, &request.add, &request.retire, &actor)
        .await?;
    Ok((StatusCode::CREATED, Json(plan_json(&plan))).into_response())
}

pub async fn close(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
) -> Result<Response, ApiError> {
    let actor = format!("API token ({})", access.org_slug());
    let outcome = state.app.services.close_mx_plan(&access, &name, &actor).await?;
    Ok(Json(json!({"outcome": outcome})).into_response())
}
