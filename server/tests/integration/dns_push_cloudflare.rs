//! Push through Cloudflare's API, with the real binary: `dns push-settings --provider cloudflare`
//! stores the token sealed, a policy save in push mode replaces the `_mta-sts` TXT through the
//! API and the DNS check verifies it; a refused token is reported clearly (exit 3) and changes
//! nothing.
//!
//! Cloudflare cannot be reached from the tests, so the part of its API that `dns-update` uses
//! (list zones, list a name's records, delete one, create one) is served on loopback with a
//! certificate for `api.cloudflare.com` from a test CA. The binary reaches it as it would reach
//! Cloudflare through a company proxy: `HTTPS_PROXY` (a CONNECT proxy here) and `SSL_CERT_FILE`
//! (the test CA), which its HTTPS client honours. The records the API holds are served by the
//! test DNS server the check asks, as Cloudflare's name servers would serve them.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{delete, get};
use axum::{Json, Router};
use portcullis_dnscheck::testing::{TestCa, TestDns};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ZONE: &str = "example.test";
const NAME: &str = "_mta-sts.example.test";
const TOKEN: &str = "good-token-0123456789abcdef";
const REVOKED: &str = "revoked-token-0123456789abcdef";

/// The zone's TXT records as the API holds them: (id, name, content).
type Records = Arc<Mutex<Vec<(String, String, String)>>>;

#[derive(Clone)]
struct Api {
    records: Records,
    dns: Arc<TestDns>,
    next_id: Arc<AtomicUsize>,
}

impl Api {
    /// What Cloudflare's name servers would then answer for `_mta-sts`.
    async fn publish(&self) {
        let contents: Vec<String> = self
            .records
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.1 == NAME)
            .map(|r| r.2.clone())
            .collect();
        let refs: Vec<&str> = contents.iter().map(String::as_str).collect();
        self.dns.set_txt(NAME, &refs).await;
    }
}

fn answer(result: Value) -> (StatusCode, Json<Value>) {
    (
        StatusCode::OK,
        Json(json!({"success": true, "errors": [], "messages": [], "result": result})),
    )
}

/// Cloudflare answers a token it does not accept with 403 and error 9109.
fn authorised(headers: &HeaderMap) -> Result<(), (StatusCode, Json<Value>)> {
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(v) if v == format!("Bearer {TOKEN}") => Ok(()),
        _ => Err((
            StatusCode::FORBIDDEN,
            Json(
                json!({"success": false, "errors": [{"code": 9109, "message": "Invalid access token"}], "messages": [], "result": null}),
            ),
        )),
    }
}

fn query(uri: &Uri, key: &str) -> Option<String> {
    uri.query()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

async fn zones(headers: HeaderMap, uri: Uri) -> (StatusCode, Json<Value>) {
    if let Err(refused) = authorised(&headers) {
        return refused;
    }
    let found = query(&uri, "name").filter(|n| n == ZONE);
    answer(json!(found
        .map(|n| vec![json!({"id": "zone-1", "name": n})])
        .unwrap_or_default()))
}

async fn list(
    State(api): State<Api>,
    headers: HeaderMap,
    Path(zone): Path<String>,
    uri: Uri,
) -> (StatusCode, Json<Value>) {
    if let Err(refused) = authorised(&headers) {
        return refused;
    }
    assert_eq!(zone, "zone-1");
    assert_eq!(query(&uri, "type").as_deref(), Some("TXT"));
    let name = query(&uri, "name").unwrap_or_default();
    let found: Vec<Value> = api
        .records
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.1 == name)
        .map(|r| json!({"id": r.0, "name": r.1, "type": "TXT", "content": r.2}))
        .collect();
    answer(json!(found))
}

async fn create(State(api): State<Api>, headers: HeaderMap, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    if let Err(refused) = authorised(&headers) {
        return refused;
    }
    assert_eq!(body["type"], "TXT", "{body}");
    assert_eq!(body["proxied"], false, "{body}");
    assert!(body["ttl"].as_u64().is_some_and(|t| t <= 300), "a short TTL: {body}");
    let id = format!("rec-{}", api.next_id.fetch_add(1, Ordering::SeqCst));
    let record = (
        id.clone(),
        body["name"].as_str().unwrap().to_string(),
        body["content"].as_str().unwrap().to_string(),
    );
    api.records.lock().unwrap().push(record);
    api.publish().await;
    answer(json!({"id": id}))
}

async fn remove(
    State(api): State<Api>,
    headers: HeaderMap,
    Path((_, id)): Path<(String, String)>,
) -> (StatusCode, Json<Value>) {
    if let Err(refused) = authorised(&headers) {
        return refused;
    }
    api.records.lock().unwrap().retain(|r| r.0 != id);
    api.publish().await;
    answer(json!({"id": id}))
}

/// The API over TLS on loopback, as `api.cloudflare.com`.
async fn start_api(ca: &TestCa, api: Api) -> SocketAddr {
    let (chain, key) = ca.issue_der(&["api.cloudflare.com"], (-1, 30));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let app = Router::new()
        .route("/client/v4/zones", get(zones))
        .route("/client/v4/zones/{zone}/dns_records", get(list).post(create))
        .route("/client/v4/zones/{zone}/dns_records/{id}", delete(remove))
        .with_state(api);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else { return };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    addr
}

/// A CONNECT proxy that sends `api.cloudflare.com:443` to `api` and refuses anything else;
/// counts the tunnels it opened.
async fn start_proxy(api: SocketAddr) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let tunnels = Arc::new(AtomicUsize::new(0));
    let count = tunnels.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 8192 {
                    match client.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                if !head.starts_with(b"CONNECT api.cloudflare.com:443 ") {
                    let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n").await;
                    return;
                }
                let Ok(mut upstream) = TcpStream::connect(api).await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (addr, tunnels)
}

struct Cli {
    db: String,
    env: Vec<(&'static str, String)>,
}

impl Cli {
    /// Runs the binary; (exit code, stdout, stderr). Blocking, so run off the test's runtime.
    async fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_portcullis"));
        command
            .args(args)
            .env("PORTCULLIS_DATABASE_URL", &self.db)
            .env("PORTCULLIS_LOG", "warn")
            .env_remove("https_proxy")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy");
        for (k, v) in &self.env {
            command.env(k, v);
        }
        let out = tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        )
    }

    async fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args).await;
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_through_cloudflare_api() {
    let dns = Arc::new(TestDns::start().await);
    let ca = TestCa::new();
    let api = Api {
        records: Arc::new(Mutex::new(vec![(
            "rec-old".into(),
            NAME.into(),
            "v=STSv1; id=old".into(),
        )])),
        dns: dns.clone(),
        next_id: Arc::new(AtomicUsize::new(1)),
    };
    api.publish().await;
    let api_addr = start_api(&ca, api.clone()).await;
    let (proxy, tunnels) = start_proxy(api_addr).await;

    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.root_pem()).unwrap();
    let token_file = dir.path().join("token");
    let cli = Cli {
        db: format!("sqlite://{}/push.db", dir.path().display()),
        env: vec![
            (
                "PORTCULLIS_SECRET_KEY",
                "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into(),
            ),
            ("PORTCULLIS_DNS_UPSTREAM", dns.addr().to_string()),
            ("PORTCULLIS_CHECK_ALLOW_PRIVATE", "true".into()),
            ("HTTPS_PROXY", format!("http://{proxy}")),
            ("SSL_CERT_FILE", ca_file.display().to_string()),
        ],
    };
    cli.ok(&["org", "create", "Alpha"]).await;
    cli.ok(&["domain", "add", "--org", "alpha", ZONE]).await;
    cli.ok(&["domain", "prove", ZONE]).await;

    // A token of the wrong shape is refused before anything is stored.
    std::fs::write(&token_file, "not a token\n").unwrap();
    let token_path = token_file.display().to_string();
    let settings = [
        "dns",
        "push-settings",
        "--org",
        "alpha",
        "--provider",
        "cloudflare",
        "--secret-file",
        &token_path,
    ];
    let (code, _, err) = cli.run(&settings).await;
    assert_ne!(code, 0);
    assert!(err.contains("API token"), "{err}");

    // The token is stored sealed: not in the database in clear, and never printed.
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    assert_eq!(cli.ok(&settings).await, "cloudflare\t0 domain(s)");
    let raw = std::fs::read(dir.path().join("push.db")).unwrap();
    assert!(
        !raw.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
        "the token is sealed"
    );
    let shown = cli.ok(&["dns", "push-settings", "--org", "alpha"]).await;
    assert!(!shown.contains(TOKEN), "{shown}");
    cli.ok(&["dns", "setup", ZONE, "--to", "push"]).await;

    // A policy save pushes its id: the old record is replaced (one TXT left), and the check
    // verifies it through DNS.
    let id = cli
        .ok(&[
            "policy",
            "set",
            ZONE,
            "--mode",
            "testing",
            "--max-age",
            "86400",
            "--mx",
            "mx1.example.test",
        ])
        .await;
    let expected = format!("v=STSv1; id={id}");
    let held: Vec<String> = api.records.lock().unwrap().iter().map(|r| r.2.clone()).collect();
    assert_eq!(held, vec![expected.clone()], "the old record was replaced");
    assert!(
        tunnels.load(Ordering::SeqCst) > 0,
        "the push went to api.cloudflare.com"
    );
    let (code, out, err) = cli.run(&["dns", "push", ZONE]).await;
    assert_eq!((code, out.as_str()), (0, id.as_str()), "{err}");
    assert!(err.contains("pushed and verified"), "{err}");
    assert_eq!(
        api.records.lock().unwrap().len(),
        1,
        "a second push still leaves one record"
    );

    // A revoked token: the push fails with words about the token, exit 3, and nothing changes.
    std::fs::write(&token_file, format!("{REVOKED}\n")).unwrap();
    cli.ok(&settings).await;
    let (code, _, err) = cli.run(&["dns", "push", ZONE]).await;
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("API token"), "{err}");
    let held: Vec<String> = api.records.lock().unwrap().iter().map(|r| r.2.clone()).collect();
    assert_eq!(held, vec![expected], "nothing changed");
}
