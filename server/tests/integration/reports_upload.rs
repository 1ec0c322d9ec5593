//! The dashboard upload as a browser without JavaScript sends it: a multipart form with several
//! files (report, gzip, .eml, junk), the per-file result shown on the next page, reports only
//! ever attributed to the uploader's organisation, and forged or viewer uploads refused.

use crate::common;

use common::{fixture, gzip};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{body_text, location, Browser, TestApp, HOST};
use portcullis_domain::{DomainName, Role};
use portcullis_store::testing::Kind;

const BOUNDARY: &str = "----portcullis-test-boundary";

fn multipart(browser: &Browser, csrf: &str, org: &str, files: &[(&str, Vec<u8>)]) -> Request<Body> {
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf), ("org", org)] {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    for (file, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{file}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    Request::post("/reports/upload/files")
        .header(header::HOST, HOST)
        .header(header::COOKIE, browser.cookies())
        .header(header::ORIGIN, format!("http://{HOST}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body))
        .unwrap()
}

async fn uploads(kind: Kind) {
    let app = TestApp::new(kind).await;
    let owner = app.user("owner@alpha.example", false).await;
    let alpha = app.org("Alpha", &owner).await;
    app.proven_domain(&alpha, "alpha.example").await;
    let stranger = app.user("owner@beta.example", false).await;
    let beta = app.org("Beta", &stranger).await;
    app.proven_domain(&beta, "beta.example").await;
    let browser = app.browser(&owner).await;

    let eml = format!(
        "From: r@sender.example\r\nSubject: report\r\nTLS-Report-Domain: alpha.example\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; boundary=\"x\"; report-type=tlsrpt\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
         --x\r\nContent-Type: application/tlsrpt+json\r\nContent-Disposition: attachment; filename=\"s!alpha.example!1!2.json\"\r\n\r\n{}\r\n--x--\r\n",
        String::from_utf8(fixture("good/no-timezone.json")).unwrap()
    );
    let files = vec![
        ("rfc.json.gz", gzip(&fixture("good/rfc-shape.json"))),
        ("report.eml", eml.into_bytes()),
        ("two.json", fixture("good/two-domains.json")),
        (
            "beta-only.json",
            String::from_utf8(fixture("good/mx-host-string.json"))
                .unwrap()
                .replace("alpha.example", "beta.example")
                .into_bytes(),
        ),
        ("notes.txt", b"just some notes".to_vec()),
    ];
    let res = app.send(multipart(&browser, &browser.csrf, "alpha", &files)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/reports/upload?org=alpha");
    let page = body_text(app.send(browser.get("/reports/upload?org=alpha")).await).await;
    assert!(page.contains("data-testid=\"upload-report\""), "{page}");
    assert!(page.contains("3 stored, 0 already stored, 2 failed."), "{page}");
    assert!(
        page.contains("rfc.json.gz")
            && page.contains("Example Sender Inc., report 2026-11-20T00:00:00Z_alpha.example → alpha.example")
    );
    assert!(page.contains("report.eml: s!alpha.example!1!2.json"), "{page}");
    // Another organisation's domain is never written by this upload.
    assert!(page.contains("(not in this organisation: beta.example)"), "{page}");
    assert!(
        page.contains("no registered domain: the report covers beta.example"),
        "{page}"
    );
    assert!(page.contains("not a report (.json, .json.gz, .zip)"), "{page}");
    let store = &app.db.store;
    let beta_access = store
        .operator_access(&portcullis_domain::OrgSlug::parse("beta").unwrap())
        .await
        .unwrap()
        .unwrap();
    let beta_totals = store
        .tlsrpt_totals(&beta_access, &DomainName::parse("beta.example").unwrap())
        .await
        .unwrap();
    assert_eq!(beta_totals.reports, 0);
    let alpha_totals = store
        .tlsrpt_totals(&alpha, &DomainName::parse("alpha.example").unwrap())
        .await
        .unwrap();
    assert_eq!(alpha_totals.reports, 3);
    let listed = store
        .tlsrpt_reports(&alpha, &DomainName::parse("alpha.example").unwrap(), 10, 0)
        .await
        .unwrap();
    assert!(listed.iter().all(|r| r.channel == "upload"));

    // The domain page lists them, with the totals the store holds.
    let page = body_text(app.send(browser.get("/domains/alpha.example")).await).await;
    assert!(page.contains("data-testid=\"reports-section\""), "{page}");
    assert!(
        page.contains(&format!(
            "<dd data-testid=\"reports-count\">{}</dd>",
            alpha_totals.reports
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<dd data-testid=\"reports-failed\">{}</dd>",
            alpha_totals.failed
        )),
        "{page}"
    );
    assert!(page.contains("Big Mail Corporation"), "{page}");
    let beta_browser = app.browser(&stranger).await;
    let page = body_text(app.send(beta_browser.get("/domains/beta.example")).await).await;
    assert!(page.contains("data-testid=\"reports-empty\""), "{page}");
    // No report addresses on this server: the page says why no _smtp._tls record is shown
    // instead of pointing at one.
    assert!(page.contains("data-testid=\"reports-no-address\""), "{page}");
    assert!(!page.contains("record above is published"), "{page}");

    // Uploading the same file again reports it as already stored.
    let res = app.send(multipart(&browser, &browser.csrf, "alpha", &files[..1])).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = body_text(app.send(browser.get("/reports/upload?org=alpha")).await).await;
    assert!(page.contains("0 stored, 1 already stored, 0 failed."), "{page}");

    // A forged form, an organisation the user is not in, and a viewer are refused.
    let res = app.send(multipart(&browser, "forged", "alpha", &files[..1])).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.send(multipart(&browser, &browser.csrf, "beta", &files[..1])).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = body_text(app.send(browser.get("/reports/upload")).await).await;
    assert!(page.contains("Upload refused"), "{page}");
    let viewer = app.user("viewer@alpha.example", false).await;
    app.db.store.set_member(&alpha, &viewer, Role::Viewer).await.unwrap();
    let viewer_browser = app.browser(&viewer).await;
    let res = app
        .send(multipart(&viewer_browser, &viewer_browser.csrf, "alpha", &files[2..3]))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = body_text(app.send(viewer_browser.get("/reports/upload")).await).await;
    assert!(page.contains("your role does not allow adding reports"), "{page}");
    let anonymous = Browser::anonymous();
    let res = app
        .send(multipart(&anonymous, &anonymous.csrf, "alpha", &files[..1]))
        .await;
    assert!(location(&res).starts_with("/login"));
    app.cleanup().await;
}

#[tokio::test]
async fn uploads_sqlite() {
    uploads(Kind::Sqlite).await;
}

#[tokio::test]
async fn uploads_postgres() {
    uploads(Kind::Postgres).await;
}
