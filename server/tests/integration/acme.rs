//! Certificates by ACME against a real ACME server (Debian's pebble) on loopback, validated
//! through the loopback test DNS, then the policy fetched over real TLS trusting pebble's CA.

use crate::common;

use common::*;
use portcullis_dnscheck::testing::TestDns;
use portcullis_dnscheck::Dns;
use portcullis_server::tls::acme::{AcmeSettings, HttpChallenges};
use portcullis_server::tls::certs::CertManager;
use portcullis_server::tls::https::{self, CertResolver};
use portcullis_store::testing::Kind;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Pebble {
    child: Child,
    directory: String,
    management: SocketAddr,
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A CA and a `localhost`/127.0.0.1 certificate for pebble's own HTTPS, written to `dir`.
fn pebble_tls(dir: &Path) -> std::path::PathBuf {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("cert.pem"), leaf.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).unwrap();
    dir.join("ca.pem")
}

async fn start_pebble(dir: &Path, http_port: u16, dns: SocketAddr) -> Pebble {
    let (acme, mgmt) = (common::free_port(), common::free_port());
    let config = serde_json::json!({"pebble": {
        "listenAddress": format!("127.0.0.1:{acme}"),
        "managementListenAddress": format!("127.0.0.1:{mgmt}"),
        "certificate": dir.join("cert.pem"),
        "privateKey": dir.join("key.pem"),
        "httpPort": http_port,
        "tlsPort": common::free_port(),
        "ocspResponderURL": "",
        "externalAccountBindingRequired": false
    }});
    std::fs::write(dir.join("pebble.json"), config.to_string()).unwrap();
    let child = Command::new("pebble")
        .args([
            "-config",
            dir.join("pebble.json").to_str().unwrap(),
            "-dnsserver",
            &dns.to_string(),
        ])
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("pebble is installed (scripts/setup.sh installs Debian's pebble)");
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", acme)).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Pebble {
        child,
        directory: format!("https://127.0.0.1:{acme}/dir"),
        management: SocketAddr::from(([127, 0, 0, 1], mgmt)),
    }
}

fn client_config(roots: &[CertificateDer<'static>]) -> Arc<rustls::ClientConfig> {
    let mut store = rustls::RootCertStore::empty();
    for r in roots {
        store.add(r.clone()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(store)
            .with_no_client_auth(),
    )
}

/// GET over TLS with HTTP/1.1; returns (status line, headers+body text, peer certificate).
async fn https_get(
    addr: SocketAddr,
    sni: &str,
    roots: &[CertificateDer<'static>],
    path: &str,
) -> std::io::Result<(String, String, CertificateDer<'static>)> {
    https_request(
        addr,
        sni,
        roots,
        &format!("GET {path} HTTP/1.1\r\nHost: {sni}\r\nConnection: close\r\n\r\n"),
    )
    .await
}

/// One raw HTTP/1.1 request over TLS, as [`https_get`] answers.
async fn https_request(
    addr: SocketAddr,
    sni: &str,
    roots: &[CertificateDer<'static>],
    request: &str,
) -> std::io::Result<(String, String, CertificateDer<'static>)> {
    let connector = tokio_rustls::TlsConnector::from(client_config(roots));
    let tcp = TcpStream::connect(addr).await?;
    let mut tls = connector
        .connect(ServerName::try_from(sni.to_string()).unwrap(), tcp)
        .await?;
    let peer = tls.get_ref().1.peer_certificates().unwrap()[0].clone().into_owned();
    tls.write_all(request.as_bytes()).await?;
    let mut out = String::new();
    tls.read_to_string(&mut out).await.ok();
    let (status, rest) = out.split_once("\r\n").unwrap_or((&out, ""));
    Ok((status.to_string(), rest.to_string(), peer))
}

#[tokio::test]
async fn certificates_come_from_acme_and_policies_are_served_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let pebble_ca = pebble_tls(dir.path());
    let dns_server = TestDns::start().await;
    let loopback: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    dns_server.set_addr("portcullis.test", &[loopback]).await;
    dns_server.set_addr("mta-sts.example.test", &[loopback]).await;
    dns_server
        .set_addr("mta-sts.elsewhere.test", &["192.0.2.99".parse().unwrap()])
        .await;
    let dns = Dns::new(Some(dns_server.addr())).unwrap();

    let app = TestApp::with_dns(Kind::Sqlite, Some(dns.clone())).await;
    // The certificates are ordered by another instance on the same database: pebble's http-01
    // validation reaches the app's listener, which finds the answer in the database.
    let orderer = portcullis_service::Services::new(portcullis_store::Store::connect(&app.db.url).await.unwrap())
        .await
        .unwrap();
    let challenges = Arc::new(HttpChallenges::shared(orderer.clone()));
    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    for d in ["example.test", "elsewhere.test", "nopolicy.test"] {
        app.proven_domain(&org, d).await;
    }
    let spec = portcullis_domain::PolicySpec {
        mode: portcullis_domain::Mode::Testing,
        max_age: 86_400,
        mx: vec!["mx.example.test".into()],
    };
    for d in ["example.test", "elsewhere.test"] {
        app.services.save_policy(&org, d, &spec, "t").await.unwrap();
    }

    // The dashboard's HTTP listener answers pebble's http-01 validation.
    let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http_port = http.local_addr().unwrap().port();
    let router = app.router.clone();
    tokio::spawn(async move {
        axum::serve(http, router.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    let pebble = start_pebble(dir.path(), http_port, dns_server.addr()).await;

    let resolver = Arc::new(CertResolver::default());
    let manager = CertManager {
        services: orderer.clone(),
        resolver: resolver.clone(),
        challenges,
        settings: AcmeSettings {
            directory: pebble.directory.clone(),
            contact: Some("ops@example.test".into()),
            ca_file: Some(pebble_ca.clone()),
        },
        public_host: Some("portcullis.test".into()),
        dns: Some(dns),
    };
    let report = manager.run_once().await;
    // The public host's own certificate (its /tlsrpt, STARTTLS), then each mta-sts. name.
    assert_eq!(
        report.issued,
        vec!["portcullis.test".to_string(), "mta-sts.example.test".to_string()],
        "{report:?}"
    );
    assert_eq!(report.failed.len(), 1);
    assert!(report.failed[0].1.contains("resolves to 192.0.2.99"), "{report:?}");
    assert!(resolver.has("mta-sts.example.test") && !resolver.has("mta-sts.elsewhere.test"));

    // State is visible per domain, and nothing is due again until 30 days before expiry.
    let state = app
        .db
        .store
        .cert_state(&org, &"example.test".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(state.last_error.is_none() && state.not_after.unwrap() > portcullis_store::now() + 30 * 86_400);
    let waiting = app
        .db
        .store
        .cert_state(&org, &"elsewhere.test".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(waiting.last_error.unwrap().contains("waiting for DNS") && waiting.failures == 1);
    assert!(waiting.next_attempt_at > portcullis_store::now());
    assert_eq!(
        manager.run_once().await,
        Default::default(),
        "nothing due: no new orders, no retries before the back-off"
    );

    // A restarted server loads the stored certificate.
    let reloaded = CertManager {
        resolver: Arc::new(CertResolver::default()),
        ..manager
    };
    assert_eq!(reloaded.load().await, 2);

    // Real TLS: SNI picks the certificate; the chain verifies against pebble's root.
    let https_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let https_addr = https_listener.local_addr().unwrap();
    // The public edge, as the server runs it on https_addr: no dashboard.
    tokio::spawn(https::serve(
        https_listener,
        https::server_config(reloaded.resolver.clone()),
        portcullis_server::build_public_router(app.state.clone(), false),
        Some(app.state.clone()),
        portcullis_server::listener::ListenerLimits::default(),
        std::future::pending(),
        std::time::Duration::from_secs(1),
    ));
    let mgmt_roots = [CertificateDer::from_pem_file(&pebble_ca).unwrap()];
    let (_, root_pem, _) = https_get(pebble.management, "localhost", &mgmt_roots, "/roots/0")
        .await
        .unwrap();
    let root_pem = &root_pem[root_pem.find("-----BEGIN").unwrap()..];
    let roots: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(root_pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    let (status, rest, peer) = https_get(https_addr, "mta-sts.example.test", &roots, "/.well-known/mta-sts.txt")
        .await
        .unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK", "{rest}");
    assert!(
        rest.to_ascii_lowercase()
            .contains("content-type: text/plain; charset=utf-8"),
        "{rest}"
    );
    assert!(
        rest.ends_with("version: STSv1\r\nmode: testing\r\nmx: mx.example.test\r\nmax_age: 86400\r\n"),
        "{rest}"
    );
    let (_, leaf) = x509_parser::parse_x509_certificate(peer.as_ref()).unwrap();
    let sans: Vec<String> = leaf
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(sans, vec!["DNSName(mta-sts.example.test)".to_string()]);

    // The dashboard shows each domain's certificate state.
    let web = app.browser(&alice).await;
    let html = body_text(app.send(web.get("/domains/example.test")).await).await;
    assert!(html.contains("valid until"), "{html}");
    let html = body_text(app.send(web.get("/domains/elsewhere.test")).await).await;
    assert!(
        html.contains("Certificate not obtained: ") && html.contains("resolves to 192.0.2.99"),
        "{html}"
    );

    // Anything but a policy fetch goes through the router, with the same answers as over HTTP.
    let (status, _, _) = https_get(https_addr, "mta-sts.example.test", &roots, "/login")
        .await
        .unwrap();
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    // The public host has its own certificate; its report path is served, the dashboard is not.
    let (status, _, peer) = https_get(https_addr, "portcullis.test", &roots, "/tlsrpt")
        .await
        .unwrap();
    assert_eq!(status, "HTTP/1.1 405 Method Not Allowed", "POST only");
    // A report POSTed there keeps how it arrived: the client, the TLS version and cipher suite.
    let report = r#"{"organization-name":"tls.example","report-id":"over-tls","date-range":{"start-datetime":"2026-11-01T00:00:00Z","end-datetime":"2026-11-01T23:59:59Z"},"policies":[{"policy":{"policy-type":"sts","policy-domain":"example.test"},"summary":{"total-successful-session-count":1,"total-failure-session-count":0}}]}"#;
    let post = format!(
        "POST /tlsrpt HTTP/1.1\r\nHost: portcullis.test\r\nContent-Type: application/tlsrpt+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{report}",
        report.len()
    );
    let (status, _, _) = https_request(https_addr, "portcullis.test", &roots, &post)
        .await
        .unwrap();
    assert_eq!(status, "HTTP/1.1 201 Created");
    let domain = portcullis_domain::DomainName::parse("example.test").unwrap();
    let stored = app.db.store.tlsrpt_reports(&org, &domain, 10, 0).await.unwrap();
    let arrival = stored[0].arrival.clone().unwrap();
    assert!(
        arrival.starts_with("HTTPS from 127.0.0.1 over TLSv1_3 (TLS13_"),
        "{arrival}"
    );
    let (_, leaf) = x509_parser::parse_x509_certificate(peer.as_ref()).unwrap();
    assert!(format!("{:?}", leaf.subject_alternative_name()).contains("portcullis.test"));
    for path in ["/login", "/setup", "/", "/api/v1/domains"] {
        let (status, _, _) = https_get(https_addr, "portcullis.test", &roots, path).await.unwrap();
        assert_eq!(status, "HTTP/1.1 404 Not Found", "{path}");
    }

    // A name without a certificate gets no certificate at all (no other tenant's name leaks).
    let refused = https_get(https_addr, "mta-sts.elsewhere.test", &roots, "/.well-known/mta-sts.txt").await;
    assert!(
        refused.is_err(),
        "handshake must fail without a certificate for the name"
    );
    // Deleting the domain takes its certificate out of service at the next pass.
    // (Its policy's removal has run its course: a served policy blocks deletion.)
    app.run_sql("UPDATE domains SET policy_retire_at = 1 WHERE name = 'example.test'")
        .await;
    app.services.delete_domain(&org, "example.test").await.unwrap();
    portcullis_server::tls::certs::prune(&app.services, &reloaded.resolver).await;
    assert!(!reloaded.resolver.has("mta-sts.example.test"));
    assert!(
        https_get(https_addr, "mta-sts.example.test", &roots, "/.well-known/mta-sts.txt")
            .await
            .is_err()
    );
    app.cleanup().await;
}
