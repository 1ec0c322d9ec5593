//! Job leases on SQLite and PostgreSQL: one holder at a time, renewals by the holder, a take-over
//! only after expiry, and a clean stop hands the job over at once.

use portcullis_store::testing::{Kind, TestDb};

async fn one_holder_at_a_time(kind: Kind) {
    let db = TestDb::new(kind).await;
    let s = &db.store;
    assert!(s.try_lease("acme", "a", 300).await.unwrap(), "a free job is taken");
    assert!(
        !s.try_lease("acme", "b", 300).await.unwrap(),
        "a held lease is not taken"
    );
    assert!(s.try_lease("acme", "a", 300).await.unwrap(), "the holder renews");
    assert!(s.try_lease("alerts", "b", 300).await.unwrap(), "leases are per job");
    // The holder renews with no time left (as if it had stopped renewing): it expires at once.
    assert!(s.try_lease("acme", "a", 0).await.unwrap());
    assert!(
        s.try_lease("acme", "b", 300).await.unwrap(),
        "an expired lease is taken over"
    );
    assert!(
        !s.try_lease("acme", "a", 300).await.unwrap(),
        "the old holder has lost it"
    );
    s.release_leases("b").await.unwrap();
    assert!(
        s.try_lease("alerts", "a", 300).await.unwrap(),
        "a released job is free at once"
    );
    assert!(s.try_lease("acme", "a", 300).await.unwrap());
    db.cleanup().await;
}

/// Many instances racing for one job: exactly one wins.
async fn a_race_has_one_winner(kind: Kind) {
    let db = TestDb::new(kind).await;
    let mut racers = tokio::task::JoinSet::new();
    for i in 0..8 {
        let store = db.store.clone();
        racers.spawn(async move { store.try_lease("dns_monitor", &format!("instance-{i}"), 300).await });
    }
    let mut winners = 0;
    while let Some(won) = racers.join_next().await {
        winners += won.unwrap().unwrap() as usize;
    }
    assert_eq!(winners, 1);
    db.cleanup().await;
}

#[tokio::test]
async fn leases_on_sqlite() {
    one_holder_at_a_time(Kind::Sqlite).await;
    a_race_has_one_winner(Kind::Sqlite).await;
}

#[tokio::test]
async fn leases_on_postgres() {
    one_holder_at_a_time(Kind::Postgres).await;
    a_race_has_one_winner(Kind::Postgres).await;
}
