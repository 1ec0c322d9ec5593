//! Downloads for signed-in members (the API offers the same to tokens): the report tables as
//! CSV or JSON, and a report's JSON as sent.

use app::ssr::RequestInfo;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use portcullis_service::{ServiceError, SummaryQuery};
use portcullis_store::{OrgAccess, User};
use std::collections::HashMap;

use crate::ServerState;

pub async fn csv(
    State(state): State<ServerState>,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    req: Request<Body>,
) -> Response {
    export(state, name, params, req, false).await
}

/// `GET /domains/{name}/reports/export.json?group_by&from&to`: the same table as JSON (the API's
/// shape).
pub async fn json(
    State(state): State<ServerState>,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    req: Request<Body>,
) -> Response {
    export(state, name, params, req, true).await
}

async fn export(
    state: ServerState,
    name: String,
    params: HashMap<String, String>,
    req: Request<Body>,
    as_json: bool,
) -> Response {
    let services = &state.app.services;
    let user = req.extensions().get::<RequestInfo>().and_then(|i| i.user.clone());
    let access = match member_access(&state, user, &name).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    let query = SummaryQuery {
        from: params.get("from").cloned(),
        to: params.get("to").cloned(),
        group_by: params.get("group_by").cloned(),
    };
    match services.report_summary(&access, &name, &query).await {
        Ok(summary) => {
            let group = summary.group_by.map(|g| g.as_str()).unwrap_or("total");
            let (extension, content_type, body) = if as_json {
                let body = serde_json::to_string_pretty(&crate::web::api::summary_json(&name, &summary))
                    .expect("JSON values serialize");
                ("json", "application/json", body)
            } else {
                ("csv", "text/csv; charset=utf-8", crate::web::api::summary_csv(&summary))
            };
            let filename = format!("{name}-tlsrpt-{group}-{}-{}.{extension}", summary.from, summary.to);
            (
                [
                    (header::CONTENT_TYPE, content_type.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{filename}\""),
                    ),
                ],
                body,
            )
                .into_response()
        }
        Err(e) => failure(e),
    }
}

/// The signed-in member's access to the organisation holding `name`, or the answer to give:
/// a sign-in redirect, or the error as a status.
async fn member_access(state: &ServerState, user: Option<User>, name: &str) -> Result<OrgAccess, Response> {
    let Some(user) = user else {
        return Err(Redirect::to("/login").into_response());
    };
    match state.app.services.domain_for_user(&user, name).await {
        Ok((access, _)) => Ok(access),
        Err(e) => Err(failure(e)),
    }
}

fn failure(e: ServiceError) -> Response {
    let status = match e {
        ServiceError::NotFound => StatusCode::NOT_FOUND,
        ServiceError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Forbidden => StatusCode::FORBIDDEN,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    (status, e.to_string()).into_response()
}

/// `GET /domains/{name}/reports/{id}/report.json`: the report's JSON exactly as the sender wrote it.
pub async fn raw_json(
    State(state): State<ServerState>,
    Path((name, id)): Path<(String, i64)>,
    req: Request<Body>,
) -> Response {
    let services = &state.app.services;
    let user = req.extensions().get::<RequestInfo>().and_then(|i| i.user.clone());
    let access = match member_access(&state, user, &name).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    match services.report_detail(&access, &name, id).await {
        Ok((detail, json)) => {
            let safe: String = detail
                .report
                .report_id
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            (
                [
                    (header::CONTENT_TYPE, "application/json".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}-{safe}.json\""),
                    ),
                ],
                json,
            )
                .into_response()
        }
        Err(e) => failure(e),
    }
}
