//! A real router over a real database (SQLite or PostgreSQL), driven without a socket.

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use portcullis_server::{build_router, ServerState};
use portcullis_service::Services;
use portcullis_store::testing::{Kind, TestDb};
use portcullis_store::{OrgAccess, User};
use std::sync::Arc;
use tower::ServiceExt;

pub const HOST: &str = "127.0.0.1:3000";

pub struct TestApp {
    pub db: TestDb,
    pub services: Services,
    pub router: Router,
    #[allow(dead_code)]
    pub state: ServerState,
}

impl TestApp {
    pub async fn new(kind: Kind) -> Self {
        Self::with_dns(kind, None).await
    }

    /// With live DNS pointed at a test server.
    pub async fn with_dns(kind: Kind, dns: Option<portcullis_dnscheck::Dns>) -> Self {
        let db = TestDb::new(kind).await;
        let mut services = Services::new(db.store.clone()).await.unwrap();
        if let Some(dns) = dns {
            services = services.with_dns(dns);
        }
        Self::serving(db, services)
    }

    /// With services adjusted by `configure` (ingestion limits, say).
    pub async fn configured(kind: Kind, configure: impl FnOnce(Services) -> Services) -> Self {
        let db = TestDb::new(kind).await;
        let services = configure(Services::new(db.store.clone()).await.unwrap());
        Self::serving(db, services)
    }

    /// Serves these services on a loopback socket, started as `portcullis serve` starts
    /// (`Application`, its listener and limits, client addresses included), until the test ends.
    /// The periodic workers stay off, so only the test changes the database.
    pub async fn listen(&self) -> std::net::SocketAddr {
        let config = portcullis_server::Config {
            http_addr: "127.0.0.1:0".into(),
            monitor_interval_secs: 0,
            alert_interval_secs: 0,
            ..portcullis_server::Config::default()
        };
        let app = portcullis_server::Application::with_services(config, self.services.clone())
            .await
            .unwrap();
        let addr = app.dashboard_addr();
        tokio::spawn(app.run_until(std::future::pending()));
        addr
    }

    /// With live DNS checks through `checker`, records pointing at `config`.
    pub async fn with_checker(
        kind: Kind,
        checker: portcullis_dnscheck::Checker,
        config: portcullis_service::DnsConfig,
    ) -> Self {
        let db = TestDb::new(kind).await;
        let services = Services::new(db.store.clone())
            .await
            .unwrap()
            .with_dns(checker.dns().clone())
            .with_checker(checker, config);
        Self::serving(db, services)
    }

    /// The router over `services`, built as `portcullis serve` builds it (default settings, ACME
    /// answers shared through the database).
    fn serving(db: TestDb, services: Services) -> Self {
        let challenges = Arc::new(portcullis_server::tls::acme::HttpChallenges::shared(services.clone()));
        let state = portcullis_server::startup::server_state(
            &services,
            &portcullis_server::Config::default(),
            "target/site-does-not-exist".into(),
            challenges,
        );
        let router = build_router(state.clone());
        Self {
            db,
            services,
            router,
            state,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(req).await.unwrap()
    }

    /// A user with a session, as the browser would hold it: (session cookie, csrf cookie).
    pub async fn browser(&self, user: &User) -> Browser {
        let token = portcullis_store::new_secret("");
        self.db.store.create_session(&token, user.id, 3600).await.unwrap();
        Browser {
            session: Some(token),
            csrf: portcullis_store::new_secret(""),
        }
    }

    pub async fn user(&self, email: &str, admin: bool) -> User {
        let e = portcullis_domain::Email::parse(email).unwrap();
        self.db
            .store
            .create_user(
                &e,
                &portcullis_service::hash_password("correct horse battery"),
                admin,
                false,
            )
            .await
            .unwrap()
    }

    pub async fn org(&self, name: &str, owner: &User) -> OrgAccess {
        let operator = portcullis_service::Operator::new(self.db.store.clone());
        let org = operator.create_org(name, Some(owner)).await.unwrap();
        self.services.org_access(owner, &org.slug).await.unwrap()
    }

    /// Registers `name` in `org` with control proven, as an operator would
    /// (`portcullis domain prove`): its policy is served and its reports attributed.
    pub async fn proven_domain(&self, org: &OrgAccess, name: &str) {
        self.services.add_domain(org, name).await.unwrap();
        let operator = portcullis_service::Operator::new(self.db.store.clone());
        self.services.prove_as_operator(&operator, name).await.unwrap();
    }

    /// Stands in for time passing (or a state no service would make): `sql` run directly on
    /// the test database.
    #[allow(dead_code)]
    pub async fn run_sql(&self, sql: &str) {
        self.db.execute(sql).await;
    }

    pub async fn cleanup(self) {
        self.db.cleanup().await;
    }
}

#[derive(Clone)]
pub struct Browser {
    pub session: Option<String>,
    pub csrf: String,
}

impl Browser {
    pub fn anonymous() -> Self {
        Self {
            session: None,
            csrf: portcullis_store::new_secret(""),
        }
    }

    pub fn cookies(&self) -> String {
        let mut c = format!("portcullis_csrf={}", self.csrf);
        if let Some(s) = &self.session {
            c.push_str(&format!("; portcullis_session={s}"));
        }
        c
    }

    pub fn get(&self, path: &str) -> Request<Body> {
        Request::get(path)
            .header(header::HOST, HOST)
            .header(header::COOKIE, self.cookies())
            .body(Body::empty())
            .unwrap()
    }

    /// A plain HTML form post, as a browser without JavaScript sends it.
    pub fn form(&self, path: &str, fields: &[(&str, &str)]) -> Request<Body> {
        self.form_with(path, fields, "text/html,application/xhtml+xml")
    }

    /// The same post as a script (`fetch`) would send it, expecting JSON back.
    pub fn form_json(&self, path: &str, fields: &[(&str, &str)]) -> Request<Body> {
        self.form_with(path, fields, "application/json")
    }

    fn form_with(&self, path: &str, fields: &[(&str, &str)], accept: &str) -> Request<Body> {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        Request::post(path)
            .header(header::HOST, HOST)
            .header(header::COOKIE, self.cookies())
            .header(header::ACCEPT, accept)
            .header(header::REFERER, format!("http://{HOST}/"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    }
}

/// A loopback port free at the moment, for a peer the test starts (pebble, Dovecot, unbound).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub async fn body_text(res: Response<Body>) -> String {
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

pub async fn body_json(res: Response<Body>) -> serde_json::Value {
    let text = body_text(res).await;
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

pub fn location(res: &Response<Body>) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

pub fn set_cookie(res: &Response<Body>, name: &str) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.to_string())
}

pub fn is_redirect(res: &Response<Body>) -> bool {
    matches!(
        res.status(),
        StatusCode::FOUND | StatusCode::SEE_OTHER | StatusCode::TEMPORARY_REDIRECT
    )
}

pub fn api(method: &str, path: &str, token: Option<&str>, body: Option<serde_json::Value>) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(path).header(header::HOST, HOST);
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    match body {
        Some(b) => r
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b.to_string()))
            .unwrap(),
        None => r.body(Body::empty()).unwrap(),
    }
}

/// One HTTP/1.1 GET over a real connection: (status, headers, body).
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let req = Request::get(path).header(header::HOST, addr.to_string());
    send_over_socket(addr, req.body(http_body_util::Full::default()).unwrap()).await
}

/// One HTTP/1.1 POST over a real connection: (status, headers, body).
pub async fn http_post(
    addr: std::net::SocketAddr,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::post(path).header(header::HOST, addr.to_string());
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    let req = req
        .body(http_body_util::Full::new(axum::body::Bytes::from(body)))
        .unwrap();
    send_over_socket(addr, req).await
}

async fn send_over_socket(
    addr: std::net::SocketAddr,
    req: Request<http_body_util::Full<axum::body::Bytes>>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let res = sender.send_request(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, body)
}

/// Whether something accepts connections on `addr` within 10 s (a server process starting).
pub async fn accepts_connections(addr: std::net::SocketAddr) -> bool {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// A report fixture from `fixtures/tlsrpt/` (the project's own, written for these tests).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/tlsrpt")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}
