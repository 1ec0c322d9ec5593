//! Push mode against a real authoritative server: BIND (`named`, from Debian's bind9) started
//! with a TSIG key and a dynamic zone. Portcullis pushes the `_mta-sts` TXT after a policy save
//! and a transition, replacing the old record, and the DNS check (asking that server) verifies
//! it; a wrong key is reported clearly and raises the "DNS id not updated" alert; the secret is
//! stored sealed and never shown. On SQLite and PostgreSQL.

use crate::common::{api, body_json, body_text, free_port, is_redirect, location, TestApp};
use axum::http::StatusCode;
use portcullis_dnscheck::{CheckSettings, Checker, Dns};
use portcullis_domain::dns::ReportAddresses;
use portcullis_domain::{Mode, PolicySpec};
use portcullis_service::{DnsConfig, PushInput, SecretKey, ServiceError, TransitionRequest};
use portcullis_store::testing::Kind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const DOMAIN: &str = "example.test";
const KEY: &str = "portcullis-key";
/// 32 bytes, base64: the TSIG secret BIND knows.
const SECRET: &str = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYnk=";
const WRONG: &str = "d3Jvbmctd3Jvbmctd3Jvbmctd3Jvbmctd3JvbmctMzI=";

/// `named` in the foreground, serving `example.test` with updates allowed for the key.
struct Named {
    child: std::process::Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Named {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let d = dir.path().display();
        let zone = format!(
            "$TTL 60\n@ IN SOA ns.{DOMAIN}. hostmaster.{DOMAIN}. 1 60 60 600 60\n@ IN NS ns.{DOMAIN}.\nns IN A 127.0.0.1\n\
             _mta-sts IN TXT \"v=STSv1; id=old\"\n"
        );
        std::fs::write(dir.path().join("zone.db"), zone).unwrap();
        let conf = format!(
            "options {{ directory \"{d}\"; pid-file \"{d}/named.pid\"; session-keyfile \"{d}/session.key\";\n\
               listen-on port {port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }}; recursion no;\n\
               dnssec-validation no; allow-query {{ any; }}; }};\n\
             controls {{ }};\n\
             key \"{KEY}\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};\n\
             zone \"{DOMAIN}\" {{ type primary; file \"{d}/zone.db\";\n\
               update-policy {{ grant {KEY} name _mta-sts.{DOMAIN}. TXT; }}; }};\n"
        );
        let path = dir.path().join("named.conf");
        std::fs::write(&path, conf).unwrap();
        let child = std::process::Command::new("/usr/sbin/named")
            .args(["-g", "-c"])
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("named is installed by make setup (bind9)");
        Self {
            child,
            addr: format!("127.0.0.1:{port}").parse().unwrap(),
            _dir: dir,
        }
    }

    /// The TXT records at `_mta-sts`, asked of the server itself.
    async fn sts(&self) -> Vec<String> {
        let dns = Dns::new(Some(self.addr)).unwrap();
        match dns.txt(&format!("_mta-sts.{DOMAIN}")).await {
            Ok(found) => found.records,
            Err(_) => Vec::new(),
        }
    }

    async fn wait_ready(&self) {
        let started = Instant::now();
        while self.sts().await.is_empty() {
            assert!(started.elapsed() < Duration::from_secs(20), "named did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn input(secret: &str) -> PushInput {
    PushInput {
        provider: "rfc2136".into(),
        server: "127.0.0.1:53".into(),
        key_name: KEY.into(),
        algorithm: "hmac-sha256".into(),
        secret: secret.into(),
    }
}

async fn push_mode(kind: Kind) {
    let named = Named::start();
    named.wait_ready().await;
    let settings = CheckSettings {
        https_port: 9,
        smtp_port: 9,
        allow_private: true,
        connect_timeout: Duration::from_secs(1),
        io_timeout: Duration::from_secs(1),
        ..CheckSettings::default()
    };
    let checker = Checker::new(Dns::new(Some(named.addr)).unwrap(), settings).unwrap();
    let config = DnsConfig {
        public_host: Some("portcullis.test".into()),
        reports: ReportAddresses::default(),
        zone: None,
    };
    let key = SecretKey::parse(&"5a".repeat(32)).unwrap();
    let app = TestApp::configured(kind, |s| {
        s.with_dns(checker.dns().clone())
            .with_checker(checker, config)
            .with_secret_key(Some(key))
    })
    .await;
    let owner = app.user("owner@example.com", false).await;
    let org = app.org("Acme", &owner).await;
    app.proven_domain(&org, DOMAIN).await;
    let s = &app.services;
    let server = |port: u16| format!("127.0.0.1:{port}");

    // Push needs the organisation's settings first.
    let refused = s.set_dns_setup(&org, DOMAIN, "push").await.unwrap_err();
    assert!(
        matches!(refused, ServiceError::Invalid { field: "setup", .. }),
        "{refused:?}"
    );
    let bad = s
        .save_push_settings(
            &org,
            "owner",
            &PushInput {
                secret: "not base64!".into(),
                ..input(SECRET)
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(bad, ServiceError::Invalid { field: "secret", .. }), "{bad:?}");

    // A wrong key: the save stands, the push fails with words about the key, and the alert is raised.
    let wrong = PushInput {
        server: server(named.addr.port()),
        ..input(WRONG)
    };
    let view = s.save_push_settings(&org, "owner", &wrong).await.unwrap();
    assert_eq!((view.key_name.as_str(), view.domains), (KEY, 0));
    s.set_dns_setup(&org, DOMAIN, "push").await.unwrap();
    let spec = |mode: Mode, mx: &str| PolicySpec {
        mode,
        max_age: 86_400,
        mx: vec![mx.into()],
    };
    s.save_policy(&org, DOMAIN, &spec(Mode::Testing, "mx1.example.test"), "owner")
        .await
        .unwrap();
    let status = s.push_status(&org, &DOMAIN.parse().unwrap()).await.unwrap();
    let error = status.error.expect("a wrong key fails");
    assert!(error.contains("TSIG"), "the error names the key: {error}");
    assert_eq!(
        named.sts().await,
        vec!["v=STSv1; id=old".to_string()],
        "nothing changed"
    );
    let alerts = s.alert_settings(&org).await.unwrap().recent;
    assert!(
        alerts
            .iter()
            .any(|a| a.kind == "dns_id_stale" && a.detail.contains("push")),
        "{alerts:?}"
    );

    // The right key: push now replaces the record, and the check verifies it.
    let right = PushInput {
        server: server(named.addr.port()),
        ..input(SECRET)
    };
    s.save_push_settings(&org, "owner", &right).await.unwrap();
    let outcome = s.push_now(&org, DOMAIN).await.unwrap();
    assert_eq!(
        (outcome.error.as_deref(), outcome.verified),
        (None, Some(true)),
        "{outcome:?}"
    );
    let current = s.policy_state(&org, DOMAIN).await.unwrap();
    let id = current.current.clone().unwrap().policy_id;
    assert_eq!(named.sts().await, vec![format!("v=STSv1; id={id}")]);

    // A transition pushes by itself; the latest check (after the push) saw the new id.
    let request = TransitionRequest {
        to: "enforce".into(),
        confirm: Some(DOMAIN.into()),
        reason: Some("push test".into()),
    };
    s.transition(&org, DOMAIN, &request, "owner").await.unwrap();
    let after = s.policy_state(&org, DOMAIN).await.unwrap().current.unwrap().policy_id;
    assert_ne!(after, id);
    assert_eq!(
        named.sts().await,
        vec![format!("v=STSv1; id={after}")],
        "one record, the new id"
    );
    let status = s.push_status(&org, &DOMAIN.parse().unwrap()).await.unwrap();
    assert_eq!(
        (status.pushed_id.as_deref(), status.error),
        (Some(after.as_str()), None)
    );
    let overview = s.dns_overview(&org, DOMAIN).await.unwrap();
    let latest = overview.latest.unwrap();
    assert_eq!(latest.origin, "push");
    assert!(
        latest.findings.iter().any(|f| f.code == "sts-record-ok"),
        "{:?}",
        latest.findings
    );
    assert!(overview.id_publishing.automatic);

    // The secret is sealed in the database and never shown.
    let row = app.db.store.push_settings(&org).await.unwrap().unwrap();
    assert!(!row.secret_sealed.contains(SECRET));
    assert!(!row.secret_sealed.contains(&hex_of(SECRET)));
    let token = s.create_token(&org, "ci", "owner").await.unwrap().0;
    let res = app.send(api("GET", "/api/v1/dns-push", Some(&token), None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = body_json(res).await;
    assert_eq!(body["server"], format!("udp://{}", named.addr));
    assert_eq!(body["provider"], "rfc2136");
    assert!(
        body.get("secret").is_none() && !body.to_string().contains(SECRET),
        "{body}"
    );
    // Only owners set push settings.
    let editor = s.create_token(&org, "ci-editor", "editor").await.unwrap().0;
    let body =
        serde_json::json!({"server": "192.0.2.53", "key_name": KEY, "algorithm": "hmac-sha256", "secret": SECRET});
    let res = app
        .send(api("PUT", "/api/v1/dns-push", Some(&editor), Some(body)))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // An owner switches the organisation to Cloudflare's API: the token is sealed too, and the
    // RFC 2136 settings are gone.
    let cf_token = "cloudflare-token-0123456789";
    let body = serde_json::json!({"provider": "cloudflare", "secret": cf_token});
    let res = app.send(api("PUT", "/api/v1/dns-push", Some(&token), Some(body))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let shown = body_json(res).await;
    assert_eq!(
        (&shown["provider"], &shown["server"], &shown["key_name"]),
        (&"cloudflare".into(), &"".into(), &"".into()),
        "{shown}"
    );
    assert!(!shown.to_string().contains(cf_token));
    let row = app.db.store.push_settings(&org).await.unwrap().unwrap();
    assert!(!row.secret_sealed.contains(cf_token));
    let body = serde_json::json!({"provider": "route53", "secret": cf_token});
    let res = app.send(api("PUT", "/api/v1/dns-push", Some(&token), Some(body))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body_json(res).await.to_string().contains("provider"));
    // Removing the settings is refused while a domain pushes.
    let res = app.send(api("DELETE", "/api/v1/dns-push", Some(&token), None)).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    app.cleanup().await;

    // Without the operator's leave, pushes go to public addresses only.
    let key = SecretKey::parse(&"5a".repeat(32)).unwrap();
    let strict = TestApp::configured(kind, |s| s.with_secret_key(Some(key))).await;
    let owner = strict.user("owner@example.com", false).await;
    let org = strict.org("Acme", &owner).await;
    let private = strict
        .services
        .save_push_settings(&org, "owner", &input(SECRET))
        .await
        .unwrap_err();
    assert!(
        matches!(private, ServiceError::Invalid { field: "server", .. }),
        "{private:?}"
    );
    strict.cleanup().await;
}

fn hex_of(b64: &str) -> String {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn push_mode_sqlite() {
    push_mode(Kind::Sqlite).await;
}

#[tokio::test]
async fn push_mode_postgres() {
    push_mode(Kind::Postgres).await;
}

/// The organisation page's two push forms, posted as a browser without JavaScript: the
/// Cloudflare token is refused under its own field when malformed, saved sealed otherwise, and the
/// page then says pushes go through Cloudflare's API (never showing the token).
async fn push_forms(kind: Kind) {
    let key = SecretKey::parse(&"5a".repeat(32)).unwrap();
    let app = TestApp::configured(kind, |s| s.with_secret_key(Some(key))).await;
    let owner = app.user("owner@example.com", false).await;
    let org = app.org("Acme", &owner).await;
    let browser = app.browser(&owner).await;
    let slug = org.org_slug().to_string();
    let post = |provider: &str, secret: &str| {
        browser.form(
            "/sfn/save_push_settings",
            &[
                ("csrf", browser.csrf.as_str()),
                ("org", &slug),
                ("provider", provider),
                ("secret", secret),
            ],
        )
    };
    let res = app.send(post("cloudflare", "short")).await;
    assert!(is_redirect(&res));
    // The browser comes back to the page it posted from (the organisation page) with the error.
    let back = location(&res);
    let query = back
        .split_once('?')
        .map(|(_, q)| q)
        .expect("the error rides in the query");
    assert!(query.contains("__err="), "{back}");
    let page = body_text(app.send(browser.get(&format!("/orgs/{slug}?{query}"))).await).await;
    let field = page
        .split("id=\"push-token-error\"")
        .nth(1)
        .expect("the token field's error");
    assert!(field[..field.find("</p>").unwrap()].contains("API token"), "{page}");
    assert!(
        app.db.store.push_settings(&org).await.unwrap().is_none(),
        "nothing saved"
    );

    let token = "cloudflare-token-0123456789";
    let res = app.send(post("cloudflare", token)).await;
    assert!(is_redirect(&res));
    let page = body_text(app.send(browser.get(&format!("/orgs/{slug}"))).await).await;
    assert!(
        page.contains("Cloudflare&#39;s API; the token is stored sealed")
            || page.contains("Cloudflare's API; the token is stored sealed"),
        "{page}"
    );
    assert!(!page.contains(token));
    assert_eq!(
        app.db.store.push_settings(&org).await.unwrap().unwrap().provider,
        "cloudflare"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn push_forms_sqlite() {
    push_forms(Kind::Sqlite).await;
}

#[tokio::test]
async fn push_forms_postgres() {
    push_forms(Kind::Postgres).await;
}
