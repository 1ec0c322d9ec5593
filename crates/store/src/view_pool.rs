//! The report views' own small connection pool.
//!
//! sqlx's pool tests every connection it takes back with a ping, in a task it spawns on each
//! release: a round trip to PostgreSQL, or to SQLite's worker thread, after every query, and a
//! task competing with the next query for the CPU. For the views' sub-millisecond aggregates
//! that was most of the gap to the database's own CLI (`make bench-views`: the cheapest query
//! took 0.054 ms through sqlx's SQLite pool, 0.005 ms on a connection held directly). The ping
//! is there to catch connections left mid-query by a cancelled future; here a connection goes
//! back to the idle list only when the caller says its query finished ([`ViewConnection::release`]),
//! and is closed otherwise, so no check is needed on the way back.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::{ConnectOptions, Connection};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::connect::Setup;

/// How long a view waits for a connection when all are busy.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct ViewConnections<C: Connection> {
    options: <C as Connection>::Options,
    /// Run once on each new connection.
    setup: fn(&mut C) -> Setup<'_, ()>,
    /// Connections whose last query finished, with when it did; the most recent last.
    idle: Mutex<Vec<(C, Instant)>>,
    /// One permit per connection that may be open.
    permits: Semaphore,
    /// An idle connection older than this is pinged before use: a restarted PostgreSQL leaves
    /// those broken.
    stale_after: Duration,
}

impl<C: Connection> ViewConnections<C> {
    /// Connections open on first use: a server whose views nobody reads holds none.
    pub fn new(
        options: <C as Connection>::Options,
        max: usize,
        stale_after: Duration,
        setup: fn(&mut C) -> Setup<'_, ()>,
    ) -> Self {
        Self {
            options,
            setup,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(max),
            stale_after,
        }
    }

    pub async fn acquire(&self) -> Result<ViewConnection<'_, C>, sqlx::Error> {
        let permit = match tokio::time::timeout(ACQUIRE_TIMEOUT, self.permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_closed)) => return Err(sqlx::Error::PoolClosed),
            Err(_elapsed) => return Err(sqlx::Error::PoolTimedOut),
        };
        let conn = match self.reusable().await {
            Some(conn) => conn,
            None => {
                let mut conn = self.options.connect().await?;
                (self.setup)(&mut conn).await?;
                conn
            }
        };
        Ok(ViewConnection {
            conn: Some(conn),
            pool: self,
            _permit: permit,
        })
    }

    /// Refuses new acquisitions and closes the idle connections.
    pub async fn close(&self) {
        self.permits.close();
        let idle = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|e| e.into_inner()));
        for (conn, _) in idle {
            let _ = conn.close().await;
        }
    }

    /// The most recently used idle connection that still answers; broken ones are dropped.
    async fn reusable(&self) -> Option<C> {
        loop {
            let (mut conn, since) = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop()?;
            if since.elapsed() < self.stale_after || conn.ping().await.is_ok() {
                return Some(conn);
            }
        }
    }
}

/// A connection taken from [`ViewConnections`]. Dropped without [`release`](Self::release) (an
/// error, or a cancelled query), it is closed rather than reused.
pub(crate) struct ViewConnection<'p, C: Connection> {
    conn: Option<C>,
    pool: &'p ViewConnections<C>,
    _permit: SemaphorePermit<'p>,
}

impl<C: Connection> ViewConnection<'_, C> {
    /// The query finished: the connection is ready for the next one.
    pub fn release(mut self) {
        if let Some(conn) = self.conn.take() {
            if !self.pool.permits.is_closed() {
                let mut idle = self.pool.idle.lock().unwrap_or_else(|e| e.into_inner());
                idle.push((conn, Instant::now()));
            }
        }
    }
}

impl<C: Connection> Deref for ViewConnection<'_, C> {
    type Target = C;

    fn deref(&self) -> &C {
        self.conn.as_ref().expect("present until released")
    }
}

impl<C: Connection> DerefMut for ViewConnection<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn.as_mut().expect("present until released")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::postgres::{PgConnectOptions, PgConnection};
    use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
    use sqlx::Executor;
    use std::str::FromStr;

    fn no_setup<C>(_: &mut C) -> Setup<'_, ()> {
        Box::pin(async { Ok(()) })
    }

    /// A temporary table is seen only on the connection that made it (sqlx opens every
    /// `sqlite::memory:` connection of one set of options on one shared database, so a plain
    /// table would not tell connections apart).
    async fn marked(conn: &mut SqliteConnection) -> bool {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_temp_master WHERE name = 'marker'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        n == 1
    }

    fn memory_pool(max: usize) -> ViewConnections<SqliteConnection> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:").unwrap();
        ViewConnections::new(options, max, Duration::from_secs(30), no_setup)
    }

    #[tokio::test]
    async fn reuses_a_connection_only_when_its_query_finished() {
        let pool = memory_pool(2);
        let mut conn = pool.acquire().await.unwrap();
        conn.execute("CREATE TEMP TABLE marker (x)").await.unwrap();
        conn.release();
        let mut conn = pool.acquire().await.unwrap();
        assert!(marked(&mut conn).await, "a released connection is handed out again");
        // Dropped unreleased, as when a query fails or its future is cancelled: closed.
        drop(conn);
        let mut conn = pool.acquire().await.unwrap();
        assert!(!marked(&mut conn).await, "an unreleased connection is never reused");
        conn.release();
    }

    #[tokio::test]
    async fn waits_for_a_connection_beyond_the_maximum_and_refuses_after_close() {
        let pool = memory_pool(1);
        let held = pool.acquire().await.unwrap();
        let waited = tokio::time::timeout(Duration::from_millis(100), pool.acquire()).await;
        assert!(
            waited.is_err(),
            "a second connection waits while the only one is in use"
        );
        held.release();
        let conn = pool.acquire().await.unwrap();
        pool.close().await;
        conn.release();
        assert!(pool.idle.lock().unwrap().is_empty(), "nothing is kept after close");
        assert!(matches!(pool.acquire().await, Err(sqlx::Error::PoolClosed)));
    }

    async fn pid(conn: &mut PgConnection) -> i32 {
        sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(conn)
            .await
            .unwrap()
    }

    /// A restarted PostgreSQL leaves idle connections broken: the ping of a stale one notices,
    /// and the view gets a new connection instead of an error.
    #[tokio::test]
    async fn replaces_a_stale_connection_the_server_closed() {
        let url = std::env::var("PORTCULLIS_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| crate::testing::DEFAULT_POSTGRES_URL.into());
        let options = PgConnectOptions::from_str(&url).unwrap();
        let pool = ViewConnections::<PgConnection>::new(options.clone(), 2, Duration::ZERO, no_setup);
        let mut conn = pool.acquire().await.unwrap();
        let first = pid(&mut conn).await;
        conn.release();
        let mut conn = pool.acquire().await.unwrap();
        assert_eq!(pid(&mut conn).await, first, "a healthy idle connection is reused");
        conn.release();

        let mut admin = options.connect().await.unwrap();
        let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
            .bind(first)
            .fetch_one(&mut admin)
            .await
            .unwrap();
        assert!(killed);
        let mut conn = pool.acquire().await.unwrap();
        assert_ne!(pid(&mut conn).await, first, "the closed connection was replaced");
        conn.release();
        pool.close().await;
        admin.close().await.unwrap();
    }
}
