//! REST API under `/api/v1`: bearer tokens scoped to one organisation, JSON in and out, errors
//! as `{"error": {"code", "message"}}`, and an OpenAPI document at `/api/v1/openapi.json`.

mod auth;
mod delegation;
mod dns;
mod domains;
mod error;
mod lifecycle;
mod migration;
mod openapi;
mod policies;
mod reports;
mod shares;

pub use error::ApiError;
pub use migration::plan_json;
pub use reports::{patterns_json, senders_json, summary_json, to_csv as summary_csv};

use crate::ServerState;
use axum::routing::get;
use axum::Router;

/// A Unix time as RFC 3339, as every API timestamp is written.
pub(crate) fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

/// Maps "not found" to a message naming the domain; other errors as usual.
pub(crate) fn domain_not_found(name: &str) -> impl Fn(portcullis_service::ServiceError) -> ApiError + '_ {
    move |e| match e {
        portcullis_service::ServiceError::NotFound => {
            ApiError::NotFound(format!("no domain {name} in this organisation"))
        }
        other => other.into(),
    }
}

/// API bodies are small JSON documents.
const MAX_BODY: usize = 64 * 1024;

pub fn router(state: ServerState) -> Router<ServerState> {
    Router::new()
        .route("/openapi.json", get(openapi::document))
        .route("/domains", get(domains::list).post(domains::create))
        .route("/domains/{name}", get(domains::show).delete(domains::remove))
        .route("/domains/{name}/policy", get(policies::show).put(policies::put))
        .route("/domains/{name}/policy/versions", get(policies::versions))
        .route("/domains/{name}/policy/mx", get(policies::from_mx))
        .route("/domains/{name}/dns", get(dns::show))
        .route("/domains/{name}/dns/check", axum::routing::post(dns::check))
        .route("/domains/{name}/dns/setup", axum::routing::put(delegation::set_setup))
        .route("/domains/{name}/dns/push", axum::routing::post(delegation::push_now))
        .route(
            "/dns-push",
            get(delegation::show_push)
                .put(delegation::put_push)
                .delete(delegation::delete_push),
        )
        .route("/claims", get(delegation::list_claims).post(delegation::create_claim))
        .route("/claims/{name}", axum::routing::delete(delegation::withdraw_claim))
        .route("/claims/{name}/check", axum::routing::post(delegation::check_claim))
        .route("/domains/{name}/tlsrpt/summary", get(reports::summary))
        .route("/domains/{name}/senders", get(reports::senders))
        .route("/patterns", get(reports::patterns))
        .route("/share-links", get(shares::list).post(shares::create))
        .route("/share-links/{id}", axum::routing::delete(shares::revoke))
        .route("/domains/{name}/readiness", get(lifecycle::readiness))
        .route("/domains/{name}/transition", axum::routing::post(lifecycle::transition))
        .route("/domains/{name}/history", get(lifecycle::history))
        .route(
            "/domains/{name}/mx-plan",
            get(migration::show).post(migration::create).delete(migration::close),
        )
        .route(
            "/domains/{name}/mx-drift/fix",
            axum::routing::post(lifecycle::fix_drift),
        )
        .fallback(|| async { ApiError::NotFound("no such API endpoint".into()) })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}
