//! Two instances on one PostgreSQL database, each with its own connection pool and served-policy
//! snapshot: what one saves, the other serves within a second (announced by NOTIFY), long before
//! its 30-second reload.

use portcullis_domain::{Mode, PolicySpec};
use portcullis_service::Services;
use portcullis_store::testing::{Kind, TestDb};
use portcullis_store::Store;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Waits up to `limit` for `served` to hold; returns how long it took.
async fn within(limit: Duration, served: impl Fn() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if served() {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn a_policy_saved_on_one_instance_is_served_by_the_other_within_a_second() {
    let db = TestDb::new(Kind::Postgres).await;
    let a = Services::new(db.store.clone()).await.unwrap();
    let b = Services::new(Store::connect(&db.url).await.unwrap()).await.unwrap();
    assert!(a.follows_changes() && b.follows_changes());
    assert_ne!(a.instance(), b.instance());
    let certificate_reloads = Arc::new(AtomicUsize::new(0));
    let follower = {
        let (b, reloads) = (b.clone(), certificate_reloads.clone());
        tokio::spawn(async move {
            b.follow_changes(|| {
                let reloads = reloads.clone();
                async move {
                    reloads.fetch_add(1, Ordering::SeqCst);
                }
            })
            .await
        })
    };
    // The follower reloads once as it starts listening.
    within(Duration::from_secs(5), || {
        certificate_reloads.load(Ordering::SeqCst) == 1
    })
    .await
    .expect("the follower listens");

    let login = a
        .setup_first_admin("owner@example.com", "correct horse battery", "correct horse battery")
        .await
        .unwrap();
    let org = a.create_org(&login.user, "Acme").await.unwrap();
    let owner = a.org_access(&login.user, &org.slug).await.unwrap();
    a.add_domain(&owner, "example.com").await.unwrap();
    a.prove_as_operator(&portcullis_service::Operator::new(db.store.clone()), "example.com")
        .await
        .unwrap();
    let spec = PolicySpec {
        mode: Mode::Testing,
        max_age: 86_400,
        mx: vec!["mx1.example.com".into()],
    };
    a.save_policy(&owner, "example.com", &spec, "owner@example.com")
        .await
        .unwrap();
    let served = a
        .served_policy("example.com")
        .expect("served at once where it was saved");
    let took = within(Duration::from_secs(1), || {
        b.served_policy("example.com").as_deref() == Some(&*served)
    })
    .await
    .expect("the other instance serves the saved policy within a second");
    eprintln!("served by the other instance after {took:?}");

    let changed = PolicySpec {
        mx: vec!["mx2.example.com".into()],
        ..spec
    };
    a.save_policy(&owner, "example.com", &changed, "owner@example.com")
        .await
        .unwrap();
    let served = a.served_policy("example.com").unwrap();
    assert!(served.contains("mx2.example.com"));
    within(Duration::from_secs(1), || {
        b.served_policy("example.com").as_deref() == Some(&*served)
    })
    .await
    .expect("a changed policy reaches the other instance within a second");

    follower.abort();
    db.cleanup().await;
}

#[tokio::test]
async fn on_sqlite_there_is_nothing_to_follow() {
    let db = TestDb::new(Kind::Sqlite).await;
    let s = Services::new(db.store.clone()).await.unwrap();
    assert!(!s.follows_changes());
    // Returns at once instead of waiting for announcements that never come.
    tokio::time::timeout(Duration::from_secs(5), s.follow_changes(|| async {}))
        .await
        .unwrap();
    db.cleanup().await;
}

/// A redirect may land on the other instance: the one-time message (here carrying a secret) is
/// there, shown once, and unreadable to another session.
#[tokio::test]
async fn one_time_messages_survive_a_redirect_to_the_other_instance() {
    let db = TestDb::new(Kind::Postgres).await;
    let a = Services::new(db.store.clone()).await.unwrap();
    let b = Services::new(Store::connect(&db.url).await.unwrap()).await.unwrap();
    let secret = "pct_0123456789abcdef".to_string();
    a.push_flash("session-1", &("token created", secret.clone()))
        .await
        .unwrap();
    a.push_flash("session-1", &("second", String::new())).await.unwrap();
    assert!(
        b.take_flashes::<(String, String)>("session-2")
            .await
            .unwrap()
            .is_empty(),
        "another session has none"
    );
    let shown: Vec<(String, String)> = b.take_flashes("session-1").await.unwrap();
    assert_eq!(shown[0], ("token created".to_string(), secret.clone()));
    assert_eq!(shown.len(), 2, "in order, both");
    assert!(
        a.take_flashes::<(String, String)>("session-1")
            .await
            .unwrap()
            .is_empty(),
        "once"
    );
    // What the database holds does not show the secret.
    a.push_flash("session-1", &secret).await.unwrap();
    let held = db
        .scalar("SELECT count(*) FROM flash_messages WHERE sealed LIKE '%' || '30313233' || '%'")
        .await;
    assert_eq!(held, 0, "the secret is not stored readable (not even as hex)");
    assert_eq!(
        db.scalar("SELECT count(*) FROM flash_messages WHERE sealed LIKE '%pct_%'")
            .await,
        0
    );
    db.cleanup().await;
}

/// Sign-in attempts count across instances: spreading guesses over them buys nothing.
#[tokio::test]
async fn sign_in_throttles_count_across_instances() {
    let db = TestDb::new(Kind::Postgres).await;
    let a = Services::new(db.store.clone()).await.unwrap();
    let b = Services::new(Store::connect(&db.url).await.unwrap()).await.unwrap();
    a.setup_first_admin("owner@example.com", "correct horse battery", "correct horse battery")
        .await
        .unwrap();
    for (i, instance) in [&a, &b, &a, &b, &a].into_iter().enumerate() {
        let refused = instance
            .login("owner@example.com", "wrong", &format!("10.0.0.{i}"))
            .await;
        assert!(matches!(refused, Err(portcullis_service::ServiceError::Invalid { .. })));
    }
    let locked = b.login("owner@example.com", "correct horse battery", "10.0.0.9").await;
    assert!(
        matches!(locked, Err(portcullis_service::ServiceError::Throttled { retry_after_secs }) if retry_after_secs > 0),
        "the account is locked on every instance"
    );
    db.cleanup().await;
}

/// A sender's report allowance is one across the instances, not one per instance.
#[tokio::test]
async fn report_rate_limits_count_across_instances() {
    let db = TestDb::new(Kind::Postgres).await;
    let config = || portcullis_service::IngestConfig {
        per_client_per_minute: 2,
        ..Default::default()
    };
    let a = Services::new(db.store.clone())
        .await
        .unwrap()
        .with_ingest_config(config());
    let b = Services::new(Store::connect(&db.url).await.unwrap())
        .await
        .unwrap()
        .with_ingest_config(config());
    assert_eq!(a.report_rate_check("192.0.2.1").await, Ok(()));
    assert_eq!(b.report_rate_check("192.0.2.1").await, Ok(()));
    let wait = b.report_rate_check("192.0.2.1").await.unwrap_err();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(a.report_rate_check("192.0.2.1").await.is_err(), "on either instance");
    assert_eq!(a.report_rate_check("192.0.2.2").await, Ok(()), "per sender");
    db.cleanup().await;
}
