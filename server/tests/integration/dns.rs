//! DNS guidance and live checks through the real router: this server's own HTTPS policy host
//! fetched as senders fetch it, a loopback MX with STARTTLS, the API, the domain page, "check
//! now" without JavaScript, tenant isolation and the monitor.

use crate::common;

use axum::http::StatusCode;
use common::*;
use portcullis_dnscheck::testing::{SmtpTls, TestCa, TestDns, TestSmtp};
use portcullis_dnscheck::{CheckSettings, Checker, Dns};
use portcullis_domain::dns::ReportAddresses;
use portcullis_domain::PolicySpec;
use portcullis_server::tls::https::{self, certified_key, CertResolver};
use portcullis_service::DnsConfig;
use portcullis_store::testing::Kind;
use portcullis_store::SaveOutcome;
use std::sync::Arc;
use std::time::Duration;

async fn dns_end_to_end(kind: Kind) {
    let dns = TestDns::start().await;
    let ca = TestCa::new();
    let smtp = TestSmtp::start("127.0.0.1:0".parse().unwrap(), SmtpTls::StartTls).await;
    let tls_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let settings = CheckSettings {
        https_port: tls_listener.local_addr().unwrap().port(),
        smtp_port: smtp.addr().port(),
        allow_private: true,
        extra_roots: vec![ca.root()],
        connect_timeout: Duration::from_secs(2),
        io_timeout: Duration::from_secs(3),
        ..CheckSettings::default()
    };
    let checker = Checker::new(Dns::new(Some(dns.addr())).unwrap(), settings).unwrap();
    let config = DnsConfig {
        public_host: Some("portcullis.test".into()),
        reports: ReportAddresses {
            mailto: Some("tlsrpt@portcullis.test".into()),
            https: Some("https://portcullis.test/tlsrpt".into()),
        },
        zone: None,
    };
    let app = TestApp::with_checker(kind, checker, config).await;

    // This server's own HTTPS policy host, with a certificate from the test CA.
    let resolver = Arc::new(CertResolver::default());
    let (cert, key) = ca.issue_pem(&["mta-sts.example.com"], (-1, 90));
    resolver.set("mta-sts.example.com", certified_key(&cert, &key).unwrap());
    tokio::spawn(https::serve(
        tls_listener,
        https::server_config(resolver),
        app.router.clone(),
        Some(app.state.clone()),
        portcullis_server::listener::ListenerLimits::default(),
        std::future::pending(),
        std::time::Duration::from_secs(1),
    ));

    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    let other = app.org("Beta", &alice).await;
    let (viewer, _) = app.services.create_token(&org, "ro", "viewer").await.unwrap();
    let (stranger, _) = app.services.create_token(&other, "b", "owner").await.unwrap();
    app.proven_domain(&org, "example.com").await;
    let spec = PolicySpec {
        mode: portcullis_domain::Mode::Testing,
        max_age: 604_800,
        mx: vec!["mx.example.com".into()],
    };
    let SaveOutcome::Saved(v) = app.services.save_policy(&org, "example.com", &spec, "t").await.unwrap() else {
        panic!("saved")
    };
    let id = v.policy_id;
    let t = Some(viewer.as_str());

    // Before any check: the records to publish, status never checked.
    let res = app.send(api("GET", "/api/v1/domains/example.com/dns", t, None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let shown = body_json(res).await;
    assert_eq!(shown["status"], "never_checked");
    assert_eq!(shown["checked_at"], serde_json::Value::Null);
    assert_eq!(
        shown["records"],
        serde_json::json!([
            {"name": "mta-sts.example.com", "type": "CNAME", "value": "portcullis.test."},
            {"name": "_mta-sts.example.com", "type": "TXT", "value": format!("v=STSv1; id={id}")},
            {"name": "_smtp._tls.example.com", "type": "TXT",
             "value": "v=TLSRPTv1; rua=mailto:tlsrpt@portcullis.test,https://portcullis.test/tlsrpt"}
        ])
    );
    assert!(shown["zone"]
        .as_str()
        .unwrap()
        .contains("_mta-sts.example.com.\t3600\tIN\tTXT\t\"v=STSv1; id="));

    // Publish exactly what we were told to; the live check passes end to end.
    dns.set_addr("portcullis.test", &["127.0.0.1".parse().unwrap()]).await;
    dns.set_cname("mta-sts.example.com", Some("portcullis.test")).await;
    dns.set_txt("_mta-sts.example.com", &[&format!("v=STSv1; id={id}")])
        .await;
    dns.set_txt(
        "_smtp._tls.example.com",
        &["v=TLSRPTv1; rua=mailto:tlsrpt@portcullis.test,https://portcullis.test/tlsrpt"],
    )
    .await;
    dns.set_mx("example.com", &[(10, "mx.example.com")]).await;
    dns.set_addr("mx.example.com", &["127.0.0.1".parse().unwrap()]).await;
    smtp.set_cert("mx.example.com", ca.issue(&["mx.example.com"], (-1, 90)));
    let res = app
        .send(api("POST", "/api/v1/domains/example.com/dns/check", t, None))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let checked = body_json(res).await;
    assert_eq!(checked["status"], "ok", "{checked:#}");
    let codes: Vec<&str> = checked["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for c in [
        "sts-record-ok",
        "policy-host-ok",
        "policy-fetch-ok",
        "tlsrpt-record-ok",
        "mx-covered",
        "starttls-ok",
    ] {
        assert!(codes.contains(&c), "{c} in {codes:?}");
    }
    assert!(checked["checked_at"].is_string());
    let first = &checked["findings"][0];
    for key in ["code", "severity", "title", "subject", "seen", "expected", "fix"] {
        assert!(first.get(key).is_some(), "{key} in {first}");
    }

    // Another tenant cannot see or check it.
    let s = Some(stranger.as_str());
    for (m, p) in [
        ("GET", "/api/v1/domains/example.com/dns"),
        ("POST", "/api/v1/domains/example.com/dns/check"),
    ] {
        assert_eq!(app.send(api(m, p, s, None)).await.status(), StatusCode::NOT_FOUND);
    }

    // A new policy without a DNS update: the page says so, "check now" works without JavaScript.
    let spec = PolicySpec {
        mx: vec!["mx.example.com".into(), "mx2.example.com".into()],
        ..spec
    };
    let SaveOutcome::Saved(v2) = app.services.save_policy(&org, "example.com", &spec, "t").await.unwrap() else {
        panic!("saved")
    };
    let browser = app.browser(&alice).await;
    let res = app
        .send(browser.form(
            "/sfn/check_dns_now",
            &[("csrf", browser.csrf.as_str()), ("name", "example.com")],
        ))
        .await;
    assert!(is_redirect(&res), "{}", res.status());
    assert_eq!(location(&res), "/domains/example.com#dns");
    let page = body_text(app.send(browser.get("/domains/example.com")).await).await;
    assert!(
        page.contains("data-code=\"sts-record-id-mismatch\""),
        "the finding is on the page"
    );
    assert!(
        page.contains(&format!("id={}", v2.policy_id)),
        "the expected id is shown"
    );
    assert!(page.contains("data-status=\"error\""));
    // With report addresses the record is listed, and the empty reports section points at it.
    assert!(page.contains("record above is published"), "{page}");
    assert!(!page.contains("data-testid=\"reports-no-address\""));
    assert!(page.contains("Check now"));
    assert!(page.contains("mx-pattern-unused"), "mx2 matches no live MX");
    let forged = app
        .send(browser.form("/sfn/check_dns_now", &[("csrf", "wrong"), ("name", "example.com")]))
        .await;
    assert_ne!(
        location(&forged),
        "/domains/example.com#dns",
        "a forged form is refused"
    );

    // The status change was recorded, and the list shows the badge.
    let events = app
        .db
        .store
        .domain_events(&org, &portcullis_domain::DomainName::parse("example.com").unwrap(), 10)
        .await
        .unwrap();
    let changes: Vec<(Option<&str>, &str)> = events
        .iter()
        .map(|e| (e.old_value.as_deref(), e.new_value.as_str()))
        .collect();
    assert_eq!(changes, vec![(Some("ok"), "error"), (None, "ok")]);
    let list = body_json(app.send(api("GET", "/api/v1/domains", t, None)).await).await;
    assert_eq!(list["domains"][0]["dns_status"], "error");
    let home = body_text(app.send(browser.get("/")).await).await;
    assert!(home.contains("DNS error"));

    // The monitor checks both domains (a check asked for by a user does not reschedule it):
    // the new one changes status, the other stays in error. Then nothing is due.
    app.proven_domain(&org, "second.example").await;
    let pass = app.services.monitor_pass(Duration::from_secs(3600), 4).await.unwrap();
    assert_eq!((pass.checked, pass.status_changes), (2, 1));
    let second = body_json(
        app.send(api("GET", "/api/v1/domains/second.example/dns", t, None))
            .await,
    )
    .await;
    assert_eq!(second["status"], "error");
    let codes: Vec<&str> = second["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"policy-not-configured") && codes.contains(&"mx-none"),
        "{codes:?}"
    );
    let pass = app.services.monitor_pass(Duration::from_secs(3600), 4).await.unwrap();
    assert_eq!(pass.checked, 0, "nothing is due yet");
    app.cleanup().await;
}

#[tokio::test]
async fn dns_end_to_end_sqlite() {
    dns_end_to_end(Kind::Sqlite).await;
}

#[tokio::test]
async fn dns_end_to_end_postgres() {
    dns_end_to_end(Kind::Postgres).await;
}

#[tokio::test]
async fn checks_without_a_resolver_say_so() {
    let app = TestApp::new(Kind::Sqlite).await;
    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    let (owner, _) = app.services.create_token(&org, "o", "owner").await.unwrap();
    app.proven_domain(&org, "example.com").await;
    let res = app
        .send(api(
            "POST",
            "/api/v1/domains/example.com/dns/check",
            Some(owner.as_str()),
            None,
        ))
        .await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    // The records are still there to publish, with a placeholder for the unset public host.
    let shown = body_json(
        app.send(api(
            "GET",
            "/api/v1/domains/example.com/dns",
            Some(owner.as_str()),
            None,
        ))
        .await,
    )
    .await;
    assert_eq!(shown["records"][0]["value"], "<PORTCULLIS_PUBLIC_HOST>.");
    app.cleanup().await;
}

/// Two instances on one database run their monitor passes at once: they split the due domains
/// between them, every domain is checked exactly once, and then nothing is due.
async fn the_monitor_is_split_between_instances(kind: Kind) {
    let dns = TestDns::start().await;
    let checker = Checker::new(Dns::new(Some(dns.addr())).unwrap(), CheckSettings::default()).unwrap();
    let config = DnsConfig {
        public_host: Some("portcullis.test".into()),
        reports: ReportAddresses::default(),
        zone: None,
    };
    let app = TestApp::with_checker(kind, checker.clone(), config.clone()).await;
    let other = portcullis_service::Services::new(portcullis_store::Store::connect(&app.db.url).await.unwrap())
        .await
        .unwrap()
        .with_dns(checker.dns().clone())
        .with_checker(checker, config);
    assert_ne!(app.services.instance(), other.instance());
    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    let names: Vec<String> = (0..40).map(|i| format!("d{i}.example")).collect();
    for name in &names {
        app.proven_domain(&org, name).await;
    }

    let interval = Duration::from_secs(3600);
    let (a, b) = tokio::join!(app.services.monitor_pass(interval, 2), other.monitor_pass(interval, 2));
    let (a, b) = (a.unwrap().checked, b.unwrap().checked);
    assert_eq!(a + b, 40, "every domain is checked ({a} + {b})");
    assert!(a > 0 && b > 0, "both instances did part of the work ({a} + {b})");
    for name in &names {
        let domain = portcullis_domain::DomainName::parse(name).unwrap();
        let runs = app.db.store.dns_checks(&org, &domain, 10).await.unwrap();
        assert_eq!(runs.len(), 1, "{name} is checked once");
    }
    let (a, b) = tokio::join!(app.services.monitor_pass(interval, 2), other.monitor_pass(interval, 2));
    let nothing = (a.unwrap().checked, b.unwrap().checked);
    assert_eq!(nothing, (0, 0), "nothing is due any more");
    app.cleanup().await;
}

#[tokio::test]
async fn the_monitor_is_split_between_instances_sqlite() {
    the_monitor_is_split_between_instances(Kind::Sqlite).await;
}

#[tokio::test]
async fn the_monitor_is_split_between_instances_postgres() {
    the_monitor_is_split_between_instances(Kind::Postgres).await;
}
