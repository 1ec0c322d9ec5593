//! Policy versions, the served snapshot and "generate from MX", on SQLite and PostgreSQL, with
//! a real DNS server on loopback.

use portcullis_dnscheck::testing::TestDns;
use portcullis_dnscheck::Dns;
use portcullis_domain::{Mode, PolicySpec};
use portcullis_service::{ServiceError, Services};
use portcullis_store::testing::{Kind, TestDb};
use portcullis_store::{OrgAccess, SaveOutcome};

fn spec(mode: Mode, max_age: u64, mx: &[&str]) -> PolicySpec {
    PolicySpec {
        mode,
        max_age,
        mx: mx.iter().map(|s| s.to_string()).collect(),
    }
}

async fn org_with_domain(db: &TestDb, s: &Services, domain: &str) -> (OrgAccess, OrgAccess) {
    let login = s
        .setup_first_admin("owner@example.com", "correct horse battery", "correct horse battery")
        .await
        .unwrap();
    let org = s.create_org(&login.user, "Acme").await.unwrap();
    let owner = s.org_access(&login.user, &org.slug).await.unwrap();
    s.add_domain(&owner, domain).await.unwrap();
    s.prove_as_operator(&portcullis_service::Operator::new(db.store.clone()), domain)
        .await
        .unwrap();
    let (viewer_user, _) = s
        .create_user_with_one_time_password("viewer@example.com", false)
        .await
        .unwrap();
    db.store
        .set_member(&owner, &viewer_user, portcullis_domain::Role::Viewer)
        .await
        .unwrap();
    let viewer = s.org_access(&viewer_user, &org.slug).await.unwrap();
    (owner, viewer)
}

async fn versions_snapshot_and_rights(kind: Kind) {
    let db = TestDb::new(kind).await;
    let s = Services::new(db.store.clone()).await.unwrap();
    let (owner, viewer) = org_with_domain(&db, &s, "example.com").await;

    let state = s.policy_state(&owner, "example.com").await.unwrap();
    assert!(state.current.is_none() && state.policy.is_none());
    assert!(s.served_policy("example.com").is_none());

    let first = match s
        .save_policy(
            &owner,
            "Example.COM",
            &spec(Mode::Testing, 86_400, &["mx1.example.com"]),
            "owner@example.com",
        )
        .await
        .unwrap()
    {
        SaveOutcome::Saved(v) => v,
        other => panic!("expected a new version, got {other:?}"),
    };
    assert_eq!(
        first.body,
        "version: STSv1\r\nmode: testing\r\nmx: mx1.example.com\r\nmax_age: 86400\r\n"
    );
    assert_eq!(first.note, "first policy (testing, 1 mx)");
    assert_eq!(first.author, "owner@example.com");
    assert_eq!(first.policy_id.len(), 15, "{}", first.policy_id);
    assert_eq!(s.served_policy("example.com").as_deref(), Some(first.body.as_str()));

    // Same text: no new version, no new id (senders would re-fetch for nothing).
    let again = s
        .save_policy(
            &owner,
            "example.com",
            &spec(Mode::Testing, 86_400, &["MX1.example.com."]),
            "x",
        )
        .await
        .unwrap();
    assert_eq!(again, SaveOutcome::Unchanged(first.clone()));

    // A change within the same second still gets a different id.
    let second = match s
        .save_policy(
            &owner,
            "example.com",
            &spec(Mode::Testing, 86_400, &["mx1.example.com", "*.backup.example.com"]),
            "owner@example.com",
        )
        .await
        .unwrap()
    {
        SaveOutcome::Saved(v) => v,
        other => panic!("{other:?}"),
    };
    assert_ne!(second.policy_id, first.policy_id);
    assert_eq!(second.note, "added mx *.backup.example.com");
    let versions = s.policy_versions(&viewer, "example.com").await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.policy_id.as_str()).collect::<Vec<_>>(),
        vec![second.policy_id.as_str(), first.policy_id.as_str()]
    );
    let (state, history) = s.policy_with_history(&viewer, "example.com").await.unwrap();
    assert_eq!(state.current.as_ref(), history.first());
    assert_eq!(state.policy.unwrap().render(), second.body);
    assert_eq!(history, versions);
    let (v, previous) = s
        .policy_version(&viewer, "example.com", &first.policy_id)
        .await
        .unwrap();
    assert_eq!((v, previous), (first.clone(), None));
    assert_eq!(
        s.policy_version(&viewer, "example.com", "nope").await.unwrap_err(),
        ServiceError::NotFound
    );

    // Viewers read but do not write; bad input names the field.
    assert_eq!(
        s.save_policy(
            &viewer,
            "example.com",
            &spec(Mode::Enforce, 86_400, &["mx1.example.com"]),
            "v"
        )
        .await
        .unwrap_err(),
        ServiceError::Forbidden
    );
    let e = s
        .save_policy(&owner, "example.com", &spec(Mode::Testing, 86_400, &["192.0.2.1"]), "o")
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Invalid { field: "mx", .. }), "{e:?}");
    let e = s
        .save_policy(
            &owner,
            "example.com",
            &spec(Mode::Testing, 40_000_000, &["a.example.com"]),
            "o",
        )
        .await
        .unwrap_err();
    assert!(matches!(e, ServiceError::Invalid { field: "max_age", .. }), "{e:?}");
    assert_eq!(
        s.save_policy(
            &owner,
            "unknown.example",
            &spec(Mode::Testing, 86_400, &["a.example.com"]),
            "o"
        )
        .await
        .unwrap_err(),
        ServiceError::NotFound
    );

    // A fresh process (or a periodic refresh) rebuilds the same snapshot from the database.
    let other = Services::new(db.store.clone()).await.unwrap();
    assert!(other.served_policy("example.com").is_none());
    assert_eq!(other.refresh_snapshot().await.unwrap(), 1);
    assert_eq!(
        other.served_policy("example.com").as_deref(),
        Some(second.body.as_str())
    );

    // A domain whose policy is served cannot be deleted outright: it must be removed first
    // ("mode: none" for the old max_age), or senders' cached policies would outlive it.
    let refused = s.delete_domain(&owner, "example.com").await.unwrap_err();
    assert!(
        matches!(&refused, ServiceError::Conflict(m) if m.contains("remove MTA-STS first")),
        "{refused:?}"
    );
    assert!(s.served_policy("example.com").is_some());
    db.cleanup().await;
}

#[tokio::test]
async fn versions_snapshot_and_rights_on_sqlite() {
    versions_snapshot_and_rights(Kind::Sqlite).await;
}

#[tokio::test]
async fn versions_snapshot_and_rights_on_postgres() {
    versions_snapshot_and_rights(Kind::Postgres).await;
}

#[tokio::test]
async fn generate_from_mx_proposes_patterns_and_flags_what_the_current_policy_misses() {
    let dns_server = TestDns::start().await;
    let db = TestDb::sqlite().await;
    let s = Services::new(db.store.clone())
        .await
        .unwrap()
        .with_dns(Dns::new(Some(dns_server.addr())).unwrap());
    let (owner, _) = org_with_domain(&db, &s, "contoso.test").await;
    s.add_domain(&owner, "nullmx.test").await.unwrap();

    dns_server
        .set_mx(
            "contoso.test",
            &[
                (10, "contoso-test.mail.protection.outlook.com"),
                (20, "backup.contoso.test"),
            ],
        )
        .await;
    s.save_policy(
        &owner,
        "contoso.test",
        &spec(Mode::Testing, 86_400, &["backup.contoso.test"]),
        "o",
    )
    .await
    .unwrap();
    let p = s.propose_from_mx(&owner, "contoso.test").await.unwrap();
    assert_eq!(p.explanation, None);
    let proposed: Vec<_> = p.suggestion.patterns.iter().map(|x| x.pattern.as_str()).collect();
    assert_eq!(proposed, vec!["*.mail.protection.outlook.com", "backup.contoso.test"]);
    assert_eq!(p.current_coverage.len(), 2);
    assert!(
        p.current_coverage[0].covered_by.is_empty(),
        "the outlook MX is not in the current policy"
    );
    assert_eq!(p.current_coverage[1].covered_by[0].as_str(), "backup.contoso.test");

    dns_server.set_mx("nullmx.test", &[(0, ".")]).await;
    let p = s.propose_from_mx(&owner, "nullmx.test").await.unwrap();
    assert!(p.suggestion.patterns.is_empty());
    assert!(p.explanation.unwrap().contains("null MX"));

    // Without a resolver the user is told why, not given an internal error.
    let no_dns = Services::new(db.store.clone()).await.unwrap();
    assert!(matches!(
        no_dns.propose_from_mx(&owner, "contoso.test").await,
        Err(ServiceError::Unavailable(_))
    ));
    db.cleanup().await;
}
