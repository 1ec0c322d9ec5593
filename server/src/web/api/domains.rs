use super::auth::{TokenAccess, TokenDomain};
use super::ApiError;
use crate::ServerState;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_domain::dns::{challenge_record, DnsRecord, ProofToken};
use portcullis_domain::DomainName;
use portcullis_store::DomainRow;
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
pub struct DomainJson {
    pub name: String,
    /// Unicode spelling for IDNs, else null.
    pub unicode: Option<String>,
    pub organization: String,
    /// MTA-STS mode: null until a policy is configured.
    pub mode: Option<String>,
    /// Latest DNS check: ok, warning, error or never_checked.
    pub dns_status: String,
    pub created_at: String,
    /// Proof of control: nothing is served, ordered or attributed for the domain until proven.
    pub proof: ProofJson,
}

#[derive(Serialize)]
pub struct ProofJson {
    pub proven: bool,
    pub proven_at: Option<String>,
    /// delegation, txt record, operator, or "registered before proof of control".
    pub proven_by: Option<String>,
    /// The TXT record that proves control (the delegation CNAMEs prove it too).
    pub record: Option<DnsRecord>,
    /// How the records are published: manual, delegated or push.
    pub dns_setup: String,
}

impl From<DomainRow> for DomainJson {
    fn from(d: DomainRow) -> Self {
        let parsed = DomainName::parse(&d.name).ok();
        let unicode = parsed.as_ref().and_then(|n| n.unicode());
        let created_at = super::rfc3339(d.created_at);
        let record = parsed
            .zip(ProofToken::parse(&d.proof_token).ok())
            .map(|(name, token)| challenge_record(&name, &token));
        let proof = ProofJson {
            proven: d.proven_at.is_some(),
            proven_at: d.proven_at.map(super::rfc3339),
            proven_by: d.proven_by,
            record,
            dns_setup: d.dns_setup,
        };
        Self {
            name: d.name,
            unicode,
            organization: d.org_slug,
            mode: d.mode,
            dns_status: d.dns_status.unwrap_or_else(|| "never_checked".into()),
            created_at,
            proof,
        }
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    page: Option<i64>,
}

pub async fn list(
    State(state): State<ServerState>,
    TokenAccess(access): TokenAccess,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let page = query.page.unwrap_or(1).max(1);
    let found = state
        .app
        .services
        .list_domains_in(std::slice::from_ref(&access), query.q.as_deref(), page)
        .await?;
    Ok(Json(serde_json::json!({
        "domains": found.rows.into_iter().map(DomainJson::from).collect::<Vec<_>>(),
        "total": found.total,
        "page": page,
        "page_size": portcullis_service::DOMAINS_PAGE_SIZE,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct CreateDomain {
    name: String,
}

pub async fn create(
    State(state): State<ServerState>,
    TokenAccess(access): TokenAccess,
    body: Result<Json<CreateDomain>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let row = state.app.services.add_domain(&access, &body.name).await?;
    Ok((StatusCode::CREATED, Json(DomainJson::from(row))).into_response())
}

pub async fn show(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
) -> Result<Response, ApiError> {
    let row = state.app.services.domain_in(&access, &name).await?;
    Ok(Json(DomainJson::from(row)).into_response())
}

pub async fn remove(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
) -> Result<Response, ApiError> {
    state.app.services.delete_domain(&access, &name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
