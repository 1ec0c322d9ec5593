//! The policy editor without JavaScript, through the real router: preview, save, refusal that
//! keeps the draft, history and diff, and rights.

use crate::common;

use axum::http::StatusCode;
use common::*;
use portcullis_dnscheck::testing::TestDns;
use portcullis_dnscheck::Dns;
use portcullis_store::testing::Kind;

#[tokio::test]
async fn editor_previews_saves_refuses_and_keeps_history_without_javascript() {
    let dns = TestDns::start().await;
    let app = TestApp::with_dns(Kind::Sqlite, Some(Dns::new(Some(dns.addr())).unwrap())).await;
    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    app.proven_domain(&org, "example.com").await;
    let b = app.browser(&alice).await;

    let html = body_text(app.send(b.get("/domains/example.com")).await).await;
    assert!(html.contains("No policy yet"), "{html}");
    assert!(html.contains("Generate from MX"));

    // Generate from MX fills the editor with the proposed patterns and renders their preview.
    dns.set_mx("example.com", &[(10, "mx1.example.com"), (20, "mx2.example.com")])
        .await;
    let html = body_text(app.send(b.get("/domains/example.com/policy?from_mx=1")).await).await;
    assert!(
        html.contains("Live MX records") && html.contains("mx2.example.com"),
        "{html}"
    );
    assert!(
        html.contains("mx: *.example.com"),
        "the preview shows the proposed pattern: {html}"
    );

    // "Preview" keeps the anti-forgery token out of the URL and shows the draft's warnings.
    let draft = [
        ("csrf", b.csrf.as_str()),
        ("name", "example.com"),
        ("mode", "enforce"),
        ("max_age", "3600"),
        ("mx", "mx1.example.com\nmx2.example.com"),
    ];
    let res = app.send(b.form("/sfn/preview_policy", &draft)).await;
    assert!(is_redirect(&res));
    let to = location(&res);
    assert!(
        to.starts_with("/domains/example.com/policy?mode=enforce&max_age=3600&mx=mx1.example.com%0Amx2.example.com"),
        "{to}"
    );
    assert!(!to.contains(&b.csrf));
    let html = body_text(app.send(b.get(&to)).await).await;
    assert!(html.contains("in enforce mode a max_age of at least a week"), "{html}");
    assert!(
        html.contains("+ mode: enforce"),
        "diff against nothing served yet: {html}"
    );

    // A refused save comes back with everything typed and the message by the field.
    let bad = [
        ("csrf", b.csrf.as_str()),
        ("name", "example.com"),
        ("mode", "testing"),
        ("max_age", "86400"),
        ("mx", "mx1.example.com\n192.0.2.7"),
    ];
    let res = app.send(b.form("/sfn/save_policy", &bad)).await;
    assert!(is_redirect(&res));
    let back = location(&res);
    assert!(back.contains("error_field=mx") && back.contains("192.0.2.7"), "{back}");
    let html = body_text(app.send(b.get(&back)).await).await;
    assert!(html.contains("line 2 (192.0.2.7)"), "{html}");
    assert!(html.contains("mx1.example.com\n192.0.2.7"), "the draft is kept: {html}");
    assert!(app.services.served_policy("example.com").is_none());

    let good = [
        ("csrf", b.csrf.as_str()),
        ("name", "example.com"),
        ("mode", "testing"),
        ("max_age", "86400"),
        ("mx", "mx1.example.com\nmx2.example.com"),
    ];
    let res = app.send(b.form("/sfn/save_policy", &good)).await;
    assert_eq!(location(&res), "/domains/example.com");
    let served = app.services.served_policy("example.com").expect("served at once");
    assert!(served.contains("mx: mx2.example.com\r\n"));
    let html = body_text(app.send(b.get("/domains/example.com")).await).await;
    assert!(
        html.contains("only after you publish its id: now publish _mta-sts.example.com TXT"),
        "{html}"
    );
    assert!(html.contains("v=STSv1; id="), "{html}");
    assert!(html.contains("first policy (testing, 2 mx)"));

    // Without a token the save is refused.
    let forged = [
        ("csrf", "wrong"),
        ("name", "example.com"),
        ("mode", "none"),
        ("max_age", "1"),
        ("mx", ""),
    ];
    let res = app.send(b.form_json("/sfn/save_policy", &forged)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The editor does not change the mode: that is a transition on the Mode page.
    let to_enforce = [
        ("csrf", b.csrf.as_str()),
        ("name", "example.com"),
        ("mode", "enforce"),
        ("max_age", "604800"),
        ("mx", "mx1.example.com\nmx2.example.com"),
    ];
    let res = app.send(b.form("/sfn/save_policy", &to_enforce)).await;
    let back = location(&res);
    assert!(back.contains("error_field=mode"), "{back}");
    let html = body_text(app.send(b.get(&back)).await).await;
    assert!(
        html.contains("change the mode on the domain&#x27;s Mode page")
            || html.contains("change the mode on the domain's Mode page"),
        "{html}"
    );
    assert_eq!(
        app.services.policy_versions(&org, "example.com").await.unwrap().len(),
        1
    );
    let changed = [
        ("csrf", b.csrf.as_str()),
        ("name", "example.com"),
        ("mode", "testing"),
        ("max_age", "604800"),
        ("mx", "mx1.example.com\nmx2.example.com"),
    ];
    app.send(b.form("/sfn/save_policy", &changed)).await;
    let versions = app.services.policy_versions(&org, "example.com").await.unwrap();
    assert_eq!(versions.len(), 2);
    let html = body_text(
        app.send(b.get(&format!(
            "/domains/example.com/policy/versions/{}",
            versions[0].policy_id
        )))
        .await,
    )
    .await;
    assert!(
        html.contains("- max_age: 86400") && html.contains("+ max_age: 604800"),
        "{html}"
    );
    assert!(html.contains(&format!("Changes since {}", versions[1].policy_id)));
    let res = app.send(b.get("/domains/example.com/policy/versions/nope")).await;
    assert!(body_text(res).await.contains("Not found"));

    // A viewer sees the policy but not the editor.
    let viewer = app.user("viewer@example.com", false).await;
    app.db
        .store
        .set_member(&org, &viewer, portcullis_domain::Role::Viewer)
        .await
        .unwrap();
    let vb = app.browser(&viewer).await;
    let html = body_text(app.send(vb.get("/domains/example.com")).await).await;
    assert!(
        html.contains("mode: testing") && !html.contains("Edit policy"),
        "{html}"
    );
    let html = body_text(app.send(vb.get("/domains/example.com/policy")).await).await;
    assert!(html.contains("Your role does not allow this"), "{html}");
    app.cleanup().await;
}
