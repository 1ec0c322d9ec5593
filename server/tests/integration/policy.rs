//! Policy editing over the API and policy hosting on `mta-sts.<domain>`, through the real router.

use crate::common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::*;
use portcullis_dnscheck::testing::TestDns;
use portcullis_dnscheck::Dns;
use portcullis_store::testing::Kind;
use serde_json::json;

fn policy_get(host: &str, method: &str, path: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, host)
        .body(Body::empty())
        .unwrap()
}

const TEXT: &str =
    "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmx: *.mx.example.com\r\nmax_age: 86400\r\n";

#[tokio::test]
async fn policy_api_versions_and_errors() {
    let dns = TestDns::start().await;
    let app = TestApp::with_dns(Kind::Sqlite, Some(Dns::new(Some(dns.addr())).unwrap())).await;
    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    let other = app.org("Beta", &alice).await;
    let (editor, _) = app.services.create_token(&org, "ci", "editor").await.unwrap();
    let (viewer, _) = app.services.create_token(&org, "ro", "viewer").await.unwrap();
    let (stranger, _) = app.services.create_token(&other, "b", "owner").await.unwrap();
    app.proven_domain(&org, "example.com").await;
    let t = Some(editor.as_str());
    let path = "/api/v1/domains/example.com/policy";

    let res = app.send(api("GET", path, t, None)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(body_json(res).await["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no policy yet"));

    let spec = json!({"mode": "testing", "max_age": 86400, "mx": ["MX1.example.com.", "*.mx.example.com"]});
    let res = app.send(api("PUT", path, t, Some(spec.clone()))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let saved = body_json(res).await;
    assert_eq!(saved["changed"], true);
    assert_eq!(saved["text"], TEXT);
    assert_eq!(saved["mx"], json!(["mx1.example.com", "*.mx.example.com"]));
    assert_eq!(saved["warnings"], json!([]));
    let id = saved["id"].as_str().unwrap().to_string();

    let res = app.send(api("GET", path, Some(viewer.as_str()), None)).await;
    let shown = body_json(res).await;
    assert_eq!(
        (shown["id"].as_str(), shown["mode"].as_str()),
        (Some(id.as_str()), Some("testing"))
    );
    let res = app.send(api("PUT", path, t, Some(spec))).await;
    assert_eq!(body_json(res).await["changed"], false);

    // The mode is not edited: moving to enforce is a transition, behind the readiness gate.
    let to_enforce = json!({"mode": "enforce", "max_age": 3600, "mx": ["mx1.example.com"]});
    let res = app.send(api("PUT", path, t, Some(to_enforce.clone()))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let msg = body_json(res).await["error"]["message"].as_str().unwrap().to_string();
    assert!(
        msg.starts_with("mode: the policy is in testing mode") && msg.contains("/domains/example.com/lifecycle"),
        "{msg}"
    );
    let moved = app
        .services
        .transition(
            &org,
            "example.com",
            &portcullis_service::TransitionRequest {
                to: "enforce".into(),
                confirm: Some("example.com".into()),
                reason: Some("API test".into()),
            },
            "alice@example.com",
        )
        .await
        .unwrap();
    assert!(matches!(moved, portcullis_service::TransitionOutcome::Done { .. }));
    // In enforce, the rest of the policy is edited as before.
    let res = app.send(api("PUT", path, t, Some(to_enforce))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let enforce = body_json(res).await;
    assert_ne!(enforce["id"], id);
    let codes: Vec<_> = enforce["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].clone())
        .collect();
    assert_eq!(
        codes,
        vec![json!("max_age_below_one_day"), json!("enforce_max_age_below_one_week")]
    );
    let res = app.send(api("GET", "/api/v1/domains/example.com", t, None)).await;
    assert_eq!(body_json(res).await["mode"], "enforce");

    let res = app.send(api("GET", &format!("{path}/versions"), t, None)).await;
    let versions = body_json(res).await;
    let versions = versions["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 3);
    assert_eq!(versions[2]["id"], id.as_str());
    assert_eq!(versions[1]["note"], "mode testing → enforce: API test");
    assert_eq!(versions[0]["note"], "removed mx *.mx.example.com; max_age 86400 → 3600");

    for (body, needle) in [
        (
            json!({"mode": "testing", "max_age": 86400, "mx": ["192.0.2.1"]}),
            "IP address",
        ),
        (
            json!({"mode": "testing", "max_age": 86400, "mx": ["mx.*.example.com"]}),
            "wildcard",
        ),
        (
            json!({"mode": "testing", "max_age": 86400, "mx": []}),
            "at least one mx",
        ),
        (
            json!({"mode": "testing", "max_age": 99999999, "mx": ["a.example.com"]}),
            "31557600",
        ),
    ] {
        let res = app.send(api("PUT", path, t, Some(body.clone()))).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let msg = body_json(res).await["error"]["message"].as_str().unwrap().to_string();
        assert!(msg.contains(needle), "{msg}");
    }
    let res = app
        .send(api(
            "PUT",
            path,
            t,
            Some(json!({"mode": "sometimes", "max_age": 1, "mx": []})),
        ))
        .await;
    assert!(res.status().is_client_error());
    let bad_json = Request::builder()
        .method("PUT")
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::AUTHORIZATION, format!("Bearer {editor}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"mode\": "))
        .unwrap();
    assert_eq!(app.send(bad_json).await.status(), StatusCode::BAD_REQUEST);

    let res = app
        .send(api(
            "PUT",
            path,
            Some(viewer.as_str()),
            Some(json!({"mode": "none", "max_age": 1})),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    for p in [path.to_string(), format!("{path}/versions"), format!("{path}/mx")] {
        let res = app.send(api("GET", &p, Some(stranger.as_str()), None)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{p}");
    }

    dns.set_mx("example.com", &[(10, "mx1.example.com"), (20, "mx2.example.com")])
        .await;
    let res = app.send(api("GET", &format!("{path}/mx"), t, None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let proposal = body_json(res).await;
    assert_eq!(proposal["answer"]["kind"], "hosts");
    assert_eq!(proposal["suggestion"]["patterns"][0]["pattern"], "*.example.com");
    assert_eq!(proposal["current_coverage"][1]["covered_by"], json!([]));
    app.cleanup().await;
}

#[tokio::test]
async fn mta_sts_hosts_serve_exactly_the_current_policy_and_nothing_else() {
    let app = TestApp::new(Kind::Sqlite).await;
    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    let other = app.org("Beta", &alice).await;
    app.proven_domain(&org, "example.com").await;
    app.proven_domain(&org, "bücher.example").await;
    app.proven_domain(&other, "beta.example").await;
    app.proven_domain(&other, "nopolicy.example").await;
    let spec = |mx: &str| portcullis_domain::PolicySpec {
        mode: portcullis_domain::Mode::Testing,
        max_age: 86_400,
        mx: vec![mx.to_string(), "*.mx.example.com".into()],
    };
    app.services
        .save_policy(&org, "example.com", &spec("mx1.example.com"), "t")
        .await
        .unwrap();
    app.services
        .save_policy(&org, "bücher.example", &spec("mx.xn--bcher-kva.example"), "t")
        .await
        .unwrap();
    app.services
        .save_policy(&other, "beta.example", &spec("mx.beta.example"), "t")
        .await
        .unwrap();
    let path = "/.well-known/mta-sts.txt";

    for host in [
        "mta-sts.example.com",
        "MTA-STS.Example.COM:443",
        "mta-sts.example.com.",
        "mta-sts.example.com.:8443",
    ] {
        let res = app.send(policy_get(host, "GET", path)).await;
        assert_eq!(res.status(), StatusCode::OK, "{host}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "text/plain; charset=utf-8");
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
        assert!(res.headers().get(header::LOCATION).is_none());
        assert_eq!(body_text(res).await, TEXT);
    }
    let res = app.send(policy_get("mta-sts.xn--bcher-kva.example", "GET", path)).await;
    assert!(body_text(res).await.contains("mx: mx.xn--bcher-kva.example\r\n"));
    let res = app.send(policy_get("mta-sts.beta.example", "GET", path)).await;
    assert!(body_text(res).await.contains("mx: mx.beta.example\r\n"));

    let res = app.send(policy_get("mta-sts.example.com", "HEAD", path)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_LENGTH], TEXT.len().to_string().as_str());
    assert_eq!(body_text(res).await, "");
    for method in ["POST", "PUT", "DELETE"] {
        let res = app.send(policy_get("mta-sts.example.com", method, path)).await;
        assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(res.headers()[header::ALLOW], "GET, HEAD");
    }

    // Unknown hosts, domains without a policy, other paths and malformed names all get the same
    // 404: nothing tells a prober which names exist or which organisation holds them.
    let long = format!("mta-sts.{}.example", "a".repeat(5000));
    let not_found = [
        ("mta-sts.unknown.example", path),
        ("mta-sts.nopolicy.example", path),
        ("mta-sts.example.com", "/"),
        ("mta-sts.example.com", "/.well-known/mta-sts.txt/"),
        ("mta-sts.example.com", "/.well-known/../.well-known/mta-sts.txt"),
        ("mta-sts.example.com", "/.well-known/%2e%2e/mta-sts.txt"),
        ("mta-sts.example.com", "/login"),
        ("mta-sts.example.com", "/api/v1/domains"),
        ("mta-sts.com", path),
        ("mta-sts.192.0.2.1", path),
        ("mta-sts.a..example", path),
        (long.as_str(), path),
    ];
    let mut bodies = std::collections::HashSet::new();
    for (host, p) in not_found {
        let res = app.send(policy_get(host, "GET", p)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{host} {p}");
        bodies.insert(body_text(res).await);
    }
    assert_eq!(bodies.len(), 1, "every refusal looks the same: {bodies:?}");

    // The on-demand TLS check allows exactly the served names.
    for (name, status) in [
        ("mta-sts.example.com", StatusCode::OK),
        ("MTA-STS.xn--bcher-kva.example", StatusCode::OK),
        ("mta-sts.nopolicy.example", StatusCode::NOT_FOUND),
        ("example.com", StatusCode::NOT_FOUND),
        ("mta-sts.unknown.example", StatusCode::NOT_FOUND),
    ] {
        let res = app
            .send(policy_get(HOST, "GET", &format!("/tls-ask?domain={name}")))
            .await;
        assert_eq!(res.status(), status, "{name}");
    }
    assert_eq!(
        app.send(policy_get(HOST, "GET", "/tls-ask")).await.status(),
        StatusCode::NOT_FOUND
    );

    // The dashboard host is unaffected.
    let res = app.send(policy_get(HOST, "GET", "/healthz")).await;
    assert_eq!(res.status(), StatusCode::OK);

    // A malformed Host header never panics and never serves a policy.
    let res = app
        .send(
            Request::builder()
                .uri(path)
                .header(header::HOST, &b"mta-sts.\xffexample.com"[..])
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_ne!(res.status(), StatusCode::OK);

    // A served policy must be removed before its domain is deleted; once the removal has run
    // its course, deleting the domain stops its policy at once.
    assert!(matches!(
        app.services.delete_domain(&other, "beta.example").await,
        Err(portcullis_service::ServiceError::Conflict(_))
    ));
    assert_eq!(
        app.send(policy_get("mta-sts.beta.example", "GET", path)).await.status(),
        StatusCode::OK
    );
    app.run_sql("UPDATE domains SET policy_retire_at = 1 WHERE name = 'beta.example'")
        .await;
    app.services.delete_domain(&other, "beta.example").await.unwrap();
    let res = app.send(policy_get("mta-sts.beta.example", "GET", path)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // With the database gone, policies are still served from memory.
    app.db.store.close().await;
    let res = app.send(policy_get("mta-sts.example.com", "GET", path)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, TEXT);
    app.cleanup().await;
}

/// The public edge (`PORTCULLIS_PUBLIC_HTTP_ADDR`, and the HTTPS listener): policies for
/// `mta-sts.` hosts, report POSTs and ACME answers; a plain 404 for everything else, sign-in
/// and first-run setup included (the first visitor of /setup would become administrator).
#[tokio::test]
async fn the_public_edge_serves_policies_reports_and_acme_answers_only() {
    use tower::ServiceExt;
    let app = TestApp::new(Kind::Sqlite).await;
    let public = portcullis_server::build_public_router(app.state.clone(), true);
    let send = |req: Request<Body>| public.clone().oneshot(req);
    // Before any user exists: the dashboard would send everyone to /setup; the edge does not.
    for (method, path) in [
        ("GET", "/setup"),
        ("GET", "/login"),
        ("GET", "/"),
        ("POST", "/sfn/setup"),
        ("POST", "/sfn/login"),
        ("GET", "/api/v1/domains"),
        ("GET", "/metrics"),
        ("GET", "/tls-ask?domain=mta-sts.example.com"),
    ] {
        let res = send(policy_get("portcullis.example", method, path)).await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    app.proven_domain(&org, "example.com").await;
    let spec = portcullis_domain::PolicySpec {
        mode: portcullis_domain::Mode::Testing,
        max_age: 86_400,
        mx: vec!["mx1.example.com".into()],
    };
    app.services.save_policy(&org, "example.com", &spec, "t").await.unwrap();
    let res = send(policy_get("mta-sts.example.com", "GET", "/.well-known/mta-sts.txt"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.state.challenges.set("tok", "tok.key").await;
    let res = send(policy_get(
        "mta-sts.example.com",
        "GET",
        "/.well-known/acme-challenge/tok",
    ))
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_text(res).await, "tok.key");
    let report = fixture("good/rfc-shape.json");
    let report = String::from_utf8(report)
        .unwrap()
        .replace("alpha.example", "example.com");
    let res = send(
        Request::builder()
            .method("POST")
            .uri("/tlsrpt")
            .header(header::HOST, "portcullis.example")
            .header(header::CONTENT_TYPE, "application/tlsrpt+json")
            .body(Body::from(report))
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // The HTTPS edge has no ACME answers (http-01 arrives over plain HTTP).
    let tls_edge = portcullis_server::build_public_router(app.state.clone(), false);
    let res = tls_edge
        .oneshot(policy_get(
            "portcullis.example",
            "GET",
            "/.well-known/acme-challenge/tok",
        ))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
