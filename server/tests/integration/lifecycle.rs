//! Testing → enforce through the API: the readiness gate refuses with the failing items, passes
//! once DNS, time in testing, reports and the replay are in order; rollback, an owner's
//! override (recorded with its reason and the gate), and removal (mode none until the old
//! max_age has passed, then nothing served). On SQLite and PostgreSQL.

use crate::common;

use axum::http::StatusCode;
use common::{api, body_json, TestApp};
use portcullis_domain::dns::{Finding, FindingCode, Severity};
use portcullis_domain::{DomainName, PolicySpec};
use portcullis_service::{Channel, ReportInput};
use portcullis_store::testing::Kind;
use portcullis_store::DnsCheckRow;
use serde_json::json;

const DOMAIN: &str = "alpha.example";

/// A report of yesterday from `org`: `ok` successful sessions and the given failures.
fn report(org: &str, id: &str, ok: i64, failures: &[(&str, &str, i64)]) -> Vec<u8> {
    let day = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    let details: Vec<serde_json::Value> = failures
        .iter()
        .map(|(result, mx, n)| json!({"result-type": result, "sending-mta-ip": "192.0.2.9", "receiving-mx-hostname": mx, "failed-session-count": n}))
        .collect();
    let failed: i64 = failures.iter().map(|f| f.2).sum();
    serde_json::to_vec(&json!({
        "organization-name": org,
        "report-id": id,
        "date-range": {"start-datetime": format!("{day}T00:00:00Z"), "end-datetime": format!("{day}T23:59:59Z")},
        "policies": [{"policy": {"policy-type": "sts", "policy-domain": DOMAIN, "mx-host": ["mx1.alpha.example"]},
            "summary": {"total-successful-session-count": ok, "total-failure-session-count": failed},
            "failure-details": details}]
    }))
    .unwrap()
}

fn all_ok_findings() -> String {
    let f = |code, subject: &str| Finding::new(code, Severity::Ok, subject);
    serde_json::to_string(&vec![
        f(FindingCode::StsRecordOk, "_mta-sts.alpha.example"),
        f(FindingCode::PolicyHostOk, "mta-sts.alpha.example"),
        f(FindingCode::PolicyFetchOk, "mta-sts.alpha.example"),
        f(FindingCode::TlsRptRecordOk, "_smtp._tls.alpha.example"),
        f(FindingCode::MxCovered, "mx1.alpha.example"),
        f(FindingCode::StartTlsOk, "mx1.alpha.example"),
    ])
    .unwrap()
}

fn failing(body: &serde_json::Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["ok"] == false)
        .map(|i| i["code"].as_str().unwrap().to_string())
        .collect()
}

async fn lifecycle(kind: Kind) {
    let app = TestApp::new(kind).await;
    let owner = app.user("owner@alpha.example", false).await;
    let alpha = app.org("Alpha", &owner).await;
    app.proven_domain(&alpha, DOMAIN).await;
    let domain = DomainName::parse(DOMAIN).unwrap();
    let (owner_token, _) = app.services.create_token(&alpha, "ops", "owner").await.unwrap();
    let (editor_token, _) = app.services.create_token(&alpha, "ci", "editor").await.unwrap();
    let (viewer_token, _) = app.services.create_token(&alpha, "ro", "viewer").await.unwrap();
    let get = |path: &str, token: &str| app.send(api("GET", path, Some(token), None));
    let post = |body: serde_json::Value, token: &str| {
        app.send(api(
            "POST",
            &format!("/api/v1/domains/{DOMAIN}/transition"),
            Some(token),
            Some(body),
        ))
    };

    // No policy yet: nothing to move.
    let res = post(json!({"to": "enforce"}), &owner_token).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(body_json(res).await["error"]["message"]
        .as_str()
        .unwrap()
        .contains("has no policy yet"));

    let spec = PolicySpec {
        mode: portcullis_domain::Mode::Testing,
        max_age: 604_800,
        mx: vec!["mx1.alpha.example".into()],
    };
    app.services.save_policy(&alpha, DOMAIN, &spec, "owner").await.unwrap();

    // Fresh in testing: the gate fails on everything but the replay.
    let res = get(&format!("/api/v1/domains/{DOMAIN}/readiness"), &viewer_token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = body_json(res).await;
    assert_eq!(body["ready"], false);
    assert_eq!(body["mode"], "testing");
    assert_eq!(
        failing(&body),
        [
            "dns-checked",
            "sts-record",
            "policy-fetch",
            "tlsrpt-record",
            "mx-covered",
            "mx-certificates",
            "testing-period",
            "reports",
            "failure-rate"
        ]
    );
    let res = post(json!({"to": "enforce"}), &editor_token).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = body_json(res).await;
    assert_eq!(body["error"]["code"], "gate_failed");
    assert_eq!(failing(&body).len(), 9);
    assert!(app.services.snapshot.get(DOMAIN).unwrap().contains("mode: testing"));

    // Make it pass: a clean DNS check, 15 days in testing, 5 reports from 2 senders whose only
    // failures are policy fetches (they refuse nothing).
    app.db
        .store
        .record_dns_check(
            &alpha,
            &domain,
            &DnsCheckRow {
                checked_at: chrono::Utc::now().timestamp() - 600,
                status: "ok".into(),
                findings: all_ok_findings(),
                origin: "user".into(),
            },
            &Default::default(),
        )
        .await
        .unwrap();
    // Fifteen days pass.
    app.run_sql("UPDATE policy_versions SET created_at = created_at - 15 * 86400")
        .await;
    for (i, org) in ["Google Inc.", "Google Inc.", "Google Inc.", "Microsoft", "Microsoft"]
        .iter()
        .enumerate()
    {
        let failures: &[(&str, &str, i64)] = if i == 0 {
            &[("sts-policy-fetch-error", "mx1.alpha.example", 1)]
        } else {
            &[]
        };
        app.services
            .ingest_report(
                None,
                ReportInput::new(report(org, &format!("r{i}"), 20_000, failures), Channel::Https),
            )
            .await
            .unwrap();
    }
    let body = body_json(get(&format!("/api/v1/domains/{DOMAIN}/readiness"), &viewer_token).await).await;
    assert_eq!(failing(&body), Vec::<String>::new(), "{body}");
    assert_eq!(body["ready"], true);
    assert_eq!(body["window"]["reports"], 5);
    assert_eq!(body["replay"]["refused_sessions"], 0);
    assert_eq!(body["replay"]["delivered_despite_failure"], 1);

    // A viewer may not move it; an editor may, with the gate passing.
    let res = post(json!({"to": "enforce"}), &viewer_token).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = post(json!({"to": "enforce", "reason": "two quiet weeks"}), &editor_token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = body_json(res).await;
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("testing"), Some("enforce"))
    );
    assert_eq!(body["overridden"], false);
    let id = body["policy_id"].as_str().unwrap().to_string();
    assert_eq!(body["sts_record"]["name"], "_mta-sts.alpha.example");
    assert_eq!(body["sts_record"]["value"], format!("v=STSv1; id={id}"));
    let served = app.services.snapshot.get(DOMAIN).unwrap();
    assert!(
        served.contains("mode: enforce") && served.contains("mx: mx1.alpha.example"),
        "{served}"
    );
    let res = post(json!({"to": "enforce"}), &editor_token).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // Rollback is immediate, with a new id.
    let res = post(json!({"to": "testing", "reason": "new MX coming"}), &editor_token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = body_json(res).await;
    assert_ne!(body["policy_id"].as_str().unwrap(), id);
    assert!(app.services.snapshot.get(DOMAIN).unwrap().contains("mode: testing"));

    // Back in testing for 0 days, and a sender saw an expired certificate: the gate fails and
    // the replay names who would have been refused.
    app.services
        .ingest_report(
            None,
            ReportInput::new(
                report("Yahoo", "y1", 100, &[("certificate-expired", "mx1.alpha.example", 7)]),
                Channel::Https,
            ),
        )
        .await
        .unwrap();
    let body = body_json(get(&format!("/api/v1/domains/{DOMAIN}/readiness"), &viewer_token).await).await;
    assert_eq!(failing(&body), ["testing-period", "replay"], "{body}");
    assert_eq!(body["replay"]["refused_sessions"], 7);
    assert_eq!(body["replay"]["by_sender"], json!([["Yahoo", 7]]));
    // Overriding needs the exact name, a reason, and an owner.
    let res = post(json!({"to": "enforce", "confirm": "alpha.exampel"}), &owner_token).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = post(json!({"to": "enforce", "confirm": DOMAIN}), &owner_token).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body_json(res).await["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("reason:"));
    let res = post(
        json!({"to": "enforce", "confirm": DOMAIN, "reason": "cert renewed"}),
        &editor_token,
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = post(
        json!({"to": "enforce", "confirm": DOMAIN, "reason": "certificate renewed this morning"}),
        &owner_token,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_json(res).await["overridden"], true);

    // Removal: owners only, confirmed by name; "mode: none" with a short max_age, served until
    // the previous max_age has passed, then not at all.
    let res = post(json!({"to": "none"}), &owner_token).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = post(json!({"to": "none", "confirm": DOMAIN}), &editor_token).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let before = chrono::Utc::now().timestamp();
    let res = post(
        json!({"to": "none", "confirm": DOMAIN, "reason": "moving mail"}),
        &owner_token,
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = body_json(res).await;
    let retire = chrono::DateTime::parse_from_rfc3339(body["retire_at"].as_str().unwrap())
        .unwrap()
        .timestamp();
    assert!((before + 604_800..=before + 604_800 + 5).contains(&retire), "{body}");
    let served = app.services.snapshot.get(DOMAIN).unwrap();
    assert!(
        served.contains("mode: none") && served.contains("max_age: 86400"),
        "{served}"
    );
    app.services.refresh_snapshot().await.unwrap();
    assert!(app.services.snapshot.get(DOMAIN).is_some());
    app.run_sql("UPDATE domains SET policy_retire_at = 1").await;
    app.services.refresh_snapshot().await.unwrap();
    assert!(app.services.snapshot.get(DOMAIN).is_none());
    let body = body_json(get(&format!("/api/v1/domains/{DOMAIN}/readiness"), &viewer_token).await).await;
    assert_eq!(body["mode"], "unconfigured");

    // The history, newest first.
    let body = body_json(get(&format!("/api/v1/domains/{DOMAIN}/history"), &viewer_token).await).await;
    let steps: Vec<(String, String, bool, String)> = body["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["from"].as_str().unwrap().to_string(),
                t["to"].as_str().unwrap().to_string(),
                t["overridden"].as_bool().unwrap(),
                t["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let step = |f: &str, t: &str, o: bool, r: &str| (f.to_string(), t.to_string(), o, r.to_string());
    assert_eq!(
        steps,
        [
            step("enforce", "none", false, "moving mail"),
            step("testing", "enforce", true, "certificate renewed this morning"),
            step("enforce", "testing", false, "new MX coming"),
            step("testing", "enforce", false, "two quiet weeks"),
            step("unconfigured", "testing", false, "first policy"),
        ]
    );
    let recorded = app.services.transitions(&alpha, DOMAIN).await.unwrap();
    let gate: serde_json::Value = serde_json::from_str(recorded[1].gate.as_deref().unwrap()).unwrap();
    assert!(gate
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["code"] == "replay" && i["ok"] == false));
    app.cleanup().await;
}

#[tokio::test]
async fn lifecycle_sqlite() {
    lifecycle(Kind::Sqlite).await;
}

#[tokio::test]
async fn lifecycle_postgres() {
    lifecycle(Kind::Postgres).await;
}

/// The same through the command line: readiness (exit 3 when not ready), a refused transition
/// (exit 4, the failing items on stderr), an override, and the history.
#[tokio::test]
async fn lifecycle_cli() {
    let app = TestApp::new(Kind::Sqlite).await;
    let owner = app.user("owner@alpha.example", false).await;
    let alpha = app.org("Alpha", &owner).await;
    app.proven_domain(&alpha, DOMAIN).await;
    let spec = PolicySpec {
        mode: portcullis_domain::Mode::Testing,
        max_age: 86_400,
        mx: vec!["mx1.alpha.example".into()],
    };
    app.services.save_policy(&alpha, DOMAIN, &spec, "owner").await.unwrap();
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(args)
            .env("PORTCULLIS_DATABASE_URL", &app.db.url)
            .env("PORTCULLIS_LOG", "warn")
            .output()
            .unwrap()
    };
    let out = cli(&["domain", "readiness", DOMAIN]);
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("FAIL\tdns-checked\tNever checked: run a DNS check.\n"),
        "{stdout}"
    );
    assert!(stdout.contains("ok\treplay\t"), "{stdout}");

    let out = cli(&["domain", "transition", DOMAIN, "--to", "enforce"]);
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("FAIL\ttesting-period\t0 of 14 days in testing"),
        "{stderr}"
    );
    assert!(
        app.services.snapshot.get(DOMAIN).is_none() || !app.services.snapshot.get(DOMAIN).unwrap().contains("enforce")
    );

    let out = cli(&[
        "domain",
        "transition",
        DOMAIN,
        "--to",
        "enforce",
        "--confirm",
        DOMAIN,
        "--reason",
        "lab domain",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let current = app
        .services
        .policy_state(&alpha, DOMAIN)
        .await
        .unwrap()
        .current
        .unwrap();
    assert_eq!(
        (current.policy_id.as_str(), current.mode.as_str()),
        (id.as_str(), "enforce")
    );

    let out = cli(&["domain", "history", DOMAIN]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].ends_with(&format!(
            "\ttesting\tenforce (gate overridden)\tcommand line\t{id}\tlab domain"
        )),
        "{stdout}"
    );
    assert!(lines[1].contains("\tunconfigured\ttesting\towner\t"), "{stdout}");
    app.cleanup().await;
}
