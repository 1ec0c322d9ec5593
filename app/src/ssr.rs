//! Server-only plumbing for server functions and pages: shared state, the per-request info the
//! server's middleware resolved (user, session, anti-forgery token), cookies and error mapping.

use crate::dto::Flash;
use crate::AppError;
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use portcullis_domain::models::User;
use portcullis_service::OrgAccess;
use portcullis_service::{ServiceError, Services};

pub const SESSION_COOKIE: &str = "portcullis_session";
pub const CSRF_COOKIE: &str = "portcullis_csrf";

/// Everything a server function needs, provided as Leptos context by the server.
#[derive(Clone, Debug)]
pub struct AppState {
    pub services: Services,
    /// Add `Secure` to cookies (when the dashboard is served over HTTPS).
    pub secure_cookies: bool,
}

/// What the server's middleware learned about the request, stored in its extensions.
#[derive(Clone, Debug)]
pub struct RequestInfo {
    pub user: Option<User>,
    pub session: Option<String>,
    /// The anti-forgery token from the request's cookie (or the one being set now).
    pub csrf: String,
    /// Client address (an IPv6 client by its /64), for sign-in throttling.
    pub client: String,
    /// Cookies get `Secure`: the request came over TLS (directly, or through a proxy that says
    /// so), or the operator set `secure_cookies`.
    pub secure: bool,
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

pub fn request() -> Result<RequestInfo, AppError> {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<RequestInfo>().cloned())
        .ok_or_else(|| {
            tracing::error!("RequestInfo missing from request extensions");
            AppError::Internal
        })
}

/// The signed-in user, or `Unauthenticated` (with a 401 status). A user who signed in with a
/// one-time password may do nothing until they choose their own: refused here for every server
/// function, not only by the page redirect.
pub fn require_user() -> Result<(AppState, RequestInfo, User), AppError> {
    let (st, req, user) = require_signed_in()?;
    if user.must_change_password {
        return Err(fail(AppError::PasswordChangeRequired));
    }
    Ok((st, req, user))
}

/// The signed-in user, even one who must still change a one-time password (for that change).
pub fn require_signed_in() -> Result<(AppState, RequestInfo, User), AppError> {
    let st = state()?;
    let req = request()?;
    match req.user.clone() {
        Some(user) => Ok((st, req, user)),
        None => Err(fail(AppError::Unauthenticated)),
    }
}

/// Checks the form's anti-forgery token against the cookie (double submit; the cookie is
/// HttpOnly and SameSite=Strict, and the server also checks `Origin`).
pub fn check_csrf(req: &RequestInfo, token: &str) -> Result<(), AppError> {
    if csrf_matches(req, token) {
        Ok(())
    } else {
        Err(fail(AppError::Csrf))
    }
}

/// For state-changing server functions: signed in, and the form is genuine.
pub fn guard(csrf: &str) -> Result<(AppState, RequestInfo, User), AppError> {
    let (st, req, user) = require_user()?;
    check_csrf(&req, csrf)?;
    Ok((st, req, user))
}

/// The form's token equals the cookie's (for handlers outside the server functions).
pub fn csrf_matches(req: &RequestInfo, token: &str) -> bool {
    !req.csrf.is_empty() && constant_time_eq(req.csrf.as_bytes(), token.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A plain browser form post (rather than a `fetch` from an island).
fn wants_html() -> bool {
    use_context::<Parts>()
        .and_then(|p| {
            p.headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// Sets the HTTP status for an error. Not for plain form posts: those are answered with a
/// redirect back to the form (carrying the error), which a 4xx status would break.
pub fn fail(e: AppError) -> AppError {
    if wants_html() {
        return e;
    }
    if let Some(res) = use_context::<ResponseOptions>() {
        res.set_status(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    }
    e
}

/// Maps a service error to what the user sees.
pub fn service_error(e: ServiceError) -> AppError {
    fail(match e {
        ServiceError::Invalid { field, message } => AppError::invalid(field, message),
        ServiceError::Conflict(m) => AppError::Conflict(m),
        ServiceError::NotFound => AppError::NotFound,
        ServiceError::Forbidden => AppError::Forbidden,
        ServiceError::Unauthenticated => AppError::Unauthenticated,
        ServiceError::Throttled { retry_after_secs } => AppError::Throttled(retry_after_secs.div_ceil(60)),
        ServiceError::Unavailable(m) => AppError::Unavailable(m),
        ServiceError::Internal => AppError::Internal,
    })
}

/// Keeps a one-time message for the session's next page (in the database, so whichever instance
/// serves that page shows it). Not kept is logged, not an error: the action itself succeeded.
pub async fn flash(st: &AppState, req: &RequestInfo, f: Flash) {
    if let Some(session) = &req.session {
        if let Err(e) = st.services.push_flash(session, &f).await {
            tracing::warn!(error = ?e, "a one-time message could not be kept");
        }
    }
}

/// The session's waiting one-time messages; each is shown once.
pub async fn take_flash(st: &AppState, req: &RequestInfo) -> Vec<Flash> {
    let Some(session) = &req.session else {
        return Vec::new();
    };
    st.services.take_flashes(session).await.unwrap_or_else(|e| {
        tracing::warn!(error = ?e, "one-time messages could not be read");
        Vec::new()
    })
}

/// One place for cookie attributes: always `HttpOnly` and `Path=/`; `Secure` when configured.
fn cookie(name: &str, value: &str, same_site: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let max_age = max_age.map(|s| format!("; Max-Age={s}")).unwrap_or_default();
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite={same_site}{max_age}{secure}"
    ))
    .expect("cookie values are hex")
}

/// The session cookie: Lax, so links into the dashboard from mail keep the user signed in.
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    cookie(
        SESSION_COOKIE,
        token,
        "Lax",
        Some(portcullis_service::SESSION_TTL_SECS),
        secure,
    )
}

/// Removes the session cookie from the browser.
pub fn expired_session_cookie(secure: bool) -> HeaderValue {
    cookie(SESSION_COOKIE, "", "Lax", Some(0), secure)
}

/// The anti-forgery cookie: Strict, and lives as long as the browser session.
pub fn csrf_cookie(token: &str, secure: bool) -> HeaderValue {
    cookie(CSRF_COOKIE, token, "Strict", None, secure)
}

pub fn set_session_cookie(req: &RequestInfo, token: &str) {
    if let Some(res) = use_context::<ResponseOptions>() {
        res.append_header(header::SET_COOKIE, session_cookie(token, req.secure));
    }
}

pub fn clear_session_cookie(req: &RequestInfo) {
    if let Some(res) = use_context::<ResponseOptions>() {
        res.append_header(header::SET_COOKIE, expired_session_cookie(req.secure));
    }
}

/// An absolute link to `path` on this dashboard, as the current request reached it (the Host
/// it named, https when it came over TLS): what an owner passes on in an invitation.
pub fn site_url(req: &RequestInfo, path: &str) -> String {
    let host = use_context::<Parts>()
        .and_then(|p| {
            p.headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .filter(|h| h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or_else(|| "localhost".into());
    let scheme = if req.secure { "https" } else { "http" };
    format!("{scheme}://{host}{path}")
}

/// Sends the browser on after a successful plain form post.
pub fn go(path: &str) {
    leptos_axum::redirect(path);
}

/// The user's access to an organisation, mapped to a user-facing error.
pub async fn org_access(st: &AppState, user: &User, slug: &str) -> Result<OrgAccess, AppError> {
    st.services.org_access(user, slug).await.map_err(service_error)
}
