//! `GET|POST /api/v1/share-links` and `DELETE /api/v1/share-links/{id}`: read-only share links
//! for clients (owner tokens).

use super::auth::TokenAccess;
use super::ApiError;
use crate::ServerState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_service::{ShareExpiry, ShareLinkView};
use serde::Deserialize;
use serde_json::{json, Value};

fn link_json(l: &ShareLinkView) -> Value {
    json!({
        "id": l.link.id,
        "domain": l.link.domain,
        "label": l.link.label,
        "created_by": l.link.created_by,
        "created_at": super::rfc3339(l.link.created_at),
        "expires_at": super::rfc3339(l.link.expires_at),
        "revoked_at": l.link.revoked_at.map(super::rfc3339),
        "live": l.live,
    })
}

pub async fn list(State(state): State<ServerState>, TokenAccess(access): TokenAccess) -> Result<Response, ApiError> {
    let links = state.app.services.share_links(&access).await?;
    Ok(Json(json!({"share_links": links.iter().map(link_json).collect::<Vec<_>>()})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// Absent or null: every domain of the organisation.
    domain: Option<String>,
    label: Option<String>,
    /// Valid for this many days; or `expires_at`.
    days: Option<i64>,
    expires_at: Option<String>,
}

pub async fn create(
    State(state): State<ServerState>,
    TokenAccess(access): TokenAccess,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let expires = match (body.days, body.expires_at.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(ApiError::Unprocessable("give days or expires_at, not both".into()));
        }
        (Some(days), None) => ShareExpiry::Days(days),
        (None, Some(at)) => ShareExpiry::At(
            chrono::DateTime::parse_from_rfc3339(at)
                .map_err(|_| ApiError::Unprocessable(format!("expires_at: {at:?} is not an RFC 3339 time")))?
                .timestamp(),
        ),
        (None, None) => ShareExpiry::Days(30),
    };
    let actor = format!("API token ({})", access.org_slug());
    let (token, link) = state
        .app
        .services
        .create_share_link(
            &access,
            body.domain.as_deref(),
            body.label.as_deref().unwrap_or(""),
            expires,
            &actor,
        )
        .await?;
    let mut out = link_json(&ShareLinkView { link, live: true });
    out["token"] = json!(token);
    out["path"] = json!(format!("/share/{token}"));
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

pub async fn revoke(
    State(state): State<ServerState>,
    TokenAccess(access): TokenAccess,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    state
        .app
        .services
        .revoke_share_link(&access, id)
        .await
        .map_err(|e| match e {
            portcullis_service::ServiceError::NotFound => ApiError::NotFound(format!("no live share link {id}")),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
