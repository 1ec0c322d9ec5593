//! MX migration plans on SQLite and PostgreSQL: a provider switch in enforce planned through the
//! API, its steps' order, earliest safe moments and progress checked against hand-computed times
//! as the policy versions and DNS checks come in, the replay naming the sessions the switch
//! would refuse, plans that cannot work refused, tenant isolation, and the page without
//! JavaScript.

use crate::common;

use axum::http::StatusCode;
use common::{api, body_json, body_text, location, TestApp};
use portcullis_domain::dns::{Finding, FindingCode, Severity};
use portcullis_domain::{DomainName, Mode, PolicySpec};
use portcullis_service::{Channel, ReportInput, TransitionRequest};
use portcullis_store::testing::Kind;
use portcullis_store::DnsCheckRow;
use serde_json::{json, Value};

const DOMAIN: &str = "alpha.example";
const OLD: &str = "mx.old-provider.example";
const NEW: &str = "mx.new-provider.example";
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// The policy's max_age: two days.
const MAX_AGE: i64 = 2 * DAY;

/// A report of yesterday: 7 certificate-expired sessions to the old MX, 3 validation failures
/// to the new one, 90 successful.
fn report() -> Vec<u8> {
    let day = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    serde_json::to_vec(&json!({
        "organization-name": "google.com",
        "report-id": "plan-1",
        "date-range": {"start-datetime": format!("{day}T00:00:00Z"), "end-datetime": format!("{day}T23:59:59Z")},
        "policies": [{"policy": {"policy-type": "sts", "policy-domain": DOMAIN, "mx-host": [OLD]},
            "summary": {"total-successful-session-count": 90, "total-failure-session-count": 10},
            "failure-details": [
                {"result-type": "certificate-expired", "sending-mta-ip": "192.0.2.9", "receiving-mx-hostname": OLD, "failed-session-count": 7},
                {"result-type": "validation-failure", "sending-mta-ip": "192.0.2.9", "receiving-mx-hostname": NEW, "failed-session-count": 3}
            ]}]
    }))
    .unwrap()
}

fn findings(live: &[&str]) -> String {
    let mut f = vec![Finding::new(
        FindingCode::StsRecordOk,
        Severity::Ok,
        "_mta-sts.alpha.example",
    )];
    f.extend(
        live.iter()
            .map(|h| Finding::new(FindingCode::MxCovered, Severity::Ok, *h)),
    );
    serde_json::to_string(&f).unwrap()
}

fn steps(plan: &Value) -> Vec<(String, String)> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["code"].as_str().unwrap().to_string(),
                s["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn time(v: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .timestamp()
}

async fn plan(kind: Kind) {
    let app = TestApp::new(kind).await;
    let owner = app.user("owner@alpha.example", false).await;
    let alpha = app.org("Alpha", &owner).await;
    app.proven_domain(&alpha, DOMAIN).await;
    let other = app.user("owner@beta.example", false).await;
    let beta = app.org("Beta", &other).await;
    let domain = DomainName::parse(DOMAIN).unwrap();
    let (editor, _) = app.services.create_token(&alpha, "ci", "editor").await.unwrap();
    let (viewer, _) = app.services.create_token(&alpha, "ro", "viewer").await.unwrap();
    let (outsider, _) = app.services.create_token(&beta, "ro", "owner").await.unwrap();
    let url = format!("/api/v1/domains/{DOMAIN}/mx-plan");
    let get = |token: &str| app.send(api("GET", &url, Some(token), None));
    let post = |body: Value, token: &str| app.send(api("POST", &url, Some(token), Some(body)));
    let check = |at: i64, live: &'static [&'static str]| {
        let (app, alpha, domain) = (&app, &alpha, &domain);
        async move {
            let row = DnsCheckRow {
                checked_at: at,
                status: "ok".into(),
                findings: findings(live),
                origin: "user".into(),
            };
            app.db
                .store
                .record_dns_check(alpha, domain, &row, &Default::default())
                .await
                .unwrap();
        }
    };
    let save = |mx: &[&str]| {
        let spec = PolicySpec {
            mode: Mode::Enforce,
            max_age: MAX_AGE as u64,
            mx: mx.iter().map(|m| m.to_string()).collect(),
        };
        let (app, alpha) = (&app, &alpha);
        async move { app.services.save_policy(alpha, DOMAIN, &spec, "owner").await.unwrap() }
    };

    // No policy: nothing to plan.
    let res = post(json!({"add": [NEW]}), &editor).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(body_json(res).await["error"]["message"]
        .as_str()
        .unwrap()
        .contains("write one before planning"));

    // In enforce on the old provider since three weeks ago.
    let spec = PolicySpec {
        mode: Mode::Testing,
        max_age: MAX_AGE as u64,
        mx: vec![OLD.into()],
    };
    app.services.save_policy(&alpha, DOMAIN, &spec, "owner").await.unwrap();
    let request = TransitionRequest {
        to: "enforce".into(),
        confirm: Some(DOMAIN.into()),
        reason: Some("test".into()),
    };
    app.services
        .transition(&alpha, DOMAIN, &request, "owner")
        .await
        .unwrap();
    app.run_sql("UPDATE policy_versions SET created_at = created_at - 21 * 86400")
        .await;
    let now = chrono::Utc::now().timestamp();
    check(now - 20 * DAY, &[OLD]).await;
    app.services
        .ingest_report(None, ReportInput::new(report(), Channel::Https))
        .await
        .unwrap();

    // Plans that cannot work say why; nothing is opened.
    for (body, status, says) in [
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY, "name an MX host"),
        (
            json!({"add": ["bad host"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a valid MX host name",
        ),
        (
            json!({"add": [NEW], "retire": [NEW]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "both added and retired",
        ),
        (
            json!({"retire": [OLD]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "leaves no MX host",
        ),
        (
            json!({"retire": ["mx9.alpha.example"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "nothing to retire",
        ),
        (
            json!({"add": [NEW], "extra": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "extra",
        ),
    ] {
        let res = post(body.clone(), &editor).await;
        assert_eq!(res.status(), status, "{body}");
        let message = body_json(res).await["error"]["message"].as_str().unwrap().to_string();
        assert!(message.contains(says), "{body}: {message}");
    }
    assert_eq!(
        post(json!({"add": [NEW]}), &viewer).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(body_json(get(&viewer).await).await["plan"], Value::Null);

    // The switch, typed in any case with a trailing dot.
    let res = post(json!({"add": ["MX.New-Provider.example."], "retire": [OLD]}), &editor).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let p = body_json(res).await;
    assert_eq!(p["kind"], "switch");
    assert_eq!(p["add"], json!([NEW]));
    assert_eq!(
        steps(&p),
        [
            ("list_new", "ready"),
            ("publish_listed", "blocked"),
            ("change_mx", "blocked"),
            ("unlist_old", "blocked"),
            ("publish_unlisted", "blocked")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(p["steps"][2]["title"], format!("Point MX at {NEW} instead of {OLD}"));
    // Listing the new host now lets the old enforce policy expire two days later.
    let earliest = time(&p["steps"][2]["earliest"]);
    assert!(
        (earliest - (now + MAX_AGE)).abs() < 60,
        "{earliest} vs {}: {p}",
        now + MAX_AGE
    );
    assert_eq!(p["steps"][2]["projected"], true);
    assert!(p["planned_policy"]
        .as_str()
        .unwrap()
        .contains(&format!("mode: enforce\r\nmx: {NEW}\r\n")));
    // The replay: the 7 sessions to the old host are refused because the planned policy drops
    // it, the 3 to the new one for their failed validation.
    assert_eq!(p["replay"]["refused_sessions"], 10);
    assert_eq!(p["replay"]["by_mx"], json!([[OLD, 7], [NEW, 3]]));
    assert_eq!(
        p["replay"]["by_reason"][0][0],
        json!({"kind": "mx-not-in-policy", "mx": OLD})
    );
    // One plan at a time.
    let res = post(json!({"add": ["mx2.alpha.example"]}), &editor).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(body_json(res).await["error"]["message"]
        .as_str()
        .unwrap()
        .contains("already has an open MX plan"));

    // Step 1 three days ago, the id seen an hour later: the old policy, served until then, has
    // left every cache a day ago, so the MX change is ready.
    save(&[OLD, NEW]).await;
    let listed = now - 3 * DAY;
    app.run_sql(&format!(
        "UPDATE policy_versions SET created_at = {listed} WHERE id = (SELECT MAX(id) FROM policy_versions)"
    ))
    .await;
    check(listed + HOUR, &[OLD]).await;
    let p = body_json(get(&viewer).await).await["plan"].clone();
    assert_eq!(
        steps(&p).iter().map(|s| s.1.as_str()).collect::<Vec<_>>(),
        ["done", "done", "ready", "blocked", "blocked"]
    );
    assert_eq!(time(&p["steps"][0]["done_at"]), listed);
    assert_eq!(time(&p["steps"][1]["done_at"]), listed + HOUR);
    assert_eq!(time(&p["steps"][2]["earliest"]), listed + MAX_AGE);
    assert_eq!(p["steps"][2]["projected"], false);

    // The MX moved two hours ago: dropping the old host waits a day for resolvers' caches.
    let moved = now - 2 * HOUR;
    check(moved, &[NEW]).await;
    let p = body_json(get(&viewer).await).await["plan"].clone();
    assert_eq!(
        steps(&p).iter().map(|s| s.1.as_str()).collect::<Vec<_>>(),
        ["done", "done", "done", "waiting", "blocked"]
    );
    assert_eq!(time(&p["steps"][2]["done_at"]), moved);
    assert_eq!(time(&p["steps"][3]["earliest"]), moved + DAY);

    // A day and more later (the checks moved back), the policy drops it and the id is seen.
    app.run_sql(&format!(
        "UPDATE dns_checks SET checked_at = checked_at - 86400 WHERE checked_at = {moved}"
    ))
    .await;
    let p = body_json(get(&viewer).await).await["plan"].clone();
    assert_eq!(p["steps"][3]["state"], "ready");
    save(&[NEW]).await;
    let p = body_json(get(&viewer).await).await["plan"].clone();
    assert_eq!(p["steps"][3]["state"], "done");
    assert_eq!(p["steps"][4]["state"], "ready");
    assert_eq!(p["complete"], false);
    check(chrono::Utc::now().timestamp() + 1, &[NEW]).await;
    let p = body_json(get(&viewer).await).await["plan"].clone();
    assert_eq!(p["complete"], true, "{p}");
    assert_eq!(p["replay"]["by_mx"], json!([[OLD, 7], [NEW, 3]]));

    // Other organisations see nothing; closing needs an editor and records "completed".
    assert_eq!(get(&outsider).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.send(api("DELETE", &url, Some(&outsider), None)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.send(api("DELETE", &url, Some(&viewer), None)).await.status(),
        StatusCode::FORBIDDEN
    );
    let res = app.send(api("DELETE", &url, Some(&editor), None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_json(res).await["outcome"], "completed");
    assert_eq!(body_json(get(&viewer).await).await["plan"], Value::Null);
    assert_eq!(
        app.send(api("DELETE", &url, Some(&editor), None)).await.status(),
        StatusCode::NOT_FOUND
    );

    // The page without JavaScript: the form, a plan opened by posting it, cancelled likewise.
    let b = app.browser(&owner).await;
    let page = body_text(app.send(b.get(&format!("/domains/{DOMAIN}/mx-plan"))).await).await;
    assert!(page.contains("Plan an MX change"), "{page}");
    assert!(page.contains(&format!("{NEW} (DNS check of")), "{page}");
    let res = app
        .send(b.form(
            "/sfn/open_mx_plan",
            &[
                ("csrf", b.csrf.as_str()),
                ("name", DOMAIN),
                ("add", "mx2.alpha.example"),
                ("retire", ""),
            ],
        ))
        .await;
    assert_eq!(location(&res), format!("/domains/{DOMAIN}/mx-plan"));
    let page = body_text(app.send(b.get(&format!("/domains/{DOMAIN}/mx-plan"))).await).await;
    assert!(
        page.contains("MX plan opened for alpha.example. First step: List mx2.alpha.example in the policy."),
        "{page}"
    );
    assert!(page.contains("1. List mx2.alpha.example in the policy"), "{page}");
    assert!(page.contains("3. Add MX records for mx2.alpha.example"), "{page}");
    assert!(page.contains("data-state=\"ready\""), "{page}");
    assert!(page.contains("10 session(s) would have been refused"), "{page}");
    let res = app
        .send(b.form("/sfn/close_mx_plan", &[("csrf", b.csrf.as_str()), ("name", DOMAIN)]))
        .await;
    assert_eq!(location(&res), format!("/domains/{DOMAIN}/mx-plan"));
    let page = body_text(app.send(b.get(&format!("/domains/{DOMAIN}/mx-plan"))).await).await;
    assert!(
        page.contains("The MX plan for alpha.example is closed (cancelled)."),
        "{page}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn mx_plan_on_sqlite() {
    plan(Kind::Sqlite).await;
}

#[tokio::test]
async fn mx_plan_on_postgres() {
    plan(Kind::Postgres).await;
}
