//! Read-only share links on SQLite and PostgreSQL: created, listed and revoked through the API
//! (owners only), opened without signing in (what is shown and what is not), expiry, revocation,
//! and the same "not found" for a random token, a revoked or expired one, and a domain outside
//! the link (another organisation's included).

use crate::common;

use axum::http::StatusCode;
use common::{api, body_json, body_text, Browser, TestApp};
use portcullis_domain::{Mode, PolicySpec};
use portcullis_service::{Channel, ReportInput};
use portcullis_store::testing::Kind;
use serde_json::json;

fn report(domain: &str) -> Vec<u8> {
    let day = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    json!({
        "organization-name": "Sender Inc.",
        "date-range": {"start-datetime": format!("{day}T00:00:00Z"), "end-datetime": format!("{day}T23:59:59Z")},
        "contact-info": "tlsrpt@sender.example",
        "report-id": format!("r-{domain}"),
        "policies": [{
            "policy": {"policy-type": "sts", "policy-string": ["version: STSv1", "mode: testing", "mx: mx.a1.example", "max_age: 86400"], "policy-domain": domain},
            "summary": {"total-successful-session-count": 90, "total-failure-session-count": 10},
            "failure-details": [{"result-type": "certificate-expired", "receiving-mx-hostname": "mx.a1.example", "failed-session-count": 10}]
        }]
    })
    .to_string()
    .into_bytes()
}

/// The page's main content: the rest differs per response (the script nonce).
fn main_of(page: &str) -> String {
    let start = page.find("<main").unwrap_or(0);
    let end = page.find("</main>").unwrap_or(page.len());
    page[start..end].to_string()
}

async fn shares(kind: Kind) {
    let app = TestApp::new(kind).await;
    let owner = app.user("owner@alpha.example", false).await;
    let alpha = app.org("Alpha", &owner).await;
    let other = app.user("owner@beta.example", false).await;
    let beta = app.org("Beta", &other).await;
    for d in ["a1.example", "a2.example"] {
        app.proven_domain(&alpha, d).await;
    }
    app.proven_domain(&beta, "b1.example").await;
    let spec = PolicySpec {
        mode: Mode::Testing,
        max_age: 86_400,
        mx: vec!["mx.a1.example".into()],
    };
    app.services
        .save_policy(&alpha, "a1.example", &spec, "owner")
        .await
        .unwrap();
    for d in ["a1.example", "b1.example"] {
        app.services
            .ingest_report(None, ReportInput::new(report(d), Channel::Https))
            .await
            .unwrap();
    }
    let (owner_token, _) = app.services.create_token(&alpha, "o", "owner").await.unwrap();
    let (viewer_token, _) = app.services.create_token(&alpha, "v", "viewer").await.unwrap();

    // Only owners create links; the domain must be the organisation's own.
    let res = app
        .send(api(
            "POST",
            "/api/v1/share-links",
            Some(&viewer_token),
            Some(json!({"domain": "a1.example"})),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    for body in [
        json!({"domain": "b1.example"}),
        json!({"domain": "not a domain"}),
        json!({"days": 0}),
        json!({"days": 400}),
        json!({"expires_at": "2020-01-01T00:00:00Z"}),
        json!({"days": 3, "expires_at": "2030-01-01T00:00:00Z"}),
        json!({"label": "x".repeat(101)}),
    ] {
        let res = app
            .send(api(
                "POST",
                "/api/v1/share-links",
                Some(&owner_token),
                Some(body.clone()),
            ))
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let res = app
        .send(api(
            "POST",
            "/api/v1/share-links",
            Some(&owner_token),
            Some(json!({"domain": "A1.example", "days": 7, "label": "for the client"})),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let one = body_json(res).await;
    assert_eq!(one["domain"], "a1.example");
    assert_eq!(one["live"], true);
    let one_path = one["path"].as_str().unwrap().to_string();
    assert!(one_path.starts_with("/share/sh_") && one_path.len() > 40, "{one_path}");
    let res = app
        .send(api("POST", "/api/v1/share-links", Some(&owner_token), Some(json!({}))))
        .await;
    let all = body_json(res).await;
    assert_eq!(all["domain"], serde_json::Value::Null);
    let all_path = all["path"].as_str().unwrap().to_string();

    // A one-domain link, opened by anyone: mode, records and report numbers; nothing to edit
    // and no way to another domain.
    let anon = Browser::anonymous();
    let res = app.send(anon.get(&one_path)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-robots-tag"], "noindex, nofollow");
    let page = body_text(res).await;
    assert!(
        page.contains("<meta name=\"robots\" content=\"noindex, nofollow\""),
        "{page}"
    );
    assert!(page.contains("Shared read-only by Alpha"), "{page}");
    assert!(page.contains("<h1>a1.example</h1>"), "{page}");
    assert!(page.contains("badge mode-testing"), "{page}");
    assert!(
        page.contains("1 reports, 90 successful and 10 failed sessions, failure rate 10.00 %"),
        "{page}"
    );
    assert!(page.contains("<svg role=\"img\" class=\"chart\""), "{page}");
    assert!(!page.contains("<form") && !page.contains("a2.example"), "{page}");
    assert!(!page.contains("All domains"), "a one-domain link has no list: {page}");

    // An organisation's link lists its domains and opens each, but not another's.
    let page = body_text(app.send(anon.get(&all_path)).await).await;
    assert!(
        page.contains("data-domain=\"a1.example\"") && page.contains("data-domain=\"a2.example\""),
        "{page}"
    );
    assert!(!page.contains("b1.example"), "{page}");
    let page = body_text(app.send(anon.get(&format!("{all_path}/a2.example"))).await).await;
    assert!(
        page.contains("<h1>a2.example</h1>") && page.contains("No reports in this period."),
        "{page}"
    );

    // Not found, the same page each time: a random token, another organisation's domain under
    // an organisation's link, another domain under a one-domain link.
    let random = app
        .send(anon.get("/share/sh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .await;
    assert_eq!(random.status(), StatusCode::NOT_FOUND);
    let random = main_of(&body_text(random).await);
    assert!(random.contains("data-testid=\"share-not-found\""), "{random}");
    for path in [
        format!("{all_path}/b1.example"),
        format!("{one_path}/a2.example"),
        format!("{all_path}/nonexistent.example"),
    ] {
        let res = app.send(anon.get(&path)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(main_of(&body_text(res).await), random, "{path}");
    }

    // Listed for owners, never with its token; revoked, it opens nothing.
    let res = app
        .send(api("GET", "/api/v1/share-links", Some(&owner_token), None))
        .await;
    let list = body_json(res).await;
    assert_eq!(list["share_links"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains("sh_"), "{list}");
    let id = one["id"].as_i64().unwrap();
    let res = app
        .send(api(
            "DELETE",
            &format!("/api/v1/share-links/{id}"),
            Some(&owner_token),
            None,
        ))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.send(anon.get(&one_path)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(main_of(&body_text(res).await), random);
    let res = app
        .send(api(
            "DELETE",
            &format!("/api/v1/share-links/{id}"),
            Some(&owner_token),
            None,
        ))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "revoked once");
    // Beta's owner cannot revoke Alpha's link.
    let (beta_token, _) = app.services.create_token(&beta, "o", "owner").await.unwrap();
    let all_id = all["id"].as_i64().unwrap();
    let res = app
        .send(api(
            "DELETE",
            &format!("/api/v1/share-links/{all_id}"),
            Some(&beta_token),
            None,
        ))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Expired: the same not-found.
    app.run_sql(&format!("UPDATE share_links SET expires_at = 1000 WHERE id = {all_id}"))
        .await;
    let res = app.send(anon.get(&all_path)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(main_of(&body_text(res).await), random);
    let list = body_json(
        app.send(api("GET", "/api/v1/share-links", Some(&owner_token), None))
            .await,
    )
    .await;
    assert!(
        list["share_links"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["live"] == false),
        "{list}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn share_links_on_sqlite() {
    shares(Kind::Sqlite).await;
}

#[tokio::test]
async fn share_links_on_postgres() {
    shares(Kind::Postgres).await;
}
