//! The test databases themselves: one that a panicking test leaves behind is still dropped.

use portcullis_store::testing::{Kind, TestDb, DEFAULT_POSTGRES_URL};
use sqlx::{Connection, PgConnection};

#[tokio::test]
async fn a_postgres_test_database_is_dropped_even_when_its_test_panics() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let test = tokio::spawn(async move {
        let db = TestDb::new(Kind::Postgres).await;
        let name = db.url.rsplit('/').next().unwrap().to_string();
        tx.send(name).unwrap();
        panic!("a failing test");
    });
    assert!(test.await.unwrap_err().is_panic());
    let name = rx.await.unwrap();
    let admin_url = std::env::var("PORTCULLIS_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into());
    let mut admin = PgConnection::connect(&admin_url).await.unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(left, 0, "{name} was left behind");
}
