use super::ApiError;
use crate::ServerState;
use axum::extract::{FromRequestParts, Path};
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

/// A domain of the token's organisation, named in the path (`/domains/{name}/…`): the token is
/// checked first, then the domain, which answers 404 naming it when the organisation has no such
/// domain. Handlers get both and need no not-found handling of their own.
pub struct TokenDomain {
    pub access: OrgAccess,
    pub name: String,
}

impl FromRequestParts<ServerState> for TokenDomain {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, Self::Rejection> {
        let TokenAccess(access) = TokenAccess::from_request_parts(parts, state).await?;
        let Path(name) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("no such API endpoint".into()))?;
        state
            .app
            .services
            .domain_in(&access, &name)
            .await
            .map_err(super::domain_not_found(&name))?;
        Ok(TokenDomain { access, name })
    }
}
