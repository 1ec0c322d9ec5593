//! The report overview page as a browser without JavaScript sees it, and its CSV downloads: the
//! numbers equal the API's, the period and previous-period comparison follow the URL, and other
//! organisations' members cannot read it.

use crate::common;

use common::fixture;

use axum::http::{header, StatusCode};
use common::{api, body_json, body_text, TestApp};
use portcullis_service::{Channel, ReportInput};
use portcullis_store::testing::Kind;

async fn pages(kind: Kind) {
    let app = TestApp::new(kind).await;
    let owner = app.user("owner@alpha.example", false).await;
    let alpha = app.org("Alpha", &owner).await;
    app.proven_domain(&alpha, "alpha.example").await;
    for file in [
        "good/rfc-shape.json",
        "good/no-timezone.json",
        "good/mx-host-string.json",
        "good/contact-null-no-ips.json",
        "good/unknown-types-and-extras.json",
        "good/two-domains.json",
    ] {
        app.services
            .ingest_report(None, ReportInput::new(fixture(file), Channel::Https))
            .await
            .unwrap();
    }
    let browser = app.browser(&owner).await;
    let page = body_text(
        app.send(browser.get("/domains/alpha.example/reports?from=2026-11-23&to=2026-11-26"))
            .await,
    )
    .await;

    // 23–26 Nov: contact-null (0 / 2), unknown-types (10 / 4, starts 24 Nov 23:00 UTC), two-domains (10 / 1).
    // The 4 days before (19–22 Nov): rfc-shape (5326 / 303), no-timezone (40 / 0), mx-host-string (7 / 1).
    assert!(
        page.contains("<td data-testid=\"total-successful\" class=\"num\">20</td>"),
        "{page}"
    );
    assert!(
        page.contains("<td data-testid=\"total-failed\" class=\"num\">7</td>"),
        "{page}"
    );
    assert!(
        page.contains("<td data-testid=\"total-reports\" class=\"num\">3</td>"),
        "{page}"
    );
    assert!(
        page.contains("<td class=\"num\">5,373</td>"),
        "previous period's successes: {page}"
    );
    assert!(page.contains("-5,353"), "change in successes: {page}");
    assert!(page.contains("2026-11-23 to 2026-11-26 (UTC, 4 days), compared with the 4 days before."));
    // What needs attention, at the top: the change, the top result with its fix, the top sender
    // and MX (hand-computed from the fixtures above).
    let attention = page
        .split("data-testid=\"attention\"")
        .nth(1)
        .expect("an attention summary");
    let attention = &attention[..attention.find("</section>").unwrap()];
    assert!(
        attention.contains("Failed sessions fell from 304 to 7 (-297) against the 4 days before."),
        "{attention}"
    );
    assert!(
        attention.contains("(4 sessions, 57 % of the failures). Fix: "),
        "{attention}"
    );
    assert!(
        attention.contains("Sender with most failures: Future Sender (4 sessions)."),
        "{attention}"
    );
    assert!(
        attention.contains("Receiving MX with most failures: mx1.alpha.example (5 sessions)."),
        "{attention}"
    );
    assert!(
        page.find("data-testid=\"attention\"") < page.find("data-testid=\"report-totals\""),
        "the summary comes first"
    );
    // Failures by result, grouped and explained.
    assert!(page.contains("MTA-STS policy · 2 failed"), "{page}");
    assert!(page.contains("TLS negotiation · 1 failed"), "{page}");
    assert!(page.contains("Other · 4 failed"), "{page}");
    assert!(page.contains("The MX certificate does not name the MX host"), "{page}");
    // Charts: inline SVG with an accessible name and description, the same numbers as the tables.
    assert!(page.contains("<svg role=\"img\" class=\"chart\""), "{page}");
    assert!(page.contains("<title>Sessions per day (UTC)</title>"), "{page}");
    assert!(
        page.contains("4 days, 20 successful and 7 failed sessions in all"),
        "{page}"
    );
    for bar in ["Future Sender  4", "Terse Sender  2", "Example Sender Inc.  1"] {
        assert!(page.contains(bar), "{bar} in {page}");
    }
    assert!(page.contains("mx1.alpha.example  5"), "{page}");
    // The stacked chart and its table: 23 Nov sts-policy-fetch-error 2, 24 Nov the unknown type 4,
    // 26 Nov certificate-host-mismatch 1.
    assert!(page.contains("7 failed sessions over 4 days; quantum-handshake-failure 4, sts-policy-fetch-error 2, certificate-host-mismatch 1"), "{page}");
    assert!(
        page.contains(
            "<tr><td>2026-11-24</td><td><code>quantum-handshake-failure</code></td><td class=\"num\">4</td></tr>"
        ),
        "{page}"
    );
    // The numbers are the API's.
    let (token, _) = app.services.create_token(&alpha, "ro", "viewer").await.unwrap();
    let res = app
        .send(api(
            "GET",
            "/api/v1/domains/alpha.example/tlsrpt/summary?from=2026-11-23&to=2026-11-26&group_by=organization",
            Some(&token),
            None,
        ))
        .await;
    let body = body_json(res).await;
    for g in body["groups"].as_array().unwrap() {
        let row = format!(
            "<tr data-key=\"{}\"><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            g["key"].as_str().unwrap(),
            g["key"].as_str().unwrap(),
            g["successful"],
            g["failed"]
        );
        assert!(page.contains(&row), "{row} in {page}");
    }

    // CSV download of a table, for the signed-in member.
    let res = app
        .send(
            browser
                .get("/domains/alpha.example/reports/export.csv?group_by=receiving_mx&from=2026-11-23&to=2026-11-26"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("receiving_mx"));
    assert_eq!(
        body_text(res).await,
        "key,successful,failed\r\nmx1.alpha.example,,5\r\n(not reported),,2\r\n"
    );

    let res = app
        .send(
            browser
                .get("/domains/alpha.example/reports/export.json?group_by=receiving_mx&from=2026-11-23&to=2026-11-26"),
        )
        .await;
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
    let body: serde_json::Value = serde_json::from_str(&body_text(res).await).unwrap();
    assert_eq!(
        body["groups"][0],
        serde_json::json!({"key": "mx1.alpha.example", "successful": null, "failed": 5})
    );
    assert_eq!(
        (body["successful"].as_i64(), body["failed"].as_i64()),
        (Some(20), Some(7))
    );

    // A preset period, an empty period, a bad date.
    let page = body_text(app.send(browser.get("/domains/alpha.example/reports?days=7")).await).await;
    assert!(page.contains("(UTC, 7 days)"), "{page}");
    let page = body_text(
        app.send(browser.get("/domains/alpha.example/reports?from=2025-01-01&to=2025-01-31"))
            .await,
    )
    .await;
    assert!(page.contains("data-testid=\"reports-none\""), "{page}");
    let page = body_text(
        app.send(browser.get("/domains/alpha.example/reports?from=yesterday&to=2025-01-31"))
            .await,
    )
    .await;
    assert!(page.contains("is not a date: use YYYY-MM-DD"), "{page}");

    // Another organisation's member reads nothing.
    let stranger = app.user("owner@beta.example", false).await;
    app.org("Beta", &stranger).await;
    let other = app.browser(&stranger).await;
    let page = body_text(app.send(other.get("/domains/alpha.example/reports?days=30")).await).await;
    assert!(!page.contains("total-successful"), "{page}");
    let res = app
        .send(other.get("/domains/alpha.example/reports/export.csv?group_by=day"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.cleanup().await;
}

#[tokio::test]
async fn pages_sqlite() {
    pages(Kind::Sqlite).await;
}

#[tokio::test]
async fn pages_postgres() {
    pages(Kind::Postgres).await;
}

/// Sending IPs carry their reverse DNS from the test DNS server, looked up on the first view and
/// then served from the cache even after the PTR record changes.
async fn reverse_dns(kind: Kind) {
    use portcullis_dnscheck::testing::TestDns;
    let dns = TestDns::start().await;
    let resolver = portcullis_dnscheck::Dns::new(Some(dns.addr())).unwrap();
    let app = TestApp::with_dns(kind, Some(resolver)).await;
    let owner = app.user("owner@alpha.example", false).await;
    let alpha = app.org("Alpha", &owner).await;
    app.proven_domain(&alpha, "alpha.example").await;
    app.services
        .ingest_report(None, ReportInput::new(fixture("good/rfc-shape.json"), Channel::Https))
        .await
        .unwrap();
    let (v4, v6): (std::net::IpAddr, std::net::IpAddr) =
        ("198.51.100.62".parse().unwrap(), "2001:db8:abcd:12::1".parse().unwrap());
    // Forward-confirmed; a v6 name that does not resolve back; 198.51.100.8 has no PTR at all.
    dns.set_ptr(v4, Some("mta62.sender.test")).await;
    dns.set_addr("mta62.sender.test", &[v4]).await;
    dns.set_ptr(v6, Some("v6.sender.test")).await;

    let browser = app.browser(&owner).await;
    let url = "/domains/alpha.example/reports?from=2026-11-20&to=2026-11-20";
    let page = body_text(app.send(browser.get(url)).await).await;
    let row = |ip: &str, ptr: &str, failed: i64| {
        format!("<tr data-key=\"{ip}\"><td><code>{ip}</code></td><td>{ptr}</td><td class=\"num\">{failed}</td></tr>")
    };
    let confirmed = "<span data-ptr=\"mta62.sender.test\">mta62.sender.test</span>";
    assert!(page.contains(&row("198.51.100.62", confirmed, 200)), "{page}");
    assert!(
        page.contains("<span data-ptr=\"v6.sender.test\">v6.sender.test</span> <span "),
        "unconfirmed name: {page}"
    );
    assert!(page.contains("(not confirmed)"), "{page}");
    assert!(
        page.contains(&row("198.51.100.8", "<span class=\"muted\">–</span>", 3)),
        "no PTR: {page}"
    );

    // Cached: a changed PTR record is not looked up again.
    dns.set_ptr(v4, Some("renamed.sender.test")).await;
    let page = body_text(app.send(browser.get(url)).await).await;
    assert!(page.contains(confirmed), "{page}");
    assert!(!page.contains("renamed.sender.test"), "{page}");
    let cached = app
        .db
        .store
        .reverse_dns_cached(
            &["198.51.100.62".into(), "198.51.100.8".into()],
            chrono::Utc::now().timestamp(),
        )
        .await
        .unwrap();
    assert_eq!(cached["198.51.100.62"].status, portcullis_store::ReverseStatus::Found);
    assert_eq!(cached["198.51.100.8"].status, portcullis_store::ReverseStatus::None);
    assert!(cached["198.51.100.62"].expires_at >= cached["198.51.100.62"].looked_up_at + 29 * 86_400);

    // The API and the CSV carry the same names.
    let (token, _) = app.services.create_token(&alpha, "ro", "viewer").await.unwrap();
    let body = body_json(
        app.send(api(
            "GET",
            "/api/v1/domains/alpha.example/tlsrpt/summary?from=2026-11-20&to=2026-11-20&group_by=sending_ip",
            Some(&token),
            None,
        ))
        .await,
    )
    .await;
    assert_eq!(
        body["groups"][0],
        serde_json::json!({"key": "198.51.100.62", "successful": null, "failed": 200,
            "reverse_dns": {"name": "mta62.sender.test", "confirmed": true}})
    );
    assert_eq!(body["groups"][2]["key"], "198.51.100.8");
    assert!(body["groups"][2].get("reverse_dns").is_none(), "{body}");
    let csv = body_text(
        app.send(
            browser.get("/domains/alpha.example/reports/export.csv?group_by=sending_ip&from=2026-11-20&to=2026-11-20"),
        )
        .await,
    )
    .await;
    assert_eq!(
        csv,
        "key,successful,failed,reverse_dns,reverse_dns_confirmed\r\n\
         198.51.100.62,,200,mta62.sender.test,true\r\n\
         2001:db8:abcd:12::1,,100,v6.sender.test,false\r\n\
         198.51.100.8,,3,,\r\n"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn reverse_dns_sqlite() {
    reverse_dns(Kind::Sqlite).await;
}

#[tokio::test]
async fn reverse_dns_postgres() {
    reverse_dns(Kind::Postgres).await;
}

async fn list_and_detail(kind: Kind) {
    let app = TestApp::new(kind).await;
    let owner = app.user("owner@alpha.example", false).await;
    let alpha = app.org("Alpha", &owner).await;
    app.proven_domain(&alpha, "alpha.example").await;
    app.proven_domain(&alpha, "other.example").await;
    let rfc = fixture("good/rfc-shape.json");
    app.services
        .ingest_report(None, ReportInput::new(rfc.clone(), Channel::Https))
        .await
        .unwrap();
    // 55 more (one per id), so the list has two pages of 50.
    let mut template: serde_json::Value = serde_json::from_slice(&fixture("good/no-timezone.json")).unwrap();
    let inputs = (0..55)
        .map(|i| {
            template["report-id"] = format!("bulk-{i:02}").into();
            ReportInput::new(serde_json::to_vec(&template).unwrap(), Channel::Import)
        })
        .collect();
    assert!(app.services.ingest_batch(None, inputs).await.iter().all(|r| r.is_ok()));
    let browser = app.browser(&owner).await;

    let page = body_text(
        app.send(browser.get("/domains/alpha.example/reports/list?sort=failed&dir=desc"))
            .await,
    )
    .await;
    assert!(page.contains("56 reports · page 1 of 2"), "{page}");
    assert_eq!(
        page.matches("<tr><td><a href=\"/domains/alpha.example/reports/")
            .count(),
        50
    );
    let first_row = page.split("<tbody>").nth(1).unwrap();
    assert!(first_row.find("Example Sender Inc.").unwrap() < first_row.find("Big Mail Corporation").unwrap());
    assert!(page.contains("aria-sort=\"descending\""), "{page}");
    let page2 = body_text(
        app.send(browser.get("/domains/alpha.example/reports/list?sort=failed&dir=desc&page=2"))
            .await,
    )
    .await;
    assert_eq!(
        page2
            .matches("<tr><td><a href=\"/domains/alpha.example/reports/")
            .count(),
        6
    );
    assert!(page2.contains("rel=\"prev\"") && !page2.contains("rel=\"next\""));

    // The detail page and the JSON exactly as the sender wrote it.
    let (rows, _) = app
        .db
        .store
        .tlsrpt_report_page(
            &alpha,
            &portcullis_domain::DomainName::parse("alpha.example").unwrap(),
            portcullis_store::ReportSort::Failed,
            true,
            1,
            0,
        )
        .await
        .unwrap();
    let id = rows[0].id;
    let page = body_text(
        app.send(browser.get(&format!("/domains/alpha.example/reports/{id}")))
            .await,
    )
    .await;
    assert!(page.contains("Report from Example Sender Inc."), "{page}");
    assert!(page.contains("<code>starttls-not-supported</code>"), "{page}");
    assert!(page.contains("HELO b.mx.alpha.example"), "{page}");
    assert!(page.contains("data-testid=\"report-json\""), "{page}");
    let res = app
        .send(browser.get(&format!("/domains/alpha.example/reports/{id}/report.json")))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(body_text(res).await.into_bytes(), rfc);
    // Under another domain's path, or for another organisation, the report does not exist.
    let res = app
        .send(browser.get(&format!("/domains/other.example/reports/{id}/report.json")))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let stranger = app.user("owner@beta.example", false).await;
    app.org("Beta", &stranger).await;
    let other = app.browser(&stranger).await;
    let res = app
        .send(other.get(&format!("/domains/alpha.example/reports/{id}/report.json")))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let page = body_text(
        app.send(other.get(&format!("/domains/alpha.example/reports/{id}")))
            .await,
    )
    .await;
    assert!(!page.contains("Report from"), "{page}");
    app.cleanup().await;
}

#[tokio::test]
async fn list_and_detail_sqlite() {
    list_and_detail(Kind::Sqlite).await;
}

#[tokio::test]
async fn list_and_detail_postgres() {
    list_and_detail(Kind::Postgres).await;
}

/// A fixture report moved to `days_ago` (UTC) with its own id.
fn recent(file: &str, days_ago: u64, id: &str) -> Vec<u8> {
    let mut report: serde_json::Value = serde_json::from_slice(&fixture(file)).unwrap();
    let day = chrono::Utc::now().date_naive() - chrono::Days::new(days_ago);
    report["date-range"] =
        serde_json::json!({"start-datetime": format!("{day}T00:00:00Z"), "end-datetime": format!("{day}T23:59:59Z")});
    report["report-id"] = id.into();
    serde_json::to_vec(&report).unwrap()
}

async fn trends(kind: Kind) {
    let app = TestApp::new(kind).await;
    let admin = app.user("admin@portcullis.test", true).await;
    let owner = app.user("owner@alpha.example", false).await;
    let alpha = app.org("Alpha", &owner).await;
    app.proven_domain(&alpha, "alpha.example").await;
    app.proven_domain(&alpha, "quiet.example").await;
    let other = app.user("owner@beta.example", false).await;
    let beta = app.org("Beta", &other).await;
    app.proven_domain(&beta, "beta.example").await;
    // alpha: 303 failed two days ago and 1 yesterday; beta: 2 yesterday (from two-domains);
    // one of alpha's 40 days ago, outside a 30-day period.
    for (file, days_ago, id) in [
        ("good/rfc-shape.json", 2, "a"),
        ("good/mx-host-string.json", 1, "b"),
        ("good/two-domains.json", 1, "c"),
        ("good/rfc-shape.json", 40, "old"),
    ] {
        app.services
            .ingest_report(None, ReportInput::new(recent(file, days_ago, id), Channel::Https))
            .await
            .unwrap();
    }
    let page = body_text(app.send(app.browser(&admin).await.get("/reports?days=30")).await).await;
    let rows: Vec<&str> = page
        .split("<tr data-domain=\"")
        .skip(1)
        .map(|r| r.split('"').next().unwrap())
        .collect();
    assert_eq!(rows, ["alpha.example", "beta.example", "quiet.example"], "{page}");
    // 303 + 1 + 1 (two-domains' alpha policy) failed; 5326 + 7 + 10 successful.
    assert!(page.contains("<span class=\"badge error\">305</span>"), "{page}");
    assert!(
        page.contains("alpha.example: 305 failed sessions over 30 days, at most 303 a day"),
        "{page}"
    );
    assert!(
        page.contains("beta.example: 2 failed sessions over 30 days, at most 2 a day"),
        "{page}"
    );
    // A member sees only their organisation; one organisation can be chosen.
    let page = body_text(app.send(app.browser(&owner).await.get("/reports")).await).await;
    assert!(
        page.contains("alpha.example") && !page.contains("beta.example"),
        "{page}"
    );
    let page = body_text(
        app.send(app.browser(&admin).await.get("/reports?org=beta&days=7"))
            .await,
    )
    .await;
    assert!(
        page.contains("data-domain=\"beta.example\"") && !page.contains("data-domain=\"alpha.example\""),
        "{page}"
    );
    let page = body_text(app.send(app.browser(&admin).await.get("/reports?days=100")).await).await;
    assert!(page.contains("data-domain=\"alpha.example\""), "{page}");
    assert!(
        page.contains("at most 303 a day"),
        "the 40-day-old report counts now: {page}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn trends_sqlite() {
    trends(Kind::Sqlite).await;
}

#[tokio::test]
async fn trends_postgres() {
    trends(Kind::Postgres).await;
}
