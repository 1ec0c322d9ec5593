//! Tenant isolation, on SQLite and PostgreSQL: a viewer of organisation B gets "not found" or
//! "forbidden" for every domain route of organisation A, through the dashboard's server
//! functions, its pages and the REST API; and A's data is unchanged afterwards.

use crate::common;

use axum::http::StatusCode;
use common::*;
use portcullis_store::testing::Kind;

async fn viewer_of_b_cannot_reach_a(kind: Kind) {
    let app = TestApp::new(kind).await;
    let alice = app.user("alice@example.com", false).await;
    let bob = app.user("bob@example.com", false).await;
    let admin = app.user("admin@example.com", true).await;
    let a = app.org("Alpha", &alice).await;
    let b = app.org("Beta", &admin).await;
    app.db
        .store
        .set_member(&b, &bob, portcullis_domain::Role::Viewer)
        .await
        .unwrap();
    app.proven_domain(&a, "secret-a.example").await;
    app.proven_domain(&b, "beta.example").await;
    let spec = portcullis_domain::PolicySpec {
        mode: portcullis_domain::Mode::Testing,
        max_age: 86_400,
        mx: vec!["mx.secret-a.example".into()],
    };
    let a_policy = match app
        .services
        .save_policy(&a, "secret-a.example", &spec, "alice")
        .await
        .unwrap()
    {
        portcullis_store::SaveOutcome::Saved(v) => v,
        other => panic!("{other:?}"),
    };
    let bob_b = app.services.org_access(&bob, "beta").await.unwrap();
    let (bob_token, _) = app.services.create_token(&b, "bob", "viewer").await.unwrap();
    let web = app.browser(&bob).await;
    let csrf = web.csrf.as_str();

    // Server functions, as a script would call them (JSON status codes).
    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/sfn/get_domain", vec![("name", "secret-a.example")]),
        ("/sfn/delete_domain", vec![("csrf", csrf), ("name", "secret-a.example")]),
        (
            "/sfn/add_domain",
            vec![("csrf", csrf), ("org", "alpha"), ("name", "new.example")],
        ),
        (
            "/sfn/bulk_add_domains",
            vec![("csrf", csrf), ("org", "alpha"), ("text", "new.example")],
        ),
        ("/sfn/list_domains", vec![("org", "alpha")]),
        ("/sfn/get_org", vec![("slug", "alpha")]),
        ("/sfn/get_policy", vec![("name", "secret-a.example")]),
        (
            "/sfn/get_policy_version",
            vec![("name", "secret-a.example"), ("id", a_policy.policy_id.as_str())],
        ),
        ("/sfn/propose_policy", vec![("name", "secret-a.example")]),
        (
            "/sfn/save_policy",
            vec![
                ("csrf", csrf),
                ("name", "secret-a.example"),
                ("mode", "none"),
                ("max_age", "60"),
                ("mx", ""),
            ],
        ),
        (
            "/sfn/create_token",
            vec![("csrf", csrf), ("org", "alpha"), ("name", "x"), ("role", "viewer")],
        ),
        (
            "/sfn/add_member",
            vec![
                ("csrf", csrf),
                ("org", "alpha"),
                ("email", "bob@example.com"),
                ("role", "owner"),
            ],
        ),
    ];
    for (path, fields) in &calls {
        let res = app.send(web.form_json(path, fields)).await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{path} must not reveal organisation A"
        );
    }
    // Within B, bob's viewer role is read-only.
    for (path, fields) in [
        (
            "/sfn/add_domain",
            vec![("csrf", csrf), ("org", "beta"), ("name", "new.example")],
        ),
        ("/sfn/delete_domain", vec![("csrf", csrf), ("name", "beta.example")]),
        (
            "/sfn/create_token",
            vec![("csrf", csrf), ("org", "beta"), ("name", "x"), ("role", "viewer")],
        ),
        (
            "/sfn/save_policy",
            vec![
                ("csrf", csrf),
                ("name", "beta.example"),
                ("mode", "testing"),
                ("max_age", "86400"),
                ("mx", "mx.beta.example"),
            ],
        ),
    ] {
        let res = app.send(web.form_json(path, &fields)).await;
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{path}: viewers cannot change anything"
        );
    }

    // Pages.
    let html = body_text(app.send(web.get("/domains/secret-a.example")).await).await;
    assert!(html.contains("Not found") && !html.contains("Alpha"));
    let html = body_text(app.send(web.get("/")).await).await;
    assert!(html.contains("beta.example") && !html.contains("secret-a.example"));
    let html = body_text(app.send(web.get("/?q=secret")).await).await;
    assert!(!html.contains("secret-a.example"));
    for page in [
        "/domains/secret-a.example/policy".to_string(),
        format!("/domains/secret-a.example/policy/versions/{}", a_policy.policy_id),
    ] {
        let html = body_text(app.send(web.get(&page)).await).await;
        assert!(
            html.contains("Not found") && !html.contains("mx.secret-a.example"),
            "{page}"
        );
    }
    let html = body_text(app.send(web.get("/orgs/alpha")).await).await;
    assert!(html.contains("Not found") && !html.contains("alice@example.com"));

    // REST API with B's viewer token.
    for (method, path) in [
        ("GET", "/api/v1/domains/secret-a.example"),
        ("DELETE", "/api/v1/domains/secret-a.example"),
        ("GET", "/api/v1/domains/secret-a.example/policy"),
        ("PUT", "/api/v1/domains/secret-a.example/policy"),
        ("GET", "/api/v1/domains/secret-a.example/policy/versions"),
        ("GET", "/api/v1/domains/secret-a.example/policy/mx"),
    ] {
        let body = (method == "PUT").then(|| serde_json::json!({"mode": "none", "max_age": 60}));
        let status = app.send(api(method, path, Some(&bob_token), body)).await.status();
        assert!(
            matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{method} {path}: {status}"
        );
    }
    let list = body_json(
        app.send(api("GET", "/api/v1/domains?q=secret", Some(&bob_token), None))
            .await,
    )
    .await;
    assert_eq!(list["total"], 0);

    // Nothing of A changed; B's own data is still readable to bob.
    assert_eq!(
        app.services.served_policy("secret-a.example").as_deref(),
        Some(a_policy.body.as_str())
    );
    let alice_a = app.services.org_access(&alice, "alpha").await.unwrap();
    let a_list = app
        .services
        .list_domains_in(std::slice::from_ref(&alice_a), None, 1)
        .await
        .unwrap();
    assert_eq!(
        a_list.rows.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["secret-a.example"]
    );
    assert_eq!(app.services.members(&alice_a).await.unwrap().len(), 1);
    assert!(app.services.tokens(&alice_a).await.unwrap().is_empty());
    assert_eq!(
        app.services.domain_in(&bob_b, "beta.example").await.unwrap().name,
        "beta.example"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn viewer_of_b_cannot_reach_a_on_sqlite() {
    viewer_of_b_cannot_reach_a(Kind::Sqlite).await;
}

#[tokio::test]
async fn viewer_of_b_cannot_reach_a_on_postgres() {
    viewer_of_b_cannot_reach_a(Kind::Postgres).await;
}
