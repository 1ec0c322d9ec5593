//! The sender policy tracker on SQLite and PostgreSQL: `GET /api/v1/domains/{name}/senders` and
//! the page, over reports whose policy strings match stored versions, match none, and show a
//! policy change picked up by one sender and not another. Every number is worked out by hand
//! in the comments.

use crate::common;

use axum::http::StatusCode;
use common::{api, body_json, body_text, TestApp};
use portcullis_domain::{Mode, PolicySpec};
use portcullis_service::{Channel, ReportInput};
use portcullis_store::testing::Kind;
use portcullis_store::SaveOutcome;
use serde_json::json;

/// 2026-11-01 00:00 UTC.
const NOV_1: i64 = 1_793_491_200;
const DAY: i64 = 86_400;

fn policy_string(mode: &str, mx: &[&str]) -> Vec<String> {
    let mut lines = vec!["version: STSv1".to_string(), format!("mode: {mode}")];
    lines.extend(mx.iter().map(|m| format!("mx: {m}")));
    lines.push("max_age: 604800".into());
    lines
}

/// A daily report from `org` for 2026-11-`day` about `domain`, applying `policy`, with `ok`
/// successful and `failed` failed sessions, and a `no-policy-found` block the tracker ignores.
fn report(org: &str, day: u32, domain: &str, policy: Vec<String>, ok: u64, failed: u64) -> Vec<u8> {
    json!({
        "organization-name": org,
        "date-range": {
            "start-datetime": format!("2026-11-{day:02}T00:00:00Z"),
            "end-datetime": format!("2026-11-{:02}T00:00:00Z", day + 1),
        },
        "contact-info": format!("tlsrpt@{org}"),
        "report-id": format!("{org}-{domain}-{day}"),
        "policies": [
            {
                "policy": {"policy-type": "sts", "policy-string": policy, "policy-domain": domain},
                "summary": {"total-successful-session-count": ok, "total-failure-session-count": failed}
            },
            {
                "policy": {"policy-type": "no-policy-found", "policy-domain": domain},
                "summary": {"total-successful-session-count": 1000, "total-failure-session-count": 0}
            }
        ]
    })
    .to_string()
    .into_bytes()
}

async fn tracker(kind: Kind) {
    let app = TestApp::new(kind).await;
    let owner = app.user("owner@alpha.example", false).await;
    let alpha = app.org("Alpha", &owner).await;
    app.proven_domain(&alpha, "alpha.example").await;
    let other = app.user("owner@beta.example", false).await;
    let beta = app.org("Beta", &other).await;
    app.proven_domain(&beta, "beta.example").await;

    // v1 lists one MX; v2 (still testing) adds a second: a policy change senders must pick up.
    let save = |mx: &'static [&'static str]| {
        let app = &app;
        let alpha = &alpha;
        async move {
            let spec = PolicySpec {
                mode: Mode::Testing,
                max_age: 604_800,
                mx: mx.iter().map(|m| m.to_string()).collect(),
            };
            match app
                .services
                .save_policy(alpha, "alpha.example", &spec, "owner")
                .await
                .unwrap()
            {
                SaveOutcome::Saved(v) => v.policy_id,
                other => panic!("{other:?}"),
            }
        }
    };
    let v1 = save(&["mx1.alpha.example"]).await;
    let v2 = save(&["mx1.alpha.example", "*.mx.alpha.example"]).await;
    // v1 saved on 1 Nov, v2 on 10 Nov at 12:00.
    app.run_sql(&format!(
        "UPDATE policy_versions SET created_at = {NOV_1} WHERE policy_id = '{v1}'"
    ))
    .await;
    let v2_at = NOV_1 + 9 * DAY + 12 * 3_600;
    app.run_sql(&format!(
        "UPDATE policy_versions SET created_at = {v2_at} WHERE policy_id = '{v2}'"
    ))
    .await;

    let old = policy_string("testing", &["mx1.alpha.example"]);
    // v2 as another sender writes it: other order, other case.
    let new = vec![
        "version: STSv1".to_string(),
        "mx: *.MX.alpha.example".into(),
        "max_age: 604800".into(),
        "mode: testing".into(),
        "mx: mx1.alpha.example".into(),
    ];
    let mut payloads = Vec::new();
    for day in 6..=14 {
        // google.com applies v1 up to 10 Nov, v2 from 11 Nov: 100 sessions a day.
        let applied = if day <= 10 { old.clone() } else { new.clone() };
        payloads.push(report("google.com", day, "alpha.example", applied, 98, 2));
        // microsoft.com keeps v1: 10 sessions a day.
        payloads.push(report("microsoft.com", day, "alpha.example", old.clone(), 9, 1));
    }
    // A policy never saved here (perhaps from the domain's previous host).
    payloads.push(report(
        "other.example",
        13,
        "alpha.example",
        policy_string("enforce", &["mail.other.example"]),
        5,
        0,
    ));
    // Another organisation's domain, reported by the same sender.
    payloads.push(report("google.com", 12, "beta.example", old.clone(), 50, 0));
    for payload in payloads {
        app.services
            .ingest_report(None, ReportInput::new(payload, Channel::Https))
            .await
            .unwrap();
    }

    let (token, _) = app.services.create_token(&alpha, "ro", "viewer").await.unwrap();
    let (beta_token, _) = app.services.create_token(&beta, "ro", "viewer").await.unwrap();
    let base = "/api/v1/domains/alpha.example/senders";
    let res = app
        .send(api(
            "GET",
            &format!("{base}?from=2026-11-01&to=2026-11-30"),
            Some(&token),
            None,
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = body_json(res).await;
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("2026-11-01"), Some("2026-11-30"))
    );
    assert_eq!(body["served"]["policy_id"], v2.as_str());
    assert_eq!(body["served"]["mode"], "testing");
    let senders = body["senders"].as_array().unwrap();
    let names: Vec<&str> = senders.iter().map(|s| s["organization"].as_str().unwrap()).collect();
    // Ranked by sessions since each applies its current policy: google 4 days × 100 = 400,
    // microsoft 9 × 10 = 90, other 5.
    assert_eq!(names, ["google.com", "microsoft.com", "other.example"]);

    let google = &senders[0];
    assert_eq!(google["policy_id"], v2.as_str());
    assert_eq!(google["mode"], "testing");
    assert_eq!(google["adoption"], "current");
    assert_eq!(google["since"], "2026-11-11T00:00:00+00:00");
    assert_eq!(google["sessions"], 400);
    // Saved 10 Nov 12:00; the first report applying it ends 12 Nov 00:00: 36 hours.
    assert_eq!(google["picked_up_within_seconds"], 36 * 3_600);
    let runs = google["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["policy_id"], v1.as_str());
    assert_eq!(runs[0]["sessions"], 500, "5 days × 100");
    assert_eq!(
        (runs[0]["from"].as_str(), runs[0]["to"].as_str()),
        (Some("2026-11-06T00:00:00+00:00"), Some("2026-11-11T00:00:00+00:00"))
    );

    let microsoft = &senders[1];
    assert_eq!(microsoft["policy_id"], v1.as_str());
    assert_eq!(microsoft["mode"], "testing");
    assert_eq!(microsoft["adoption"], "older");
    assert_eq!(microsoft["since"], "2026-11-06T00:00:00+00:00");
    assert_eq!(microsoft["sessions"], 90);
    assert_eq!(microsoft["picked_up_within_seconds"], serde_json::Value::Null);

    let unknown = &senders[2];
    assert_eq!(unknown["policy_id"], serde_json::Value::Null);
    assert_eq!(unknown["mode"], "enforce");
    assert_eq!(unknown["adoption"], "unknown");
    assert_eq!(unknown["sessions"], 5);
    assert_eq!(unknown["runs"][0]["policy_string"][2], "mx: mail.other.example");

    // A shorter period sees only what falls in it: google from 12 Nov applies v2 throughout
    // (3 days × 100), so no pick-up time; other.example's report (13 Nov) is in, microsoft's 3.
    let res = app
        .send(api(
            "GET",
            &format!("{base}?from=2026-11-12&to=2026-11-14"),
            Some(&token),
            None,
        ))
        .await;
    let body = body_json(res).await;
    let google = &body["senders"][0];
    assert_eq!(
        (google["organization"].as_str(), google["sessions"].as_i64()),
        (Some("google.com"), Some(300))
    );
    assert_eq!(google["picked_up_within_seconds"], serde_json::Value::Null);
    assert_eq!(google["runs"].as_array().unwrap().len(), 1);
    assert_eq!(body["senders"][1]["sessions"], 30);

    // Bad periods are refused with the field named.
    for query in [
        "days=0",
        "days=401",
        "days=many",
        "from=2026-13-01",
        "from=2026-11-10&to=2026-11-01",
    ] {
        let res = app
            .send(api("GET", &format!("{base}?{query}"), Some(&token), None))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }

    // Tenant isolation: Beta's token cannot read Alpha's senders, and Beta's own view holds
    // only its own domain's report.
    let res = app.send(api("GET", base, Some(&beta_token), None)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .send(api(
            "GET",
            "/api/v1/domains/beta.example/senders?from=2026-11-01&to=2026-11-30",
            Some(&beta_token),
            None,
        ))
        .await;
    let body = body_json(res).await;
    assert_eq!(body["senders"].as_array().unwrap().len(), 1);
    assert_eq!(body["senders"][0]["sessions"], 50);
    assert_eq!(body["served"], serde_json::Value::Null);
    assert_eq!(body["senders"][0]["adoption"], "unknown");

    // The page, as a browser without JavaScript sees it.
    let browser = app.browser(&owner).await;
    let page = body_text(
        app.send(browser.get("/domains/alpha.example/senders?from=2026-11-01&to=2026-11-30"))
            .await,
    )
    .await;
    assert!(page.contains("1 of 3 sender(s) apply the served policy"), "{page}");
    assert!(
        page.contains("Still applying another policy: microsoft.com, other.example."),
        "{page}"
    );
    assert!(
        page.contains("data-sender=\"google.com\" data-adoption=\"current\""),
        "{page}"
    );
    assert!(page.contains("data-sender=\"microsoft.com\" data-adoption=\"older\""));
    assert!(page.contains("36 hours"), "{page}");
    assert!(page.contains("google.com applies "), "chart description: {page}");
    assert!(page.contains("<svg role=\"img\" class=\"chart\""));
    let stranger = app.browser(&other).await;
    let res = app.send(stranger.get("/domains/alpha.example/senders")).await;
    let text = body_text(res).await;
    assert!(!text.contains("microsoft.com"), "{text}");
    app.cleanup().await;
}

#[tokio::test]
async fn sender_tracker_on_sqlite() {
    tracker(Kind::Sqlite).await;
}

#[tokio::test]
async fn sender_tracker_on_postgres() {
    tracker(Kind::Postgres).await;
}
