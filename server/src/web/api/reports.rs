//! `GET /api/v1/domains/{name}/tlsrpt/summary?from&to&group_by[&format=csv]`: session totals for a
//! period and their breakdown, as JSON or CSV; `GET /api/v1/domains/{name}/senders`: the policy
//! each sender applies; `GET /api/v1/patterns`: failures shared across domains.

use std::collections::HashMap;

use super::auth::TokenDomain;
use super::ApiError;
use crate::ServerState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_service::{Summary, SummaryQuery};
use serde_json::json;

pub async fn summary(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let query = SummaryQuery {
        from: params.get("from").cloned(),
        to: params.get("to").cloned(),
        group_by: params.get("group_by").cloned(),
    };
    let csv = match params.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(ApiError::Unprocessable(format!("format: {other:?} is not json or csv"))),
    };
    let summary = state.app.services.report_summary(&access, &name, &query).await?;
    if csv {
        let group = summary.group_by.map(|g| g.as_str()).unwrap_or("total");
        let filename = format!("{name}-tlsrpt-{group}-{}-{}.csv", summary.from, summary.to);
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
            ],
            to_csv(&summary),
        )
            .into_response());
    }
    Ok(Json(summary_json(&name, &summary)).into_response())
}

/// The documented JSON shape of a summary.
pub fn summary_json(domain: &str, summary: &Summary) -> serde_json::Value {
    json!({
        "domain": domain,
        "from": summary.from,
        "to": summary.to,
        "group_by": summary.group_by,
        "successful": summary.summary.successful,
        "failed": summary.summary.failed,
        "reports": summary.summary.reports,
        "organizations": summary.summary.organizations,
        "groups": summary.summary.groups,
    })
}

/// `key,successful,failed`, one line per group (or a single `total` line without grouping);
/// sending IPs add `reverse_dns,reverse_dns_confirmed`.
pub fn to_csv(summary: &Summary) -> String {
    let named = summary.group_by == Some(portcullis_store::SummaryGroup::SendingIp);
    let mut out = String::from(if named {
        "key,successful,failed,reverse_dns,reverse_dns_confirmed\r\n"
    } else {
        "key,successful,failed\r\n"
    });
    if summary.group_by.is_none() {
        out.push_str(&format!(
            "total,{},{}\r\n",
            summary.summary.successful, summary.summary.failed
        ));
        return out;
    }
    for g in &summary.summary.groups {
        let ok = g.successful.map(|n| n.to_string()).unwrap_or_default();
        out.push_str(&format!("{},{ok},{}", csv_field(&g.key), g.failed));
        if named {
            match &g.reverse_dns {
                Some(n) => out.push_str(&format!(",{},{}", csv_field(&n.name), n.confirmed)),
                None => out.push_str(",,"),
            }
        }
        out.push_str("\r\n");
    }
    out
}

/// Quoted when needed; text a spreadsheet would run as a formula gets a leading apostrophe
/// (keys such as organisation names come from report senders).
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The `days` query parameter, when given.
fn days_param(params: &HashMap<String, String>) -> Result<Option<i64>, ApiError> {
    match params.get("days").filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(d) => d
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::Unprocessable(format!("days: {d:?} is not a whole number"))),
    }
}

/// `GET /api/v1/domains/{name}/senders?from&to&days`: which policy each sending organisation
/// applies (the sender policy tracker).
pub async fn senders(
    State(state): State<ServerState>,
    TokenDomain { access, name }: TokenDomain,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let days = days_param(&params)?;
    let overview = state
        .app
        .services
        .sender_policies(
            &access,
            &name,
            params.get("from").cloned(),
            params.get("to").cloned(),
            days,
        )
        .await?;
    Ok(Json(senders_json(&name, &overview)).into_response())
}

/// The documented shape: `{"senders":[{"organization","policy_id","mode","since","sessions",
/// "last_report_at", …}]}` with the period and the served version.
pub fn senders_json(domain: &str, o: &portcullis_service::SenderOverview) -> serde_json::Value {
    use super::rfc3339;
    let senders: Vec<serde_json::Value> = o
        .senders
        .iter()
        .map(|s| {
            json!({
                "organization": s.organization,
                "policy_id": s.policy_id,
                "mode": s.mode,
                "since": rfc3339(s.since),
                "sessions": s.sessions,
                "last_report_at": rfc3339(s.last_report_at),
                "adoption": s.adoption.as_str(),
                "picked_up_within_seconds": s.picked_up_within,
                "runs": s.runs.iter().map(|r| json!({
                    "policy_id": r.policy_id,
                    "mode": r.mode,
                    "from": rfc3339(r.from),
                    "to": rfc3339(r.to),
                    "sessions": r.sessions,
                    "policy_string": r.policy_string,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "domain": domain,
        "from": o.from,
        "to": o.to,
        "served": o.served.as_ref().map(|v| json!({
            "policy_id": v.policy_id,
            "mode": v.mode,
            "created_at": rfc3339(v.created_at),
        })),
        "senders": senders,
    })
}

/// `GET /api/v1/patterns?days=N`: keys failing on three or more of the token's organisation's
/// domains over the last N days (default 30).
pub async fn patterns(
    State(state): State<ServerState>,
    super::auth::TokenAccess(access): super::auth::TokenAccess,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let days = days_param(&params)?.unwrap_or(30);
    let o = state.app.services.failure_patterns(&[access], days).await?;
    Ok(Json(patterns_json(&o)).into_response())
}

/// `{"from","to","days","patterns":[{"kind","key","failed","sender_side","domains":[{"domain","failed"}],"result_types":[{"result_type","failed"}]}]}`.
pub fn patterns_json(o: &portcullis_service::PatternOverview) -> serde_json::Value {
    let patterns: Vec<serde_json::Value> = o
        .patterns
        .iter()
        .map(|p| {
            json!({
                "kind": p.kind.as_str(),
                "key": p.key,
                "failed": p.failed,
                "sender_side": p.kind.is_sender_side(),
                "domains": p.domains.iter().map(|(d, n)| json!({"domain": d, "failed": n})).collect::<Vec<_>>(),
                "result_types": p.result_types.iter().map(|(t, n)| json!({"result_type": t, "failed": n})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"from": o.from, "to": o.to, "days": o.days, "patterns": patterns})
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("Google Inc."), "Google Inc.");
        assert_eq!(csv_field("Acme, Inc."), "\"Acme, Inc.\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }
}
