//! `GET /api/v1/domains/{name}/dns` (records and the latest check) and
//! `POST /api/v1/domains/{name}/dns/check` (check now).

use super::auth::TokenDomain;
use super::ApiError;
use crate::ServerState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_domain::dns::{DnsRecord, DnsSetup, FindingCode, Status};
use portcullis_service::{CheckRun, DnsOverview};
use serde_json::{json, Value};

/// The documented shape: `records`, `findings`, `checked_at`, plus `status`, `zone`, and how the
/// records reach DNS (`setup`, `delegation`, `id_publishing`, `push`).
pub(super) fn dns_json(o: &DnsOverview, run: Option<&CheckRun>) -> Value {
    let mut body = records_json(&o.domain, &o.records, &o.zone, run.or(o.latest.as_ref()));
    body["setup"] = json!(o.setup);
    body["delegation"] = json!({
        "available": !o.delegation.is_empty(),
        "records": o.delegation,
        "in_place": o.id_publishing.setup == DnsSetup::Delegated && o.id_publishing.automatic,
    });
    body["id_publishing"] = json!({"automatic": o.id_publishing.automatic});
    body["push"] = json!(o.push.as_ref().map(|p| json!({
        "pushed_id": p.pushed_id,
        "pushed_at": p.pushed_at.map(super::rfc3339),
        "error": p.error,
    })));
    body
}

fn records_json(domain: &str, records: &[DnsRecord], zone: &str, run: Option<&CheckRun>) -> Value {
    let findings: Vec<Value> = run
        .map(|r| r.findings.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|f| {
            json!({
                "code": f.code,
                "severity": f.severity,
                "title": FindingCode::parse(&f.code).map(|c| c.title()),
                "subject": f.subject,
                "seen": f.seen,
                "expected": f.expected,
                "fix": f.fix,
            })
        })
        .collect();
    json!({
        "domain": domain,
        "records": records,
        "zone": zone,
        "status": run.map(|r| r.status).unwrap_or(Status::NeverChecked),
        "findings": findings,
        "checked_at": run.map(|r| super::rfc3339(r.checked_at)),
    })
}

pub async fn show(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
) -> Result<Response, ApiError> {
    let o = state.app.services.dns_overview(&access, &name).await?;
    Ok(Json(dns_json(&o, None)).into_response())
}

pub async fn check(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
) -> Result<Response, ApiError> {
    let services = &state.app.services;
    let run = services.check_dns(&access, &name, "api").await?;
    let o = services.dns_overview(&access, &name).await?;
    Ok(Json(dns_json(&o, Some(&run))).into_response())
}
