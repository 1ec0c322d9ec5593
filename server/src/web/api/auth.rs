use super::ApiError;
use crate::ServerState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use portcullis_store::OrgAccess;

/// The organisation and role a bearer token grants.
pub struct TokenAccess(pub OrgAccess);

impl FromRequestParts<ServerState> for TokenAccess {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256)
            .ok_or(ApiError::Unauthenticated)?;
        let access = state.app.services.token_access(token).await?;
        Ok(TokenAccess(access))
    }
}
