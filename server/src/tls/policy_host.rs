//! Answers `https://mta-sts.<domain>/.well-known/mta-sts.txt` from the in-memory snapshot.
//!
//! It sits in front of everything else: a request whose Host starts with `mta-sts.` never
//! reaches the dashboard, the API or a redirect (senders refuse 3xx), and it never waits on
//! the database.

use crate::ServerState;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portcullis_domain::DomainName;

pub const POLICY_PATH: &str = "/.well-known/mta-sts.txt";
const PREFIX: &str = "mta-sts.";

/// The registered domain a Host names, if it is an `mta-sts.` host: case-insensitive, port and
/// trailing dot ignored. `Some(None)` is an `mta-sts.` host whose rest is not a valid name.
pub fn policy_domain(host: &str) -> Option<Option<DomainName>> {
    let host = host.trim();
    // `[v6]:port` is never an mta-sts host; strip a port only after a name.
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.contains(':') => name,
        _ => host,
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    let prefix = name.get(..PREFIX.len())?;
    if !prefix.eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    Some(DomainName::parse(&name[PREFIX.len()..]).ok())
}

fn host_of<B>(req: &axum::http::Request<B>) -> Option<&str> {
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
}

pub async fn serve_policy(State(state): State<ServerState>, req: Request, next: Next) -> Response {
    let Some(domain) = host_of(&req).and_then(policy_domain) else {
        return next.run(req).await;
    };
    let response = answer(&state, domain, req, next).await;
    state.metrics.record(response.status().as_u16());
    response
}

async fn answer(state: &ServerState, domain: Option<DomainName>, req: Request, next: Next) -> Response {
    // The ACME server validates mta-sts.<domain> itself: let its http-01 request through.
    if req.uri().path().starts_with("/.well-known/acme-challenge/") {
        return next.run(req).await;
    }
    if req.uri().path() != POLICY_PATH {
        return not_found();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = (StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD are allowed here\n").into_response();
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let head = req.method() == Method::HEAD;
    match domain.and_then(|d| state.app.services.served_policy(d.as_str())) {
        Some(body) => {
            state.metrics.policy_served();
            policy_response(body, head)
        }
        None => not_found(),
    }
}

/// The HTTPS listener's shortcut: a well-formed policy fetch for a served domain is answered
/// here, without the router; `None` sends the request through the router as usual (which gives
/// the same answers for everything else).
pub fn fast_answer<B>(state: &ServerState, req: &axum::http::Request<B>) -> Option<Response> {
    if req.uri().path() != POLICY_PATH || (req.method() != Method::GET && req.method() != Method::HEAD) {
        return None;
    }
    let domain = policy_domain(host_of(req)?)??;
    let body = state.app.services.served_policy(domain.as_str())?;
    state.metrics.policy_served();
    state.metrics.record(200);
    Some(policy_response(body, req.method() == Method::HEAD))
}

fn policy_response(body: std::sync::Arc<str>, head: bool) -> Response {
    let len = body.len();
    let body = if head {
        Body::empty()
    } else {
        // Shares the snapshot's text instead of copying it for every fetch.
        Body::from(axum::body::Bytes::from_owner(SharedText(body)))
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::CONTENT_LENGTH, len)
        // Senders cache by max_age and re-fetch when the DNS id changes; shared caches must
        // check back every time so a new policy is never hidden behind a stale copy.
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

#[derive(serde::Deserialize)]
pub struct AskQuery {
    domain: Option<String>,
}

/// For a TLS-terminating proxy that gets certificates on demand (Caddy's `on_demand_tls ask`):
/// 200 only for `mta-sts.<domain>` names that Portcullis serves a policy for, so the proxy never
/// requests certificates for names an outsider points at it.
pub async fn tls_ask(State(state): State<ServerState>, Query(q): Query<AskQuery>) -> StatusCode {
    let served = q
        .domain
        .as_deref()
        .and_then(policy_domain)
        .flatten()
        .is_some_and(|d| state.app.services.served_policy(d.as_str()).is_some());
    if served {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}

struct SharedText(std::sync::Arc<str>);

impl AsRef<[u8]> for SharedText {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The same answer for unknown hosts, unconfigured domains and other paths: no hint about which
/// names exist or belong to whom.
fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(host: &str) -> Option<Option<String>> {
        policy_domain(host).map(|d| d.map(|d| d.to_string()))
    }

    #[test]
    fn recognises_mta_sts_hosts_in_any_spelling() {
        let some = |s: &str| Some(Some(s.to_string()));
        assert_eq!(domain("mta-sts.example.com"), some("example.com"));
        assert_eq!(domain("MTA-STS.Example.COM"), some("example.com"));
        assert_eq!(domain("mta-sts.example.com:8443"), some("example.com"));
        assert_eq!(domain("mta-sts.example.com.:443"), some("example.com"));
        assert_eq!(domain("mta-sts.xn--bcher-kva.example"), some("xn--bcher-kva.example"));
        assert_eq!(domain("mta-sts.bücher.example"), some("xn--bcher-kva.example"));
    }

    #[test]
    fn other_hosts_pass_through_and_bad_names_are_refused() {
        assert_eq!(domain("portcullis.example.net"), None);
        assert_eq!(domain("127.0.0.1:3000"), None);
        assert_eq!(domain("[::1]:3000"), None);
        assert_eq!(domain("mta-stsexample.com"), None);
        assert_eq!(domain(""), None);
        assert_eq!(domain("mta-sts."), None);
        assert_eq!(domain("mta-sts.com"), Some(None));
        assert_eq!(domain("mta-sts.a..b"), Some(None));
        assert_eq!(domain("mta-sts.192.0.2.1"), Some(None));
        assert_eq!(domain(&format!("mta-sts.{}.com", "a".repeat(300))), Some(None));
        assert_eq!(domain("mta-sts.example.com/../x"), Some(None));
    }
}
