//! `GET /api/v1/domains/{name}/tlsrpt/summary` on SQLite and PostgreSQL: the documented JSON
//! shape with the numbers the reports hold, CSV export, the default period, bad parameters, and
//! tenant isolation.

use crate::common;

use common::fixture;

use axum::http::{header, StatusCode};
use common::{api, body_json, body_text, TestApp};
use portcullis_service::{Channel, ReportInput};
use portcullis_store::testing::Kind;
use serde_json::json;

async fn summary_api(kind: Kind) {
    let app = TestApp::new(kind).await;
    let owner = app.user("owner@alpha.example", false).await;
    let alpha = app.org("Alpha", &owner).await;
    app.proven_domain(&alpha, "alpha.example").await;
    let other = app.user("owner@beta.example", false).await;
    let beta = app.org("Beta", &other).await;
    app.proven_domain(&beta, "beta.example").await;
    for file in [
        "good/rfc-shape.json",
        "good/two-domains.json",
        "good/mx-host-string.json",
    ] {
        let input = ReportInput::new(fixture(file), Channel::Https);
        app.services.ingest_report(None, input).await.unwrap();
    }
    let (token, _) = app.services.create_token(&alpha, "ro", "viewer").await.unwrap();
    let (beta_token, _) = app.services.create_token(&beta, "ro", "viewer").await.unwrap();
    let get = |path: &str, t: &str| api("GET", path, Some(t), None);
    let base = "/api/v1/domains/alpha.example/tlsrpt/summary";

    // 20 Nov: rfc-shape (5326 / 303); 22 Nov: mx-host-string (7 / 1); 26 Nov: two-domains (10 / 1).
    let res = app
        .send(get(
            &format!("{base}?from=2026-11-20&to=2026-11-26&group_by=result_type"),
            &token,
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = body_json(res).await;
    assert_eq!(body["from"], "2026-11-20");
    assert_eq!(body["to"], "2026-11-26");
    assert_eq!(body["group_by"], "result_type");
    assert_eq!(
        (body["successful"].as_i64(), body["failed"].as_i64()),
        (Some(5343), Some(305))
    );
    assert_eq!(
        body["groups"],
        json!([
            {"key": "starttls-not-supported", "successful": null, "failed": 200},
            {"key": "certificate-expired", "successful": null, "failed": 100},
            {"key": "validation-failure", "successful": null, "failed": 3},
            {"key": "certificate-host-mismatch", "successful": null, "failed": 1},
            {"key": "sts-policy-fetch-error", "successful": null, "failed": 1},
        ])
    );

    let res = app
        .send(get(
            &format!("{base}?from=2026-11-20&to=2026-11-22&group_by=day"),
            &token,
        ))
        .await;
    let body = body_json(res).await;
    assert_eq!(
        body["groups"],
        json!([
            {"key": "2026-11-20", "successful": 5326, "failed": 303},
            {"key": "2026-11-21", "successful": 0, "failed": 0},
            {"key": "2026-11-22", "successful": 7, "failed": 1},
        ])
    );

    // CSV: the same numbers, as a download.
    let res = app
        .send(get(
            &format!("{base}?from=2026-11-20&to=2026-11-26&group_by=organization&format=csv"),
            &token,
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(res.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("alpha.example-tlsrpt-organization-2026-11-20-2026-11-26.csv"));
    assert_eq!(
        body_text(res).await,
        "key,successful,failed\r\nExample Sender Inc.,5336,304\r\nLegacy Sender,7,1\r\n"
    );
    let res = app
        .send(get(&format!("{base}?from=2026-11-20&to=2026-11-20&format=csv"), &token))
        .await;
    assert_eq!(body_text(res).await, "key,successful,failed\r\ntotal,5326,303\r\n");

    // Without dates: the last 30 days up to today.
    let res = app.send(get(base, &token)).await;
    let body = body_json(res).await;
    let today = chrono::Utc::now().date_naive();
    assert_eq!(body["to"], today.to_string());
    assert_eq!(body["from"], (today - chrono::Days::new(29)).to_string());
    assert_eq!(body["groups"], json!([]));

    // Bad parameters say which and why.
    for (query, field) in [
        ("from=20-11-2026", "from"),
        ("from=2026-11-27&to=2026-11-20", "from"),
        ("from=2024-01-01&to=2026-11-20", "to"),
        ("group_by=colour", "group_by"),
        ("format=xml", "format"),
    ] {
        let res = app.send(get(&format!("{base}?{query}"), &token)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let body = body_json(res).await;
        assert!(
            body["error"]["message"].as_str().unwrap().starts_with(field),
            "{query}: {body}"
        );
    }

    // Another organisation's token cannot read it; no token at all is refused.
    let res = app.send(get(&format!("{base}?group_by=day"), &beta_token)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.send(api("GET", base, None, None)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .send(get(
            "/api/v1/domains/beta.example/tlsrpt/summary?from=2026-11-26&to=2026-11-26",
            &beta_token,
        ))
        .await;
    let body = body_json(res).await;
    assert_eq!(
        (body["successful"].as_i64(), body["failed"].as_i64()),
        (Some(20), Some(2))
    );
    app.cleanup().await;
}

#[tokio::test]
async fn summary_api_sqlite() {
    summary_api(Kind::Sqlite).await;
}

#[tokio::test]
async fn summary_api_postgres() {
    summary_api(Kind::Postgres).await;
}
