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
