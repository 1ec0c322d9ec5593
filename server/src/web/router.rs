use super::{api, export, middleware};
use crate::ingest::{http as report_http, upload as report_upload};
use crate::tls::acme::HttpChallenges;
use crate::tls::policy_host;
use crate::web::metrics::Metrics;
use app::ssr::AppState;
use app::{shell, App};
use axum::extract::{FromRef, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use std::path::PathBuf;
use std::sync::Arc;

pub const DEFAULT_REPORT_PATH: &str = "/tlsrpt";

/// Everything the HTTP side shares.
#[derive(Clone)]
pub struct ServerState {
    pub app: AppState,
    pub leptos: LeptosOptions,
    pub(crate) metrics: Arc<Metrics>,
    /// Pending ACME http-01 answers, served on any host.
    pub challenges: Arc<HttpChallenges>,
    /// Where senders POST TLS-RPT reports (`/tlsrpt` unless configured).
    pub report_path: String,
}

impl FromRef<ServerState> for LeptosOptions {
    fn from_ref(s: &ServerState) -> Self {
        s.leptos.clone()
    }
}

impl ServerState {
    pub fn new(app: AppState, leptos: LeptosOptions) -> Self {
        Self {
            app,
            leptos,
            metrics: Arc::new(Metrics::default()),
            challenges: Arc::default(),
            report_path: DEFAULT_REPORT_PATH.into(),
        }
    }

    /// Takes reports on `path` instead of `/tlsrpt`.
    pub fn with_report_path(mut self, path: &str) -> Self {
        self.report_path = path.to_string();
        self
    }

    /// Shares the certificate manager's pending challenges with the HTTP listener.
    pub fn with_challenges(mut self, challenges: Arc<HttpChallenges>) -> Self {
        self.challenges = challenges;
        self
    }
}

/// Leptos options without a `Cargo.toml` at run time: the binary works from any directory.
pub fn leptos_options(site_root: PathBuf) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("portcullis")
        .site_root(site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .env(leptos::config::Env::PROD)
        .build()
}

pub fn build_router(state: ServerState) -> Router {
    let routes = generate_route_list(App);
    let ctx_state = state.app.clone();
    let context = move || provide_context(ctx_state.clone());
    let sfn_context = context.clone();
    let leptos = state.leptos.clone();
    Router::new()
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .route("/tls-ask", get(policy_host::tls_ask))
        .route("/.well-known/acme-challenge/{token}", get(acme_challenge))
        .nest("/api/v1", api::router(state.clone()))
        .route(&state.report_path, post(report_http::receive))
        .route("/domains/{name}/reports/export.csv", get(export::csv))
        .route("/domains/{name}/reports/export.json", get(export::json))
        .route("/domains/{name}/reports/{id}/report.json", get(export::raw_json))
        .route(
            app::pages::UPLOAD_ACTION,
            post(report_upload::upload).layer(axum::extract::DefaultBodyLimit::max(
                report_upload::MAX_UPLOAD_BYTES + 1024 * 1024,
            )),
        )
        .route(
            "/sfn/{*name}",
            post(move |req| handle_server_fns_with_context(sfn_context.clone(), req)),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(leptos.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<ServerState, _>(
            context, shell,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::request_info,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::observe))
        // Outermost: policy fetches skip the dashboard's middleware entirely.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            policy_host::serve_policy,
        ))
        .with_state(state)
}

/// What the public edge serves (`PORTCULLIS_PUBLIC_HTTP_ADDR`, and `PORTCULLIS_HTTPS_ADDR`
/// unless the operator puts the dashboard there): policies for `mta-sts.` hosts, report POSTs,
/// ACME http-01 answers (`acme` set, plain HTTP), and a plain 404 for everything else, sign-in
/// and first-run setup included. The dashboard stays on its own address.
pub fn build_public_router(state: ServerState, acme: bool) -> Router {
    let mut router = Router::new().route(&state.report_path, post(report_http::receive));
    if acme {
        router = router.route("/.well-known/acme-challenge/{token}", get(acme_challenge));
    }
    router
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .layer(axum::middleware::from_fn_with_state(state.clone(), middleware::observe))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            policy_host::serve_policy,
        ))
        .with_state(state)
}

/// Liveness that includes the database: 200 only when a trivial query answers.
async fn health(State(state): State<ServerState>) -> Response {
    match state.app.services.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok", "database": "ok"})),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "error", "database": "unreachable"})),
            )
                .into_response()
        }
    }
}

async fn metrics(State(state): State<ServerState>) -> Response {
    let services = &state.app.services;
    let up = services.ping().await.is_ok() as i64;
    let domains = services.count_domains().await.unwrap_or(-1);
    let body = state.metrics.render(&[
        ("portcullis_database_up", "1 when the database answers.", up),
        ("portcullis_domains", "Registered domains (all organisations).", domains),
        (
            "portcullis_policies_hosted",
            "Domains with a policy in the served snapshot.",
            state.app.services.snapshot.len() as i64,
        ),
    ]);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response()
}

/// ACME http-01: the key authorization for a pending token, as plain text; 404 otherwise.
async fn acme_challenge(
    State(state): State<ServerState>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Response {
    match state.challenges.answer(&token).await {
        Some(answer) => ([(header::CONTENT_TYPE, "application/octet-stream")], answer).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
