//! Claims on names registered but never proven, against a real DNS server: another
//! organisation claims the name, its own token in a TXT record proves it, the unproven
//! registration is released (its owners find a notice) and the name is registered, proven, for
//! the claimant. A proven registration cannot be claimed. On SQLite and PostgreSQL, and through
//! the API.

use crate::common::{api, body_json, TestApp};
use axum::http::StatusCode;
use portcullis_dnscheck::testing::TestDns;
use portcullis_dnscheck::{CheckSettings, Checker, Dns};
use portcullis_domain::dns::ReportAddresses;
use portcullis_service::{ClaimCheck, DnsConfig, ServiceError};
use portcullis_store::testing::Kind;
use serde_json::json;

const NAME: &str = "squat.test";

async fn claims(kind: Kind) {
    let dns = TestDns::start().await;
    let checker = Checker::new(Dns::new(Some(dns.addr())).unwrap(), CheckSettings::default()).unwrap();
    let config = DnsConfig {
        public_host: Some("portcullis.test".into()),
        reports: ReportAddresses::default(),
        zone: Some("sts.portcullis.test".into()),
    };
    let app = TestApp::with_checker(kind, checker, config).await;
    let squatter = app.user("squatter@example.com", false).await;
    let owner = app.user("owner@example.com", false).await;
    let a = app.org("Squatters", &squatter).await;
    let b = app.org("Owners", &owner).await;
    let s = &app.services;
    s.add_domain(&a, NAME).await.unwrap();
    s.save_policy(
        &a,
        NAME,
        &portcullis_domain::PolicySpec {
            mode: portcullis_domain::Mode::Testing,
            max_age: 86_400,
            mx: vec!["mx.evil.test".into()],
        },
        "squatter",
    )
    .await
    .unwrap();

    // Adding it again says how to claim it; claiming gives B a token of its own.
    let taken = s.add_domain(&b, NAME).await.unwrap_err();
    assert!(
        matches!(&taken, ServiceError::Conflict(m) if m.contains("claim it")),
        "{taken:?}"
    );
    let claim = s.claim_domain(&b, NAME, "owner").await.unwrap();
    assert_eq!(claim.record.name, format!("_portcullis-challenge.{NAME}"));
    let a_token = s.domain_in(&a, NAME).await.unwrap().proof_token;
    assert!(
        !claim.record.value.contains(&a_token),
        "the claim has a token of its own"
    );
    assert_eq!(
        claim.delegation.len(),
        3,
        "delegation CNAMEs under the claim's token prove it too"
    );
    assert!(matches!(
        s.claim_domain(&a, NAME, "squatter").await.unwrap_err(),
        ServiceError::Invalid { .. }
    ));

    // Not yet: nothing in DNS. The squatter's own token proves nothing for B either.
    let not_yet = s.check_claim(&b, NAME).await.unwrap();
    assert!(matches!(not_yet, ClaimCheck::NotYet { .. }), "{not_yet:?}");
    dns.set_txt(&claim.record.name, &[&format!("portcullis-proof={a_token}")])
        .await;
    assert!(matches!(
        s.check_claim(&b, NAME).await.unwrap(),
        ClaimCheck::NotYet { .. }
    ));

    // B's token: released to B, proven, nothing of A's left; A is told.
    dns.set_txt(&claim.record.name, &[&claim.record.value]).await;
    let done = s.check_claim(&b, NAME).await.unwrap();
    assert_eq!(
        done,
        ClaimCheck::Released {
            how: "txt record".into()
        }
    );
    let row = s.domain_in(&b, NAME).await.unwrap();
    assert!(row.proven(), "{row:?}");
    assert_eq!(
        row.proof_token,
        claim.record.value.trim_start_matches("portcullis-proof=")
    );
    assert!(matches!(
        s.domain_in(&a, NAME).await.unwrap_err(),
        ServiceError::NotFound
    ));
    assert!(
        s.policy_state(&b, NAME).await.unwrap().current.is_none(),
        "A's policy went with it"
    );
    let notices = s.org_notices(&a).await.unwrap();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].detail.contains(NAME) && notices[0].detail.contains("released"));
    assert!(s.org_notices(&b).await.unwrap().is_empty());
    assert!(s.domain_claims(&b).await.unwrap().is_empty(), "the claim is closed");

    // Now proven: A cannot claim it back.
    let back = s.claim_domain(&a, NAME, "squatter").await.unwrap_err();
    assert!(matches!(back, ServiceError::Conflict(_)), "{back:?}");

    // Through the API: a name nobody registered cannot be claimed; a claim opens, shows, is withdrawn.
    s.add_domain(&a, "other.test").await.unwrap();
    let token = s.create_token(&b, "ci", "editor").await.unwrap().0;
    let res = app
        .send(api(
            "POST",
            "/api/v1/claims",
            Some(&token),
            Some(json!({"name": "nobody.test"})),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .send(api(
            "POST",
            "/api/v1/claims",
            Some(&token),
            Some(json!({"name": "other.test"})),
        ))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body = body_json(res).await;
    assert_eq!(body["record"]["type"], "TXT");
    let res = app.send(api("GET", "/api/v1/claims", Some(&token), None)).await;
    assert_eq!(body_json(res).await["claims"][0]["name"], "other.test");
    let res = app
        .send(api("POST", "/api/v1/claims/other.test/check", Some(&token), None))
        .await;
    assert_eq!(body_json(res).await["proven"], false);
    let res = app
        .send(api("DELETE", "/api/v1/claims/other.test", Some(&token), None))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .send(api("DELETE", "/api/v1/claims/other.test", Some(&token), None))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.cleanup().await;
}

#[tokio::test]
async fn claims_sqlite() {
    claims(Kind::Sqlite).await;
}

#[tokio::test]
async fn claims_postgres() {
    claims(Kind::Postgres).await;
}
