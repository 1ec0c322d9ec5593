//! Certificate rows on SQLite and PostgreSQL: success resets failures, failures count up and keep
//! the held certificate, and only domains with a policy are candidates.

use portcullis_domain::{DomainName, Mode, MxPattern, OrgName, Policy};
use portcullis_store::testing::{Kind, TestDb};

async fn certificate_lifecycle(kind: Kind) {
    let db = TestDb::new(kind).await;
    let s = &db.store;
    let name = OrgName::parse("Acme").unwrap();
    s.create_org(&name, &name.slug().unwrap(), None).await.unwrap();
    let access = s.operator_access(&name.slug().unwrap()).await.unwrap().unwrap();
    let d = DomainName::parse("example.com").unwrap();
    s.add_domain(&access, &d).await.unwrap();
    s.prove_domain(&d, "operator").await.unwrap();
    let idle = DomainName::parse("idle.example").unwrap();
    s.add_domain(&access, &idle).await.unwrap();
    s.prove_domain(&idle, "operator").await.unwrap();
    assert!(
        s.cert_candidates().await.unwrap().is_empty(),
        "no policy, no certificate"
    );
    let policy = Policy::new(Mode::Testing, 86_400, vec![MxPattern::parse("mx.example.com").unwrap()]).unwrap();
    s.save_policy(&access, &d, &policy, "t", "first").await.unwrap();
    let due = s.cert_candidates().await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].name.as_str(), due[0].not_after, due[0].failures),
        ("mta-sts.example.com", None, 0)
    );

    s.record_cert_failure("example.com", "waiting for DNS", 100)
        .await
        .unwrap();
    s.record_cert_failure("example.com", "still waiting", 200)
        .await
        .unwrap();
    let state = s.cert_state(&access, &d).await.unwrap().unwrap();
    assert_eq!((state.failures, state.next_attempt_at), (2, 200));
    assert_eq!(state.last_error.as_deref(), Some("still waiting"));
    assert!(s.certificates().await.unwrap().is_empty());

    s.save_certificate("example.com", "CERT", "KEY", 5_000).await.unwrap();
    let state = s.cert_state(&access, &d).await.unwrap().unwrap();
    assert_eq!(
        (state.failures, state.not_after, state.last_error),
        (0, Some(5_000), None)
    );
    s.record_cert_failure("example.com", "renewal failed", 300)
        .await
        .unwrap();
    let held = s.certificates().await.unwrap();
    assert_eq!(held.len(), 1, "a failed renewal keeps the certificate in service");
    assert_eq!((held[0].cert_pem.as_str(), held[0].not_after), ("CERT", 5_000));

    assert!(s.acme_account("https://acme.test/dir").await.unwrap().is_none());
    s.save_acme_account("https://acme.test/dir", "{\"a\":1}").await.unwrap();
    s.save_acme_account("https://acme.test/dir", "{\"a\":2}").await.unwrap();
    assert_eq!(
        s.acme_account("https://acme.test/dir").await.unwrap().as_deref(),
        Some("{\"a\":2}")
    );

    s.delete_domain(&access, &d).await.unwrap();
    assert!(
        s.certificates().await.unwrap().is_empty(),
        "deleting the domain drops its certificate"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn certificate_lifecycle_on_sqlite() {
    certificate_lifecycle(Kind::Sqlite).await;
}

#[tokio::test]
async fn certificate_lifecycle_on_postgres() {
    certificate_lifecycle(Kind::Postgres).await;
}
