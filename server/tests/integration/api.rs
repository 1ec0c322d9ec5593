//! The REST API through the real router: bearer tokens, JSON shapes and errors, roles.

use crate::common;

use axum::http::{header, StatusCode};
use common::*;
use portcullis_store::testing::Kind;
use serde_json::json;
use tower::ServiceExt;

#[tokio::test]
async fn domains_api_speaks_json_with_clear_errors() {
    let app = TestApp::new(Kind::Sqlite).await;
    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    let (editor, _) = app.services.create_token(&org, "ci", "editor").await.unwrap();
    let (viewer, _) = app.services.create_token(&org, "ro", "viewer").await.unwrap();
    let t = Some(editor.as_str());

    let res = app
        .send(api(
            "POST",
            "/api/v1/domains",
            t,
            Some(json!({"name": "Bücher.Example."})),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body = body_json(res).await;
    assert_eq!(body["name"], "xn--bcher-kva.example");
    assert_eq!(body["unicode"], "bücher.example");
    assert_eq!(body["organization"], "alpha");
    assert_eq!(body["mode"], serde_json::Value::Null);
    // A new registration is not proven; the record that proves it names this registration's token.
    let proof = &body["proof"];
    assert_eq!(
        (proof["proven"].as_bool(), proof["dns_setup"].as_str()),
        (Some(false), Some("manual"))
    );
    assert_eq!(proof["record"]["name"], "_portcullis-challenge.xn--bcher-kva.example");
    let value = proof["record"]["value"].as_str().unwrap();
    assert!(
        value.starts_with("portcullis-proof=") && value.len() == 17 + 32,
        "{value}"
    );
    let operator = portcullis_service::Operator::new(app.db.store.clone());
    app.services
        .prove_as_operator(&operator, "bücher.example")
        .await
        .unwrap();
    let shown = body_json(
        app.send(api("GET", "/api/v1/domains/xn--bcher-kva.example", t, None))
            .await,
    )
    .await;
    assert_eq!(shown["proof"]["proven"], true);
    assert_eq!(shown["proof"]["proven_by"], "operator");
    assert!(shown["proof"]["proven_at"].is_string());

    let res = app
        .send(api(
            "POST",
            "/api/v1/domains",
            t,
            Some(json!({"name": "xn--bcher-kva.example"})),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(body_json(res).await["error"]["code"], "conflict");

    let res = app
        .send(api("POST", "/api/v1/domains", t, Some(json!({"name": "192.0.2.1"}))))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err = body_json(res).await;
    assert_eq!(err["error"]["code"], "invalid");
    assert!(err["error"]["message"].as_str().unwrap().contains("IP address"));

    let mut bad = api("POST", "/api/v1/domains", t, None);
    *bad.body_mut() = axum::body::Body::from("{\"name\": ");
    bad.headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    let res = app.send(bad).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(body_json(res).await["error"]["message"]
        .as_str()
        .unwrap()
        .contains("malformed JSON"));

    let mut text = api("POST", "/api/v1/domains", t, None);
    *text.body_mut() = axum::body::Body::from("name=example.com");
    text.headers_mut()
        .insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
    assert_eq!(app.send(text).await.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let huge = json!({"name": "a".repeat(100_000)});
    assert_eq!(
        app.send(api("POST", "/api/v1/domains", t, Some(huge))).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );

    let res = app
        .send(api(
            "POST",
            "/api/v1/domains",
            Some(&viewer),
            Some(json!({"name": "viewer.example"})),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let res = app.send(api("GET", "/api/v1/domains", Some(&viewer), None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let list = body_json(res).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["domains"][0]["name"], "xn--bcher-kva.example");

    let res = app
        .send(api("GET", "/api/v1/domains/xn--bcher-kva.example", Some(&viewer), None))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.send(api(
            "DELETE",
            "/api/v1/domains/xn--bcher-kva.example",
            Some(&viewer),
            None
        ))
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.send(api("DELETE", "/api/v1/domains/xn--bcher-kva.example", t, None))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let res = app
        .send(api("GET", "/api/v1/domains/xn--bcher-kva.example", t, None))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(res).await["error"]["code"], "not_found");

    let res = app.send(api("GET", "/api/v1/domains", None, None)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(res).await["error"]["code"], "unauthenticated");
    assert_eq!(
        app.send(api("GET", "/api/v1/domains", Some("pc_forged"), None))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app.send(api("GET", "/api/v1/nothing", t, None)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(body_json(res).await["error"]["code"], "not_found");
    app.cleanup().await;
}

#[tokio::test]
async fn openapi_document_describes_the_domain_endpoints() {
    let app = TestApp::new(Kind::Sqlite).await;
    let res = app
        .router
        .clone()
        .oneshot(api("GET", "/api/v1/openapi.json", None, None))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc = body_json(res).await;
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/domains",
        "/domains/{name}",
        "/domains/{name}/policy",
        "/domains/{name}/policy/versions",
        "/domains/{name}/policy/mx",
        "/domains/{name}/dns",
        "/domains/{name}/dns/check",
        "/domains/{name}/tlsrpt/summary",
        "/domains/{name}/readiness",
        "/domains/{name}/transition",
        "/domains/{name}/history",
        "/domains/{name}/mx-drift/fix",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    // Every schema a path refers to is defined.
    let text = doc.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = &reference[..reference.find('"').unwrap()];
        assert!(doc["components"]["schemas"][name].is_object(), "schema {name} defined");
    }
    assert!(doc["paths"]["/domains/{name}/transition"]["post"]["responses"]["409"].is_object());
    // Every documented operation is served: without a token it is refused as unauthorised, not
    // answered by the fallback (404) or as a wrong method (405).
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            let uri = format!("/api/v1{}", path.replace("{name}", "example.com"));
            let res = app
                .router
                .clone()
                .oneshot(api(&method.to_uppercase(), &uri, None, None))
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        }
    }
    assert!(doc["paths"]["/domains"]["post"]["responses"]["409"].is_object());
    assert!(doc["paths"]["/domains/{name}/policy"]["put"]["responses"]["422"].is_object());
    app.cleanup().await;
}
