//! Per-request plumbing: who is asking (session cookie), the anti-forgery cookie, the
//! cross-origin check for form posts, page guards (setup, sign-in) and security headers.

use crate::ServerState;
use app::ssr::{csrf_cookie, expired_session_cookie, RequestInfo, CSRF_COOKIE, SESSION_COOKIE};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Paths that are not dashboard pages (no sign-in redirect, no page guards).
fn is_machine_path(path: &str) -> bool {
    [
        "/api/",
        "/sfn/",
        "/pkg/",
        "/healthz",
        "/metrics",
        "/tls-ask",
        "/.well-known/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// A browser's cross-site post carries an `Origin` that is not ours: refuse it.
pub(crate) fn cross_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

pub async fn request_info(State(state): State<ServerState>, mut req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if req.method() == Method::POST && path.starts_with("/sfn/") && cross_origin(req.headers()) {
        return (StatusCode::FORBIDDEN, "cross-origin form posts are refused").into_response();
    }
    // Assets, probes and the bearer-token API need no session: skip its database look-up.
    if (is_machine_path(&path) || path == state.report_path) && !path.starts_with("/sfn/") {
        return next.run(req).await;
    }
    let services = &state.app.services;
    let existing_csrf = cookie_value(req.headers(), CSRF_COOKIE);
    let csrf = existing_csrf
        .clone()
        .unwrap_or_else(|| portcullis_store::new_secret(""));
    let session = cookie_value(req.headers(), SESSION_COOKIE);
    let user = match &session {
        Some(token) => services.user_for_session(token).await.unwrap_or(None),
        None => None,
    };
    let stale_session = session.is_some() && user.is_none();
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| crate::listener::client_key(ci.0.ip()))
        .unwrap_or_else(|| "local".into());
    let secure = state.app.secure_cookies
        || req.extensions().get::<crate::listener::OverTls>().is_some()
        || req
            .headers()
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));

    if req.method() == Method::GET && !is_machine_path(&path) {
        let needs_setup = services.needs_setup().await;
        let target = match (&path[..], &user) {
            (p, _) if needs_setup && p != "/setup" => Some("/setup".to_string()),
            ("/setup", _) if !needs_setup => Some("/login".to_string()),
            ("/login", Some(_)) => Some("/".to_string()),
            ("/login" | "/setup", None) => None,
            // An invitation link is opened before its recipient has an account or signs in; a
            // share link by a client who never signs in.
            (p, _) if (p.starts_with("/invite/") || p.starts_with("/share/")) && !needs_setup => None,
            (p, None) => Some(format!(
                "/login?next={}",
                encode_path(req.uri().path_and_query().map(|p| p.as_str()).unwrap_or(p))
            )),
            ("/account", Some(_)) => None,
            (_, Some(u)) if u.must_change_password => Some("/account".to_string()),
            _ => None,
        };
        if let Some(target) = target {
            return Redirect::to(&target).into_response();
        }
    }

    req.extensions_mut().insert(RequestInfo {
        user,
        session: session.clone(),
        csrf: csrf.clone(),
        client,
        secure,
    });
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    if existing_csrf.is_none() {
        headers.append(header::SET_COOKIE, csrf_cookie(&csrf, secure));
    }
    // A session cookie that no longer matches a session is cleared rather than sent forever
    // (unless this response sets a new one, e.g. after signing in again).
    let sets_session = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().unwrap_or("").starts_with(SESSION_COOKIE));
    if stale_session && !sets_session {
        headers.append(header::SET_COOKIE, expired_session_cookie(secure));
    }
    res
}

fn encode_path(p: &str) -> String {
    p.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Security headers on every response, and request counting for `/metrics`.
pub async fn observe(State(state): State<ServerState>, req: Request<Body>, next: Next) -> Response {
    // Share links are unlisted: search engines must not index what one opens.
    let unlisted = req.uri().path().starts_with("/share/");
    let mut res = next.run(req).await;
    state.metrics.record(res.status().as_u16());
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // same-origin keeps the Referer that plain form posts are redirected back to.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if unlisted {
        h.insert("x-robots-tag", HeaderValue::from_static("noindex, nofollow"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_well_formed_cookie_values() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; portcullis_session=abc123; x=y"),
        );
        assert_eq!(cookie_value(&h, "portcullis_session").as_deref(), Some("abc123"));
        h.insert(header::COOKIE, HeaderValue::from_static("portcullis_session=ab\"c"));
        assert_eq!(cookie_value(&h, "portcullis_session"), None);
    }

    #[test]
    fn detects_cross_origin_posts() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        assert!(
            !cross_origin(&h),
            "no Origin: same-site navigation or non-browser client"
        );
        h.insert(header::ORIGIN, HeaderValue::from_static("http://127.0.0.1:3000"));
        assert!(!cross_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(cross_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(cross_origin(&h));
    }
}
