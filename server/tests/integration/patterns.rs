//! Patterns across domains on SQLite and PostgreSQL, through the API, the cross-domain page and
//! the numbers worked out by hand; and tenant isolation: a pattern is counted and shown only
//! over the domains the reader can see, so it never names another organisation's domain.

use crate::common;

use axum::http::StatusCode;
use common::{api, body_json, body_text, TestApp};
use portcullis_domain::Role;
use portcullis_service::{Channel, ReportInput};
use portcullis_store::testing::Kind;
use serde_json::json;

/// A report for yesterday from `org` about `domain`: `failed` sessions from `ip` to `mx`.
fn report(org: &str, domain: &str, ip: &str, mx: &str, result: &str, failed: u64) -> Vec<u8> {
    let day = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    json!({
        "organization-name": org,
        "date-range": {"start-datetime": format!("{day}T00:00:00Z"), "end-datetime": format!("{day}T23:59:59Z")},
        "contact-info": "tlsrpt@sender.example",
        "report-id": format!("{org}-{domain}-{ip}"),
        "policies": [{
            "policy": {"policy-type": "sts", "policy-string": ["version: STSv1", "mode: testing", format!("mx: {mx}"), "max_age: 86400"], "policy-domain": domain},
            "summary": {"total-successful-session-count": 100, "total-failure-session-count": failed},
            "failure-details": [{
                "result-type": result,
                "sending-mta-ip": ip,
                "receiving-mx-hostname": mx,
                "failed-session-count": failed
            }]
        }]
    })
    .to_string()
    .into_bytes()
}

async fn patterns(kind: Kind) {
    let app = TestApp::new(kind).await;
    let msp = app.user("msp@example.net", false).await;
    let alpha = app.org("Alpha", &msp).await;
    let beta = app.org("Beta", &msp).await;
    let alice = app.user("alice@alpha.example", false).await;
    app.db.store.set_member(&alpha, &alice, Role::Viewer).await.unwrap();
    let bob = app.user("bob@beta.example", false).await;
    app.db.store.set_member(&beta, &bob, Role::Viewer).await.unwrap();
    for d in ["a1.example", "a2.example", "a3.example"] {
        app.proven_domain(&alpha, d).await;
    }
    for d in ["b1.example", "b2.example"] {
        app.proven_domain(&beta, d).await;
    }
    let outlook = |d: &str| format!("{}.mail.protection.outlook.com", d.replace('.', "-"));
    let mut payloads = Vec::new();
    // Bad Sender fails on a1, a2 (Alpha) and b1 (Beta) from 192.0.2.7, into each domain's
    // Microsoft 365 MX, with an expired certificate: 4 + 5 + 6.
    for (domain, failed) in [("a1.example", 4), ("a2.example", 5), ("b1.example", 6)] {
        payloads.push(report(
            "Bad Sender",
            domain,
            "192.0.2.7",
            &outlook(domain),
            "certificate-expired",
            failed,
        ));
    }
    // A relay 198.51.100.9, shared by three senders, fails on every Alpha domain, into each
    // domain's own MX: 1 + 2 + 3.
    for (sender, domain, failed) in [
        ("Sender 1", "a1.example", 1),
        ("Sender 2", "a2.example", 2),
        ("Sender 3", "a3.example", 3),
    ] {
        payloads.push(report(
            sender,
            domain,
            "198.51.100.9",
            &format!("mx.{domain}"),
            "starttls-not-supported",
            failed,
        ));
    }
    // b2 fails too, but alone.
    payloads.push(report(
        "Other",
        "b2.example",
        "203.0.113.5",
        "mx.b2.example",
        "validation-failure",
        9,
    ));
    for p in payloads {
        app.services
            .ingest_report(None, ReportInput::new(p, Channel::Https))
            .await
            .unwrap();
    }

    // Alpha's token sees Alpha's three domains: the IP on all three is a pattern; Bad Sender and
    // Microsoft 365 fail on two of them only, so they are not, and b1 is never named.
    let (token, _) = app.services.create_token(&alpha, "ro", "viewer").await.unwrap();
    let res = app
        .send(api("GET", "/api/v1/patterns?days=7", Some(&token), None))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = body_json(res).await;
    assert_eq!(body["days"], 7);
    assert_eq!(
        body["patterns"],
        json!([{
            "kind": "sending_ip",
            "key": "198.51.100.9",
            "failed": 6,
            "sender_side": true,
            "domains": [
                {"domain": "a3.example", "failed": 3},
                {"domain": "a2.example", "failed": 2},
                {"domain": "a1.example", "failed": 1}
            ],
            "result_types": []
        }])
    );
    for query in ["days=0", "days=401", "days=week"] {
        let res = app
            .send(api("GET", &format!("/api/v1/patterns?{query}"), Some(&token), None))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }

    // The MSP, member of both, sees the patterns spanning the two organisations on the
    // cross-domain page: Bad Sender (15 on three domains), its IP, and the provider.
    let page = body_text(app.send(app.browser(&msp).await.get("/reports/patterns?days=7")).await).await;
    assert!(page.contains("data-testid=\"patterns-sender\""), "{page}");
    for needle in [
        "<strong>Sending organisation Bad Sender</strong>: 15 failed sessions on 3 domains",
        "<strong>Sending IP 192.0.2.7</strong>: 15 failed sessions on 3 domains: ",
        "<strong>Sending IP 198.51.100.9</strong>: 6 failed sessions on 3 domains",
        "<strong>MX provider mail.protection.outlook.com</strong>: 15 failed sessions on 3 domains (certificate-expired 15)",
        "<a href=\"/domains/b1.example/reports?days=7\">b1.example</a> (6)",
    ] {
        assert!(page.contains(needle), "{needle}\n{page}");
    }
    // Alice (Alpha only) sees the one pattern within Alpha, and nothing of Beta's.
    let page = body_text(
        app.send(app.browser(&alice).await.get("/reports/patterns?days=7"))
            .await,
    )
    .await;
    assert!(page.contains("<strong>Sending IP 198.51.100.9</strong>"), "{page}");
    assert!(!page.contains("Bad Sender</strong>"), "{page}");
    assert!(!page.contains("b1.example") && !page.contains("b2.example"), "{page}");
    // Bob (Beta only) has two domains: no pattern can have three.
    let page = body_text(app.send(app.browser(&bob).await.get("/reports/patterns?days=7")).await).await;
    assert!(!page.contains("<li data-pattern"), "{page}");
    assert!(!page.contains("a1.example"), "{page}");
    app.cleanup().await;
}

#[tokio::test]
async fn patterns_on_sqlite() {
    patterns(Kind::Sqlite).await;
}

#[tokio::test]
async fn patterns_on_postgres() {
    patterns(Kind::Postgres).await;
}
