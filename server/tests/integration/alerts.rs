//! Alerts end to end, on SQLite and PostgreSQL: a real DNS check in enforce finds MX drift and
//! raises "DNS error" and "MX drift"; each channel gets one digest (an in-test SMTP relay and
//! HTTP webhooks, plain and Slack-style); repeats the same day are not sent again; a failing
//! webhook keeps its alerts and catches up after the retry delay without re-sending to the
//! others; the periodic rules (certificate, renewal, failure rate, stale DNS id) fire once; test
//! sends; and one organisation never sees another's channels or alerts.

use crate::common;

use axum::http::StatusCode;
use common::{api, body_json, TestApp};
use portcullis_dnscheck::testing::TestDns;
use portcullis_dnscheck::{CheckSettings, Checker, Dns};
use portcullis_domain::dns::ReportAddresses;
use portcullis_domain::PolicySpec;
use portcullis_notify::testing::{HttpSink, SmtpSink};
use portcullis_notify::{Notifier, NotifySettings};
use portcullis_service::{Channel, DnsConfig, ReportInput, ServiceError, TransitionRequest, RETRY_AFTER_SECS};
use portcullis_store::testing::Kind;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const DOMAIN: &str = "example.com";

fn notifier(smtp: Option<&SmtpSink>) -> Arc<Notifier> {
    Arc::new(
        Notifier::new(NotifySettings {
            smtp_url: smtp.map(|s| format!("smtp://{}", s.addr)),
            from: "portcullis@portcullis.test".into(),
            allow_private: true,
            extra_roots: Vec::new(),
            timeout: Duration::from_secs(5),
        })
        .unwrap(),
    )
}

/// A report of today for `DOMAIN`: `ok` successful sessions and `failed` certificate failures.
fn report(id: &str, ok: i64, failed: i64) -> Vec<u8> {
    let day = chrono::Utc::now().date_naive();
    serde_json::to_vec(&json!({
        "organization-name": "Google",
        "report-id": id,
        "date-range": {"start-datetime": format!("{day}T00:00:00Z"), "end-datetime": format!("{day}T23:59:59Z")},
        "policies": [{"policy": {"policy-type": "sts", "policy-domain": DOMAIN, "mx-host": ["mx1.example.com"]},
            "summary": {"total-successful-session-count": ok, "total-failure-session-count": failed},
            "failure-details": [{"result-type": "certificate-expired", "sending-mta-ip": "192.0.2.9",
                "receiving-mx-hostname": "mx1.example.com", "failed-session-count": failed}]}]
    }))
    .unwrap()
}

fn kinds(app_alerts: &[portcullis_store::AlertRow]) -> Vec<&str> {
    let mut k: Vec<&str> = app_alerts.iter().map(|a| a.kind.as_str()).collect();
    k.sort();
    k
}

async fn alerts(kind: Kind) {
    let smtp = SmtpSink::start().await;
    let hook = HttpSink::start().await;
    let dns = TestDns::start().await;
    dns.set_mx(DOMAIN, &[(10, "mx1.example.com"), (20, "mx2.example.com")])
        .await;
    for host in ["mx1.example.com", "mx2.example.com"] {
        dns.set_addr(host, &["127.0.0.1".parse().unwrap()]).await;
    }
    // Nothing listens on port 9: the policy fetch and the MX probes fail, which is an error
    // status; the drift is what this test is about.
    let settings = CheckSettings {
        https_port: 9,
        smtp_port: 9,
        allow_private: true,
        connect_timeout: Duration::from_secs(1),
        io_timeout: Duration::from_secs(1),
        ..CheckSettings::default()
    };
    let checker = Checker::new(Dns::new(Some(dns.addr())).unwrap(), settings).unwrap();
    let config = DnsConfig {
        public_host: Some("portcullis.test".into()),
        reports: ReportAddresses::default(),
        zone: None,
    };
    let delivery = notifier(Some(&smtp));
    let app = TestApp::configured(kind, |s| {
        s.with_dns(checker.dns().clone())
            .with_checker(checker, config)
            .with_notifier(delivery, "https://portcullis.test/".into())
    })
    .await;
    let owner = app.user("owner@acme.example", false).await;
    let acme = app.org("Acme", &owner).await;
    let stranger = app.user("owner@beta.example", false).await;
    let beta = app.org("Beta", &stranger).await;
    app.proven_domain(&acme, DOMAIN).await;
    let spec = PolicySpec {
        mode: portcullis_domain::Mode::Testing,
        max_age: 86_400,
        mx: vec!["mx1.example.com".into()],
    };
    app.services.save_policy(&acme, DOMAIN, &spec, "owner").await.unwrap();
    let request = TransitionRequest {
        to: "enforce".into(),
        confirm: Some(DOMAIN.into()),
        reason: Some("alerts test".into()),
    };
    app.services.transition(&acme, DOMAIN, &request, "owner").await.unwrap();

    // Channels: validated, unique per organisation, owners only, invisible to others.
    let email = app
        .services
        .add_alert_channel(&acme, "email", "ops@acme.example", "owner@acme.example")
        .await
        .unwrap();
    let webhook = app
        .services
        .add_alert_channel(
            &acme,
            "webhook",
            &format!("http://{}/hook", hook.addr),
            "owner@acme.example",
        )
        .await
        .unwrap();
    let slack = app
        .services
        .add_alert_channel(
            &acme,
            "slack",
            &format!("http://{}/slack?token=s3cret", hook.addr),
            "owner@acme.example",
        )
        .await
        .unwrap();
    assert_eq!(
        slack.target,
        format!("http://127.0.0.1/…"),
        "the secret part is not shown"
    );
    assert!(matches!(
        app.services
            .add_alert_channel(&acme, "webhook", &format!("http://{}/hook", hook.addr), "x")
            .await,
        Err(ServiceError::Conflict(_))
    ));
    assert!(matches!(
        app.services
            .add_alert_channel(&acme, "email", "not an address", "x")
            .await,
        Err(ServiceError::Invalid { .. })
    ));
    let without_relay = app.services.clone().with_notifier(notifier(None), String::new());
    let refused = without_relay
        .add_alert_channel(&acme, "email", "other@acme.example", "x")
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("PORTCULLIS_ALERT_SMTP_URL"), "{refused}");
    assert!(app.services.alert_settings(&beta).await.unwrap().channels.is_empty());
    assert!(matches!(
        app.services.delete_alert_channel(&beta, email.id).await,
        Err(ServiceError::NotFound)
    ));

    // A real check in enforce: mx2 is not covered. DNS error and MX drift are raised, once.
    let run = app.services.check_dns(&acme, DOMAIN, "user").await.unwrap();
    assert_eq!(run.status.as_str(), "error");
    let events = app
        .db
        .store
        .domain_events(&acme, &DOMAIN.parse().unwrap(), 10)
        .await
        .unwrap();
    let drift: Vec<_> = events.iter().filter(|e| e.kind == "mx_drift").collect();
    assert_eq!(drift.len(), 1);
    assert_eq!(drift[0].new_value, "mx2.example.com");
    assert_eq!(app.services.mx_drift(&acme, DOMAIN).await.unwrap(), ["mx2.example.com"]);
    app.services.check_dns(&acme, DOMAIN, "user").await.unwrap();
    let recent = app.services.alert_settings(&acme).await.unwrap().recent;
    assert_eq!(
        kinds(&recent),
        ["dns_error", "mx_drift"],
        "a repeat the same day raises nothing"
    );
    assert!(app.services.alert_settings(&beta).await.unwrap().recent.is_empty());

    // One digest per channel.
    let now = portcullis_store::now();
    assert_eq!(app.services.dispatch_alerts(now).await.unwrap(), (3, 0));
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["ops@acme.example"]);
    assert!(
        mails[0].data.contains("Subject: Portcullis: 2 alerts (example.com)"),
        "{}",
        mails[0].data
    );
    assert!(mails[0].data.contains("example.com - MX drift"), "{}", mails[0].data);
    assert!(mails[0].data.contains("example.com - DNS error"), "{}", mails[0].data);
    let posts = hook.requests();
    assert_eq!(posts.len(), 2);
    let generic = posts.iter().find(|p| p.path == "/hook").unwrap();
    assert_eq!(generic.content_type, "application/json");
    let body: Value = serde_json::from_str(&generic.body).unwrap();
    assert_eq!(body["source"], "portcullis");
    assert_eq!(body["alerts"].as_array().unwrap().len(), 2);
    assert!(body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["kind"] == "mx_drift" && a["detail"].as_str().unwrap().contains("mx2.example.com")));
    let slack_post = posts.iter().find(|p| p.path == "/slack?token=s3cret").unwrap();
    let text: Value = serde_json::from_str(&slack_post.body).unwrap();
    assert!(
        text["text"].as_str().unwrap().contains("*example.com* – MX drift"),
        "{text}"
    );
    assert_eq!(app.services.dispatch_alerts(now).await.unwrap(), (0, 0), "nothing new");

    // The one-click fix through the API: the MX is added, a new id served, the drift gone.
    let (viewer, _) = app.services.create_token(&acme, "ro", "viewer").await.unwrap();
    let (editor, _) = app.services.create_token(&acme, "ci", "editor").await.unwrap();
    let fix = |token: &str| {
        app.send(api(
            "POST",
            &format!("/api/v1/domains/{DOMAIN}/mx-drift/fix"),
            Some(token),
            None,
        ))
    };
    assert_eq!(fix(&viewer).await.status(), StatusCode::FORBIDDEN);
    let res = fix(&editor).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = body_json(res).await;
    assert_eq!(body["added"], json!(["mx2.example.com"]));
    let served = app.services.snapshot.get(DOMAIN).unwrap();
    assert!(
        served.contains("mode: enforce") && served.contains("mx: mx2.example.com"),
        "{served}"
    );
    assert_eq!(
        body["sts_record"]["value"],
        format!("v=STSv1; id={}", body["policy_id"].as_str().unwrap())
    );
    assert!(app.services.mx_drift(&acme, DOMAIN).await.unwrap().is_empty());
    assert_eq!(fix(&editor).await.status(), StatusCode::CONFLICT, "nothing left to fix");

    // The periodic rules: an expiring certificate that fails to renew, too many failures, an id
    // not updated a day after the change. Each once a day.
    app.run_sql(&format!(
            "INSERT INTO certificates (name, domain_id, not_after, next_attempt_at, failures, last_error) \
             SELECT 'mta-sts.example.com', id, {}, 0, 2, 'the CA refused the order' FROM domains WHERE name = 'example.com'",
            now + 5 * 86_400
        ),
    )
    .await;
    app.services
        .ingest_report(None, ReportInput::new(report("r1", 950, 50), Channel::Https))
        .await
        .unwrap();
    app.run_sql(&format!("UPDATE policy_versions SET created_at = {}", now - 2 * 86_400))
        .await;
    assert_eq!(app.services.scan_alerts(now).await.unwrap(), 4);
    assert_eq!(app.services.scan_alerts(now).await.unwrap(), 0);
    let recent = app.services.alert_settings(&acme).await.unwrap().recent;
    assert_eq!(
        kinds(&recent),
        [
            "cert_expiring",
            "dns_error",
            "dns_id_stale",
            "failure_rate",
            "mx_drift",
            "renewal_failed"
        ]
    );
    let detail = |k: &str| recent.iter().find(|a| a.kind == k).unwrap().detail.clone();
    assert!(
        detail("cert_expiring").contains("mta-sts.example.com expires on"),
        "{}",
        detail("cert_expiring")
    );
    assert!(detail("renewal_failed").contains("the CA refused the order"));
    assert!(
        detail("failure_rate").starts_with("5.00 % of 1000 sessions")
            && detail("failure_rate").contains("certificate-expired 50"),
        "{}",
        detail("failure_rate")
    );
    assert!(
        detail("dns_id_stale").contains("v=STSv1; id="),
        "{}",
        detail("dns_id_stale")
    );

    // A failing webhook keeps its alerts; the others are not sent them twice.
    hook.answer(500);
    assert_eq!(app.services.dispatch_alerts(now).await.unwrap(), (1, 2));
    let settings = app.services.alert_settings(&acme).await.unwrap();
    let status = |id: i64| settings.channels.iter().find(|c| c.id == id).unwrap().clone();
    assert_eq!(
        status(webhook.id).last_error.as_deref(),
        Some("the webhook answered HTTP 500")
    );
    assert!(status(email.id).last_error.is_none());
    assert_eq!(
        app.services.dispatch_alerts(now + 60).await.unwrap(),
        (0, 0),
        "waits before retrying"
    );
    hook.answer(200);
    let before = hook.requests().len();
    assert_eq!(
        app.services.dispatch_alerts(now + RETRY_AFTER_SECS + 1).await.unwrap(),
        (2, 0)
    );
    let retried: Value = serde_json::from_str(
        &hook.requests()[before..]
            .iter()
            .find(|p| p.path == "/hook")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(retried["alerts"].as_array().unwrap().len(), 4, "only what it missed");
    assert_eq!(smtp.mails().len(), 2);

    // Test sends, recorded on the channel.
    app.services.test_alert_channel(&acme, webhook.id).await.unwrap();
    let test: Value = serde_json::from_str(&hook.requests().last().unwrap().body).unwrap();
    assert_eq!(test["test"], true);
    hook.answer(503);
    let failed = app.services.test_alert_channel(&acme, webhook.id).await.unwrap_err();
    assert!(failed.to_string().contains("HTTP 503"), "{failed}");
    assert!(matches!(
        app.services.test_alert_channel(&beta, webhook.id).await,
        Err(ServiceError::NotFound)
    ));

    app.services.delete_alert_channel(&acme, slack.id).await.unwrap();
    assert_eq!(app.services.alert_settings(&acme).await.unwrap().channels.len(), 2);
    app.cleanup().await;
}

#[tokio::test]
async fn alerts_on_sqlite() {
    alerts(Kind::Sqlite).await;
}

#[tokio::test]
async fn alerts_on_postgres() {
    alerts(Kind::Postgres).await;
}

/// Session counts summed past bigint no longer fail the failure-rate rule (PostgreSQL refused
/// the cast, and the whole pass with it, so no organisation got any alert); the other rules run.
#[tokio::test]
async fn huge_counts_do_not_stop_the_alert_rules() {
    let app = TestApp::new(Kind::Postgres).await;
    let owner = app.user("owner@acme.example", false).await;
    let acme = app.org("Acme", &owner).await;
    app.proven_domain(&acme, DOMAIN).await;
    for id in ["r1", "r2"] {
        app.services
            .ingest_report(None, ReportInput::new(report(id, 10, 5), Channel::Https))
            .await
            .unwrap();
    }
    app.run_sql("UPDATE tlsrpt_reports SET successful = 9223372036854775807")
        .await;
    let now = portcullis_store::now();
    app.run_sql(&format!(
        "INSERT INTO certificates (name, domain_id, not_after, next_attempt_at, failures) \
         SELECT 'mta-sts.example.com', id, {}, 0, 0 FROM domains WHERE name = 'example.com'",
        now + 5 * 86_400
    ))
    .await;
    assert_eq!(app.services.scan_alerts(now).await.unwrap(), 1);
    let recent = app.services.alert_settings(&acme).await.unwrap().recent;
    assert_eq!(
        kinds(&recent),
        ["cert_expiring"],
        "the rate is tiny: no failure-rate alert"
    );
    app.cleanup().await;
}
