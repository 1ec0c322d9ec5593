//! State every instance shares through the database: attempt counters (a limit holds however
//! attempts race, windows end, forgiven attempts do not count) and one-time messages (taken once,
//! in order, per session).

use portcullis_store::testing::{Kind, TestDb};

async fn counters_hold_their_limit(kind: Kind) {
    let db = TestDb::new(kind).await;
    let s = &db.store;
    for _ in 0..3 {
        assert_eq!(s.count_attempt("a", 3, 900).await.unwrap(), Ok(()));
    }
    let wait = s.count_attempt("a", 3, 900).await.unwrap().unwrap_err();
    assert!((1..=900).contains(&wait), "{wait}");
    assert_eq!(s.count_attempt("b", 3, 900).await.unwrap(), Ok(()), "per key");
    s.forgive_attempt("a").await.unwrap();
    assert_eq!(
        s.count_attempt("a", 3, 900).await.unwrap(),
        Ok(()),
        "a forgiven attempt"
    );
    assert!(s.count_attempt("a", 3, 900).await.unwrap().is_err());
    s.reset_attempts("a").await.unwrap();
    assert_eq!(s.count_attempt("a", 3, 900).await.unwrap(), Ok(()), "after a reset");
    // A window of no length is always over: every attempt starts a new one.
    for _ in 0..5 {
        assert_eq!(s.count_attempt("c", 1, 0).await.unwrap(), Ok(()));
    }
    assert_eq!(s.purge_counters(0).await.unwrap(), 3, "every window is over");

    // Sixteen attempts at once on a limit of five: exactly five pass.
    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let store = db.store.clone();
        racers.spawn(async move { store.count_attempt("race", 5, 900).await });
    }
    let mut passed = 0;
    while let Some(r) = racers.join_next().await {
        passed += r.unwrap().unwrap().is_ok() as usize;
    }
    assert_eq!(passed, 5);
    db.cleanup().await;
}

async fn flashes_are_taken_once(kind: Kind) {
    let db = TestDb::new(kind).await;
    let s = &db.store;
    s.push_flash("session-1", "first").await.unwrap();
    s.push_flash("session-1", "second").await.unwrap();
    s.push_flash("session-2", "other").await.unwrap();
    assert_eq!(s.take_flashes("session-1").await.unwrap(), ["first", "second"]);
    assert!(s.take_flashes("session-1").await.unwrap().is_empty(), "taken once");
    db.execute("UPDATE flash_messages SET created_at = created_at - 601")
        .await;
    assert_eq!(s.purge_flashes().await.unwrap(), 1);
    s.push_flash("session-2", "late").await.unwrap();
    db.execute("UPDATE flash_messages SET created_at = created_at - 601")
        .await;
    assert!(
        s.take_flashes("session-2").await.unwrap().is_empty(),
        "an expired message is never shown"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn shared_state_on_sqlite() {
    counters_hold_their_limit(Kind::Sqlite).await;
    flashes_are_taken_once(Kind::Sqlite).await;
}

#[tokio::test]
async fn shared_state_on_postgres() {
    counters_hold_their_limit(Kind::Postgres).await;
    flashes_are_taken_once(Kind::Postgres).await;
}
