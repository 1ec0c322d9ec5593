//! Report provenance on SQLite and PostgreSQL: report mail DKIM-verified against a key served by
//! a real DNS server on loopback (a signed mail authenticated, a tampered one not), how each
//! report arrived kept and shown, a re-send whose content differs kept aside and flagged while
//! identical re-sends stay plain duplicates, and the enforce gate counting distinct sources
//! rather than the organisation names reports claim.

use crate::common;

use axum::http::StatusCode;
use base64::Engine;
use common::{api, body_json, body_text, TestApp};
use mail_auth::common::crypto::Ed25519Key;
use mail_auth::dkim::DkimSigner;
use portcullis_dnscheck::testing::TestDns;
use portcullis_domain::tlsrpt::Provenance;
use portcullis_domain::{DomainName, Mode, PolicySpec};
use portcullis_service::{Channel, DkimCheck, ReportInput};
use portcullis_store::testing::Kind;
use serde_json::json;

const DOMAIN: &str = "alpha.example";

/// A report of yesterday from `org` with `ok` successful sessions.
fn report(org: &str, id: &str, ok: i64) -> Vec<u8> {
    let day = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    serde_json::to_vec(&json!({
        "organization-name": org,
        "report-id": id,
        "date-range": {"start-datetime": format!("{day}T00:00:00Z"), "end-datetime": format!("{day}T23:59:59Z")},
        "policies": [{"policy": {"policy-type": "sts", "policy-domain": DOMAIN, "mx-host": ["mx1.alpha.example"]},
            "summary": {"total-successful-session-count": ok, "total-failure-session-count": 0}}]
    }))
    .unwrap()
}

fn mail(json: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(json);
    format!(
        "From: tlsrpt@sender.example\r\n\
         To: reports@portcullis.example\r\n\
         Subject: Report Domain: alpha.example Submitter: sender.example\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; boundary=\"b1\"; report-type=tlsrpt\r\n\
         \r\n\
         --b1\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         A TLS report.\r\n\
         --b1\r\n\
         Content-Type: application/tlsrpt+json\r\n\
         Content-Disposition: attachment; filename=\"report.json\"\r\n\
         Content-Transfer-Encoding: base64\r\n\
         \r\n\
         {b64}\r\n\
         --b1--\r\n"
    )
    .into_bytes()
}

fn signed(key_der: &[u8], message: &[u8]) -> Vec<u8> {
    let signature = DkimSigner::from_key(Ed25519Key::from_pkcs8_der(key_der).unwrap())
        .domain("sender.example")
        .selector("s1")
        .headers(["From", "To", "Subject"])
        .sign(message)
        .unwrap();
    use mail_auth::common::headers::HeaderWriter;
    let mut out = signature.to_header().into_bytes();
    out.extend_from_slice(message);
    out
}

async fn provenance(kind: Kind) {
    let dns = TestDns::start().await;
    let key_der = Ed25519Key::generate_pkcs8().unwrap();
    let public = Ed25519Key::from_pkcs8_der(&key_der).unwrap().public_key();
    let record = format!(
        "v=DKIM1; k=ed25519; p={}",
        base64::engine::general_purpose::STANDARD.encode(public)
    );
    dns.set_txt("s1._domainkey.sender.example", &[record.as_str()]).await;
    let dkim = DkimCheck::new(Some(dns.addr())).unwrap();
    let app = TestApp::configured(kind, |s| s.with_dkim(dkim)).await;
    let owner = app.user("owner@alpha.example", false).await;
    let alpha = app.org("Alpha", &owner).await;
    app.proven_domain(&alpha, DOMAIN).await;
    let domain = DomainName::parse(DOMAIN).unwrap();
    let store = &app.db.store;
    let https = |json: Vec<u8>, ip: &str| {
        let mut input = ReportInput::new(json, Channel::Https);
        input.provenance = Provenance::https(ip.parse().unwrap(), Some(("TLSv1_3", "TLS13_AES_128_GCM_SHA256")));
        input
    };
    let spec = PolicySpec {
        mode: Mode::Testing,
        max_age: 604_800,
        mx: vec!["mx1.alpha.example".into()],
    };
    app.services.save_policy(&alpha, DOMAIN, &spec, "owner").await.unwrap();
    let (token, _) = app.services.create_token(&alpha, "ro", "viewer").await.unwrap();
    let window = || async {
        let res = app
            .send(api(
                "GET",
                &format!("/api/v1/domains/{DOMAIN}/readiness"),
                Some(&token),
                None,
            ))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let body = body_json(res).await;
        let reports_ok = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["code"] == "reports")
            .unwrap()["ok"]
            .clone();
        (body["window"].clone(), reports_ok)
    };

    // Five reports naming five organisations, all POSTed from one address: one source, and the
    // gate's reports item refuses.
    for (org, id) in [
        ("microsoft.com", "m1"),
        ("yahoo.com", "y1"),
        ("comcast.net", "c1"),
        ("gmx.net", "x1"),
        ("web.de", "w1"),
    ] {
        app.services
            .ingest_report(None, https(report(org, id, 10), "198.51.100.1"))
            .await
            .unwrap();
    }
    let (w, reports_ok) = window().await;
    assert_eq!(
        (w["reports"].clone(), w["organizations"].clone(), w["sources"].clone()),
        (json!(5), json!(5), json!(1))
    );
    assert_eq!(reports_ok, false, "{w}");

    // A signed mail over SMTP: authenticated by its signing domain.
    let outcome = app
        .services
        .ingest_mail(
            None,
            signed(&key_der, &mail(&report("google.com", "r1", 100))),
            Channel::Smtp,
            Some("192.0.2.7"),
            Some("TLSv1_3"),
        )
        .await;
    assert!(outcome.results[0].1.as_ref().unwrap().outcome.is_new(), "{outcome:?}");
    // The same signed mail with its attachment changed on the way: not authenticated.
    let mut tampered = signed(&key_der, &mail(&report("google.com", "r2", 100)));
    let forged = mail(&report("google.com", "r2", 999));
    let body_at = tampered.windows(4).position(|w| w == b"--b1").unwrap();
    let forged_at = forged.windows(4).position(|w| w == b"--b1").unwrap();
    tampered.truncate(body_at);
    tampered.extend_from_slice(&forged[forged_at..]);
    let outcome = app
        .services
        .ingest_mail(None, tampered, Channel::Smtp, Some("192.0.2.7"), None)
        .await;
    assert!(outcome.results[0].1.as_ref().unwrap().outcome.is_new(), "{outcome:?}");
    let rows = store.tlsrpt_reports(&alpha, &domain, 10, 0).await.unwrap();
    let by_id = |id: &str| rows.iter().find(|r| r.report_id == id).unwrap().clone();
    let (r1, r2) = (by_id("r1"), by_id("r2"));
    assert_eq!(r1.dkim_domain.as_deref(), Some("sender.example"));
    assert_eq!(
        r1.arrival.as_deref(),
        Some("mail via SMTP from 192.0.2.7 over TLSv1_3, DKIM pass (d=sender.example)")
    );
    assert_eq!(r2.dkim_domain, None);
    let arrival = r2.arrival.clone().unwrap();
    assert!(
        arrival.starts_with("mail via SMTP from 192.0.2.7 without TLS, DKIM fail (d=sender.example: "),
        "{arrival}"
    );
    assert_eq!(r2.successful, 999);

    // r1 again with other content, over HTTPS from elsewhere: kept aside and flagged, the stored
    // report unchanged; the same again, and r1 identical, are plain duplicates.
    for _ in 0..2 {
        let ingested = app
            .services
            .ingest_report(None, https(report("google.com", "r1", 5), "203.0.113.66"))
            .await
            .unwrap();
        assert!(!ingested.outcome.is_new());
        assert!(ingested.outcome.stored[0].differs);
    }
    let again = app
        .services
        .ingest_report(None, https(report("google.com", "r1", 100), "203.0.113.66"))
        .await
        .unwrap();
    assert!(!again.outcome.stored[0].differs);
    let r1_row = store
        .tlsrpt_reports(&alpha, &domain, 10, 0)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.report_id == "r1")
        .unwrap();
    assert_eq!((r1_row.successful, r1_row.resends), (100, 1));
    let detail = store.tlsrpt_report(&alpha, r1_row.id).await.unwrap();
    assert_eq!(detail.resends.len(), 1);
    assert_eq!(
        detail.resends[0].arrival.as_deref(),
        Some("HTTPS from 203.0.113.66 over TLSv1_3 (TLS13_AES_128_GCM_SHA256)")
    );
    let b = app.browser(&owner).await;
    let page = body_text(
        app.send(b.get(&format!("/domains/{DOMAIN}/reports/{}", r1_row.id)))
            .await,
    )
    .await;
    assert!(
        page.contains("authenticated: DKIM signature of sender.example"),
        "{page}"
    );
    assert!(page.contains("Differing re-sends, kept aside"), "{page}");
    assert!(page.contains("HTTPS from 203.0.113.66 over TLSv1_3"), "{page}");

    // An unsigned mail fetched from the mailbox: not authenticated, and why.
    let outcome = app
        .services
        .ingest_mail(None, mail(&report("google.com", "r3", 1)), Channel::Imap, None, None)
        .await;
    assert!(outcome.results[0].1.as_ref().unwrap().outcome.is_new(), "{outcome:?}");
    let r3 = store
        .tlsrpt_reports(&alpha, &domain, 10, 0)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.report_id == "r3")
        .unwrap();
    assert_eq!(
        (r3.arrival.as_deref(), r3.dkim_domain.as_deref()),
        (
            Some("mail fetched from the IMAP mailbox, no valid DKIM (no signature)"),
            None
        )
    );

    // Eight reports from six organisations through four sources: sender.example's signature,
    // 192.0.2.7 (the tampered mail), 198.51.100.1 and the mailbox. The gate's item passes.
    let (w, reports_ok) = window().await;
    assert_eq!(w["reports"], 8);
    assert_eq!(w["organizations"], 6);
    assert_eq!(w["sources"], 4);
    assert_eq!(w["authenticated_sources"], 1);
    assert_eq!(reports_ok, true, "{w}");
    app.cleanup().await;
}

#[tokio::test]
async fn provenance_on_sqlite() {
    provenance(Kind::Sqlite).await;
}

#[tokio::test]
async fn provenance_on_postgres() {
    provenance(Kind::Postgres).await;
}
