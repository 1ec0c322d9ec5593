//! The dashboard's request flow through the real router: first-run setup, sign-in and its
//! throttle, anti-forgery checks, page guards, plain form posts with and without JavaScript.

use crate::common;

use axum::http::{header, StatusCode};
use common::*;
use portcullis_store::testing::Kind;

#[tokio::test]
async fn first_start_leads_to_setup_and_setup_happens_once() {
    let app = TestApp::new(Kind::Sqlite).await;
    let anon = Browser::anonymous();
    let res = app.send(anon.get("/")).await;
    assert!(is_redirect(&res));
    assert_eq!(location(&res), "/setup");

    let fresh = axum::http::Request::get("/setup")
        .header(header::HOST, HOST)
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.send(fresh).await;
    assert_eq!(res.status(), StatusCode::OK);
    let csrf_cookie = set_cookie(&res, "portcullis_csrf").expect("a first visit gets an anti-forgery cookie");
    assert!(
        csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"),
        "{csrf_cookie}"
    );
    let res = app.send(anon.get("/setup")).await;
    assert!(set_cookie(&res, "portcullis_csrf").is_none(), "an existing one is kept");
    let html = body_text(res).await;
    assert!(html.contains("Create administrator"), "{html}");

    // A mismatched password confirmation comes back to the form with the error.
    let fields = [
        ("csrf", anon.csrf.as_str()),
        ("email", "admin@example.com"),
        ("password", "correct horse battery"),
        ("confirm", "different"),
    ];
    let res = app.send(anon.form("/sfn/setup", &fields)).await;
    assert!(is_redirect(&res));
    assert!(location(&res).contains("__err="), "{}", location(&res));
    assert!(app.services.needs_setup().await);

    let fields = [
        ("csrf", anon.csrf.as_str()),
        ("email", "Admin@Example.com"),
        ("password", "correct horse battery"),
        ("confirm", "correct horse battery"),
    ];
    let res = app.send(anon.form("/sfn/setup", &fields)).await;
    assert!(is_redirect(&res), "{}", res.status());
    assert_eq!(location(&res), "/orgs?welcome=1");
    let session = set_cookie(&res, "portcullis_session").expect("signed in");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(!app.services.needs_setup().await);

    // Now the setup page is gone, and a second setup is refused.
    let res = app.send(anon.get("/setup")).await;
    assert_eq!(location(&res), "/login");
    let res = app.send(anon.form_json("/sfn/setup", &fields)).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(app.db.store.user_count().await.unwrap(), 1);
    app.cleanup().await;
}

#[tokio::test]
async fn sign_in_sets_a_session_and_failures_are_throttled() {
    let app = TestApp::new(Kind::Sqlite).await;
    app.user("alice@example.com", true).await;
    let anon = Browser::anonymous();
    let res = app.send(anon.get("/domains/import")).await;
    assert_eq!(location(&res), "/login?next=/domains/import");

    let ok = [
        ("csrf", anon.csrf.as_str()),
        ("email", "alice@example.com"),
        ("password", "correct horse battery"),
        ("next", "/domains/import"),
    ];
    let res = app.send(anon.form("/sfn/login", &ok)).await;
    assert_eq!(location(&res), "/domains/import");
    let signed_in = signed_in(&res, &anon);
    let res = app.send(signed_in.get("/")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body_text(res).await.contains("alice@example.com"));

    // An open redirect through `next` is refused.
    let evil = [
        ("csrf", anon.csrf.as_str()),
        ("email", "alice@example.com"),
        ("password", "correct horse battery"),
        ("next", "//evil.example/"),
    ];
    assert_eq!(location(&app.send(anon.form("/sfn/login", &evil)).await), "/");
    // Browsers drop a tab or newline from a URL, which turns these into `//evil.example`; a
    // newline in a Location header used to panic.
    for sneaky in ["/\t/evil.example", "/\n/evil.example", "/\r\nX: y"] {
        let evil = [
            ("csrf", anon.csrf.as_str()),
            ("email", "alice@example.com"),
            ("password", "correct horse battery"),
            ("next", sneaky),
        ];
        assert_eq!(
            location(&app.send(anon.form("/sfn/login", &evil)).await),
            "/",
            "{sneaky:?}"
        );
    }

    let bad = [
        ("csrf", anon.csrf.as_str()),
        ("email", "alice@example.com"),
        ("password", "wrong password!!"),
    ];
    for _ in 0..5 {
        let res = app.send(anon.form_json("/sfn/login", &bad)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body_text(res).await.contains("wrong e-mail or password"));
    }
    let res = app.send(anon.form_json("/sfn/login", &ok)).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );

    // Signing out ends the session.
    let res = app
        .send(signed_in.form("/sfn/logout", &[("csrf", signed_in.csrf.as_str())]))
        .await;
    assert_eq!(location(&res), "/login?signed_out=1");
    assert!(set_cookie(&res, "portcullis_session").unwrap().contains("Max-Age=0"));
    let res = app.send(signed_in.get("/")).await;
    assert!(location(&res).starts_with("/login"));
    app.cleanup().await;
}

#[tokio::test]
async fn forged_and_cross_origin_posts_change_nothing() {
    let app = TestApp::new(Kind::Sqlite).await;
    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    let browser = app.browser(&alice).await;

    let forged = Browser {
        csrf: "0".repeat(64),
        ..browser.clone()
    };
    let res = app
        .send(forged.form_json(
            "/sfn/add_domain",
            &[
                ("csrf", browser.csrf.as_str()),
                ("org", org.org_slug()),
                ("name", "example.com"),
            ],
        ))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "form token must match the cookie");

    let mut req = browser.form(
        "/sfn/add_domain",
        &[
            ("csrf", browser.csrf.as_str()),
            ("org", org.org_slug()),
            ("name", "example.com"),
        ],
    );
    req.headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    assert_eq!(app.send(req).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.db.store.count_domains().await.unwrap(), 0);

    let res = app
        .send(browser.form(
            "/sfn/add_domain",
            &[
                ("csrf", browser.csrf.as_str()),
                ("org", org.org_slug()),
                ("name", "Example.COM"),
            ],
        ))
        .await;
    assert!(is_redirect(&res));
    assert_eq!(location(&res), "/?org=alpha");
    assert_eq!(app.db.store.count_domains().await.unwrap(), 1);
    app.cleanup().await;
}

#[tokio::test]
async fn domain_pages_list_search_paginate_and_delete_with_confirmation() {
    let app = TestApp::new(Kind::Sqlite).await;
    let alice = app.user("alice@example.com", true).await;
    let org = app.org("Alpha", &alice).await;
    let list: String = (0..120).map(|i| format!("d{i:03}.example\n")).collect();
    app.services.bulk_add_domains(&org, &list).await.unwrap();
    let browser = app.browser(&alice).await;

    let html = body_text(app.send(browser.get("/")).await).await;
    assert!(html.contains("120 domains"), "total shown");
    assert!(
        html.contains("d000.example") && html.contains("d049.example") && !html.contains("d050.example"),
        "first page only"
    );
    assert!(html.contains("Page 1 of 3"));
    let html = body_text(app.send(browser.get("/?page=3")).await).await;
    assert!(html.contains("d119.example") && !html.contains("d000.example"));
    let html = body_text(app.send(browser.get("/?q=d11")).await).await;
    assert!(html.contains("10 domains"), "d110..d119");
    let html = body_text(app.send(browser.get("/?q=nothing-like-this")).await).await;
    assert!(html.contains("No domain matches"));

    let html = body_text(app.send(browser.get("/domains/d007.example/delete")).await).await;
    assert!(html.contains("Delete d007.example?"));
    let res = app
        .send(browser.form(
            "/sfn/delete_domain",
            &[("csrf", browser.csrf.as_str()), ("name", "d007.example")],
        ))
        .await;
    assert_eq!(location(&res), "/");
    let html = body_text(app.send(browser.get("/")).await).await;
    assert!(html.contains("Deleted d007.example."), "one-time notice");
    assert!(html.contains("119 domains"));
    let html = body_text(app.send(browser.get("/domains/d007.example")).await).await;
    assert!(html.contains("Not found"));

    let res = app
        .send(browser.form(
            "/sfn/bulk_add_domains",
            &[
                ("csrf", browser.csrf.as_str()),
                ("org", "alpha"),
                ("text", "new.example\nd001.example\nnot a domain\n"),
            ],
        ))
        .await;
    assert_eq!(location(&res), "/domains/import?org=alpha");
    let html = body_text(app.send(browser.get("/domains/import?org=alpha")).await).await;
    assert!(html.contains("1 added, 1 duplicate, 1 invalid."), "{html}");
    app.cleanup().await;
}

#[tokio::test]
async fn health_metrics_and_unknown_pages() {
    let app = TestApp::new(Kind::Sqlite).await;
    let res = app.send(Browser::anonymous().get("/healthz")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(body_json(res).await["database"], "ok");
    let res = app.send(Browser::anonymous().get("/metrics")).await;
    assert!(res.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = body_text(res).await;
    assert!(text.contains("portcullis_http_requests_total{class=\"2xx\"}"));
    assert!(text.contains("portcullis_domains 0"));
    let alice = app.user("alice@example.com", true).await;
    let browser = app.browser(&alice).await;
    let res = app.send(browser.get("/no/such/page")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.db.store.close().await;
    let res = app.send(Browser::anonymous().get("/healthz")).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    app.cleanup().await;
}

#[tokio::test]
async fn owners_create_tokens_and_members_whose_secrets_are_shown_once() {
    let app = TestApp::new(Kind::Sqlite).await;
    let alice = app.user("alice@example.com", true).await;
    app.org("Alpha", &alice).await;
    let web = app.browser(&alice).await;
    let csrf = web.csrf.as_str();

    let res = app
        .send(web.form(
            "/sfn/create_token",
            &[("csrf", csrf), ("org", "alpha"), ("name", "deploy"), ("role", "editor")],
        ))
        .await;
    assert_eq!(location(&res), "/orgs/alpha");
    let html = body_text(app.send(web.get("/orgs/alpha")).await).await;
    let secret = shown(&html, "token-secret");
    assert!(secret.starts_with("pc_"), "{secret}");
    let res = app.send(api("GET", "/api/v1/domains", Some(secret), None)).await;
    assert_eq!(res.status(), StatusCode::OK, "the shown token works");
    let again = body_text(app.send(web.get("/orgs/alpha")).await).await;
    assert!(!again.contains(secret), "shown once only");
    assert!(again.contains("deploy"), "listed by name");

    let res = app
        .send(web.form(
            "/sfn/add_member",
            &[
                ("csrf", csrf),
                ("org", "alpha"),
                ("email", "Carol@Example.com"),
                ("role", "viewer"),
            ],
        ))
        .await;
    assert_eq!(location(&res), "/orgs/alpha");
    let html = body_text(app.send(web.get("/orgs/alpha")).await).await;
    assert!(html.contains("carol@example.com is invited."), "{html}");
    let link = shown(&html, "invitation-link").to_string();
    let token = link.rsplit('/').next().unwrap().to_string();
    assert!(link.starts_with("http://") && link.contains("/invite/inv_"), "{link}");
    let again = body_text(app.send(web.get("/orgs/alpha")).await).await;
    assert!(!again.contains(&token), "the link is shown once");
    assert!(again.contains("Invited, not joined yet"), "listed as pending");
    assert_eq!(app.db.store.user_count().await.unwrap(), 1, "no account made for her");

    // Carol opens the link, signed out: she chooses her own password, joins, and is signed in.
    let anon = Browser::anonymous();
    let page = app.send(anon.get(&format!("/invite/{token}"))).await;
    assert_eq!(page.status(), StatusCode::OK, "open without signing in");
    let html = body_text(page).await;
    assert!(
        html.contains("Join Alpha") && html.contains("Choose the password for carol@example.com"),
        "{html}"
    );
    let res = app
        .send(anon.form(
            "/sfn/accept_invitation_with_password",
            &[
                ("csrf", anon.csrf.as_str()),
                ("token", token.as_str()),
                ("password", "carol's own passphrase"),
                ("confirm", "carol's own passphrase"),
            ],
        ))
        .await;
    assert_eq!(location(&res), "/orgs/alpha?welcome=1");
    let carol = signed_in(&res, &anon);
    let html = body_text(app.send(carol.get("/orgs/alpha")).await).await;
    assert!(
        html.contains("carol@example.com") && !html.contains("Invited, not joined yet"),
        "{html}"
    );
    // The link works once.
    let html = body_text(app.send(anon.get(&format!("/invite/{token}"))).await).await;
    assert!(html.contains("has been used, has expired or was withdrawn"), "{html}");
    app.cleanup().await;
}

/// An owner cannot pull someone else's account into their organisation, nor make an account
/// for an address they do not hold: an existing account is invited too, and only its holder,
/// signed in, can accept.
#[tokio::test]
async fn an_invitation_is_accepted_by_the_invited_address_only() {
    let app = TestApp::new(Kind::Sqlite).await;
    let owner_a = app.user("owner@a.example", false).await;
    let a = app.org("Alpha", &owner_a).await;
    let ops_b = app.user("ops@client-b.example", false).await;
    let mallory = app.user("mallory@a.example", false).await;
    let portcullis_service::MemberChange::Invited { token, .. } = app
        .services
        .add_member(&a, &owner_a.email, "ops@client-b.example", "owner")
        .await
        .unwrap()
    else {
        panic!("an invitation, not a membership")
    };
    assert!(app
        .services
        .members(&a)
        .await
        .unwrap()
        .iter()
        .all(|m| m.email != ops_b.email));
    // The wrong person, signed in, cannot use the link.
    let mb = app.browser(&mallory).await;
    let res = app
        .send(mb.form_json(
            "/sfn/accept_invitation",
            &[("csrf", mb.csrf.as_str()), ("token", token.as_str())],
        ))
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(body_text(res)
        .await
        .contains("this invitation is for ops@client-b.example"));
    // Nor can anyone choose a password for an address that has an account.
    let anon = Browser::anonymous();
    let res = app
        .send(anon.form_json(
            "/sfn/accept_invitation_with_password",
            &[
                ("csrf", anon.csrf.as_str()),
                ("token", token.as_str()),
                ("password", "a takeover attempt!"),
                ("confirm", "a takeover attempt!"),
            ],
        ))
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // The holder, signed in, accepts.
    let bb = app.browser(&ops_b).await;
    let html = body_text(app.send(bb.get(&format!("/invite/{token}"))).await).await;
    assert!(html.contains("Join Alpha"), "{html}");
    let res = app
        .send(bb.form(
            "/sfn/accept_invitation",
            &[("csrf", bb.csrf.as_str()), ("token", token.as_str())],
        ))
        .await;
    assert_eq!(location(&res), "/orgs/alpha");
    assert!(app
        .services
        .members(&a)
        .await
        .unwrap()
        .iter()
        .any(|m| m.email == ops_b.email && m.role == portcullis_domain::Role::Owner));
    // A withdrawn invitation's link stops working.
    let portcullis_service::MemberChange::Invited { invitation, token } = app
        .services
        .add_member(&a, &owner_a.email, "late@a.example", "viewer")
        .await
        .unwrap()
    else {
        panic!("an invitation")
    };
    app.services.revoke_invitation(&a, invitation.id).await.unwrap();
    assert!(app.services.invitation(&token).await.is_err());
    app.cleanup().await;
}

/// The browser `anon` became when `res` signed it in.
fn signed_in(res: &axum::http::Response<axum::body::Body>, anon: &Browser) -> Browser {
    let cookie = set_cookie(res, "portcullis_session").expect("signed in");
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("portcullis_session=")
        .to_string();
    Browser {
        session: Some(token),
        csrf: anon.csrf.clone(),
    }
}

/// The text of the element with the given `data-testid`.
fn shown<'a>(html: &'a str, testid: &str) -> &'a str {
    let at = html
        .find(&format!("data-testid=\"{testid}\""))
        .unwrap_or_else(|| panic!("{testid} not shown"));
    let start = at + html[at..].find('>').unwrap() + 1;
    &html[start..start + html[start..].find('<').unwrap()]
}

/// Signed in with a one-time password, a user can choose a new one and nothing else: server
/// functions refuse them too, not only the page redirect.
#[tokio::test]
async fn a_one_time_password_allows_nothing_but_choosing_a_new_one() {
    let app = TestApp::new(Kind::Sqlite).await;
    let admin = app.user("admin@example.com", true).await;
    let acme = app.org("Acme", &admin).await;
    let (new_user, one_time) = app
        .services
        .create_user_with_one_time_password("new@example.com", false)
        .await
        .unwrap();
    app.db
        .store
        .set_member(&acme, &new_user, portcullis_domain::Role::Owner)
        .await
        .unwrap();
    let anon = Browser::anonymous();
    let res = app
        .send(anon.form(
            "/sfn/login",
            &[
                ("csrf", anon.csrf.as_str()),
                ("email", "new@example.com"),
                ("password", one_time.as_str()),
            ],
        ))
        .await;
    assert_eq!(location(&res), "/account");
    let browser = signed_in(&res, &anon);
    let res = app
        .send(browser.form_json(
            "/sfn/add_domain",
            &[
                ("csrf", browser.csrf.as_str()),
                ("org", acme.org_slug()),
                ("name", "example.com"),
            ],
        ))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(body_text(res).await.contains("PasswordChangeRequired"));
    let res = app
        .send(browser.form(
            "/sfn/change_password",
            &[
                ("csrf", browser.csrf.as_str()),
                ("current", one_time.as_str()),
                ("password", "a brand new password"),
                ("confirm", "a brand new password"),
            ],
        ))
        .await;
    assert_eq!(location(&res), "/?password_changed=1");
}

/// A dashboard reachable from other machines asks first-run setup for the token the server
/// printed: whoever opens /setup first cannot become administrator without it.
#[tokio::test]
async fn setup_off_loopback_needs_the_printed_token() {
    let app = TestApp::configured(Kind::Sqlite, |s| s.with_setup_token_required(true)).await;
    let anon = Browser::anonymous();
    let html = body_text(app.send(anon.get("/setup")).await).await;
    assert!(
        html.contains("Setup token") && html.contains("portcullis setup-token"),
        "{html}"
    );
    let token = app.services.setup_token().await.unwrap().expect("a token before setup");
    assert_eq!(
        app.services.setup_token().await.unwrap().as_deref(),
        Some(token.as_str()),
        "stable"
    );
    for wrong in ["", "setup_0000", &token[..token.len() - 1]] {
        let fields = [
            ("csrf", anon.csrf.as_str()),
            ("token", wrong),
            ("email", "admin@example.com"),
            ("password", "correct horse battery"),
            ("confirm", "correct horse battery"),
        ];
        let res = app.send(anon.form_json("/sfn/setup", &fields)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{wrong:?}");
        assert!(body_text(res).await.contains("setup token"));
        assert!(app.services.needs_setup().await);
    }
    let fields = [
        ("csrf", anon.csrf.as_str()),
        ("token", token.as_str()),
        ("email", "admin@example.com"),
        ("password", "correct horse battery"),
        ("confirm", "correct horse battery"),
    ];
    let res = app.send(anon.form("/sfn/setup", &fields)).await;
    assert_eq!(location(&res), "/orgs?welcome=1");
    assert_eq!(app.services.setup_token().await.unwrap(), None, "no token once set up");
}

/// Cookies get `Secure` whenever the dashboard is reached over TLS (here through a proxy that
/// says so), without the operator having to set `secure_cookies`.
#[tokio::test]
async fn cookies_are_secure_when_the_dashboard_is_reached_over_tls() {
    let app = TestApp::new(Kind::Sqlite).await;
    let get = |proto: Option<&str>| {
        // No user yet: /setup is served (a redirect would set no cookie).
        let mut req = axum::http::Request::builder().uri("/setup");
        if let Some(proto) = proto {
            req = req.header("x-forwarded-proto", proto);
        }
        req.body(axum::body::Body::empty()).unwrap()
    };
    let tls = set_cookie(&app.send(get(Some("https"))).await, "portcullis_csrf").unwrap();
    assert!(tls.contains("Secure"), "{tls}");
    let plain = set_cookie(&app.send(get(None)).await, "portcullis_csrf").unwrap();
    assert!(!plain.contains("Secure"), "{plain}");
}
