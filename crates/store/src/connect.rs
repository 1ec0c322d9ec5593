use crate::StoreError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnectionMetadata;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use crate::view_pool::ViewConnections;

/// How long a pooled connection may sit idle before it is checked again before use.
const STALE_AFTER: Duration = Duration::from_secs(30);

/// Every SQLite connection, the main pool's and the views': how long to wait for a lock, and the
/// page cache in KiB as `PRAGMA cache_size` takes it (negative: KiB, not pages). 32 MiB, where
/// the default is 2 MiB: report ingestion writes several indexes at once, and evicting their
/// pages dominates its cost.
const SQLITE_BUSY_TIMEOUT: &str = "5000";
const SQLITE_CACHE_SIZE: &str = "-32768";

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    /// The report views' aggregate reads, on the backend's own driver (see [`ViewPool`]).
    pub(crate) views: ViewPool,
    backend: Backend,
}

/// A second, typed pool for the report views' aggregate reads. Going through sqlx's `Any` layer
/// costs each row about 1.3 µs more than the native driver, and sqlx's pool pings each
/// connection it takes back (see [`ViewConnections`]); for a sub-millisecond aggregate both
/// weigh (measured by `make bench-views`). The views only read, and SQLite's WAL lets these
/// connections read while the main pool writes.
#[derive(Clone)]
pub(crate) enum ViewPool {
    Sqlite(Arc<ViewConnections<SqliteConnection>>),
    Postgres(Arc<ViewConnections<PgConnection>>),
    /// An in-memory SQLite database exists only on the main pool's one connection.
    Main,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

impl Store {
    /// Connects to `sqlite://path` (creating the file and its folder) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                format!(
                    "unsupported database URL scheme in {:?}: use sqlite:// or postgres://",
                    redact(url)
                )
                .into(),
            )));
        };
        let url = match backend {
            Backend::Sqlite => prepare_sqlite(url)?,
            Backend::Postgres => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let mut pool = AnyPoolOptions::new()
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .before_acquire(unless_stale);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if backend == Backend::Sqlite {
            // Each in-memory connection would be its own empty database.
            pool = pool.max_connections(if in_memory { 1 } else { 8 });
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    (&mut *conn).execute("PRAGMA foreign_keys = ON").await?;
                    (&mut *conn)
                        .execute(format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT}").as_str())
                        .await?;
                    (&mut *conn)
                        .execute(format!("PRAGMA cache_size = {SQLITE_CACHE_SIZE}").as_str())
                        .await?;
                    Ok(())
                })
            });
        } else {
            pool = pool.max_connections(16);
            pool = pool.after_connect(|conn, _| plan_each_run(conn));
        }
        let pool = pool.connect_with(options).await?;
        if backend == Backend::Sqlite {
            // Persistent in the file: readers never block the writer.
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
        }
        let views = match backend {
            Backend::Sqlite if in_memory => ViewPool::Main,
            Backend::Sqlite => ViewPool::Sqlite(sqlite_view_pool(&url)?),
            Backend::Postgres => ViewPool::Postgres(postgres_view_pool(&url)?),
        };
        Ok(Self { pool, views, backend })
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred transaction that reads first and writes later fails with
    /// "database is locked" when another writer got in between, whatever the busy timeout.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations; an error names the migration that failed.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Liveness: the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.views {
            ViewPool::Sqlite(pool) => pool.close().await,
            ViewPool::Postgres(pool) => pool.close().await,
            ViewPool::Main => {}
        }
        self.pool.close().await;
    }
}

fn sqlite_view_pool(url: &str) -> Result<Arc<ViewConnections<SqliteConnection>>, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .pragma("busy_timeout", SQLITE_BUSY_TIMEOUT)
        .pragma("cache_size", SQLITE_CACHE_SIZE)
        // The pool hands out its connections in turn, each with its own page cache, so a view
        // query often lands on a connection that has not read its pages yet. Mapped, those
        // pages are read in place from the one OS cache instead of being copied in first.
        .pragma("mmap_size", "268435456")
        .disable_statement_logging();
    Ok(Arc::new(ViewConnections::new(options, 8, STALE_AFTER, |_| {
        Box::pin(async { Ok(()) })
    })))
}

fn postgres_view_pool(url: &str) -> Result<Arc<ViewConnections<PgConnection>>, StoreError> {
    let options = PgConnectOptions::from_str(url)?.disable_statement_logging();
    Ok(Arc::new(ViewConnections::new(options, 8, STALE_AFTER, plan_each_run)))
}

pub(crate) type Setup<'c, T> = Pin<Box<dyn Future<Output = Result<T, sqlx::Error>> + Send + 'c>>;

/// A ping before every query doubles the round trips of the short view queries. Only a
/// connection idle for a while is checked (a restarted PostgreSQL leaves those broken); one that
/// fails the ping is closed and another one is used.
fn unless_stale<C: sqlx::Connection>(conn: &mut C, meta: PoolConnectionMetadata) -> Setup<'_, bool> {
    Box::pin(async move {
        if meta.idle_for < STALE_AFTER {
            return Ok(true);
        }
        Ok(conn.ping().await.is_ok())
    })
}

/// Statements are prepared once and reused; a generic plan for the views' period ranges ignores
/// how wide the range is. PostgreSQL plans each run for its values instead.
fn plan_each_run<C>(conn: &mut C) -> Setup<'_, ()>
where
    C: Send,
    for<'e> &'e mut C: Executor<'e>,
{
    Box::pin(async move {
        conn.execute("SET plan_cache_mode = force_custom_plan").await?;
        Ok(())
    })
}

/// Creates the SQLite file's folder and asks sqlx to create the file.
fn prepare_sqlite(url: &str) -> Result<String, StoreError> {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = rest.split('?').next().unwrap_or("");
    if !path.is_empty() && path != ":memory:" {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    StoreError::Database(sqlx::Error::Configuration(
                        format!("cannot create the database folder {}: {e}", parent.display()).into(),
                    ))
                })?;
            }
        }
    }
    Ok(if url.contains('?') {
        url.to_string()
    } else {
        format!("{url}?mode=rwc")
    })
}

/// The URL without its passwords, for messages: the one in the user part, and the value of
/// every query parameter whose name holds "password" (`?password=`, `sslpassword=`).
pub fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = match base.find("://") {
        Some(scheme_end) => {
            let rest = &base[scheme_end + 3..];
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            let authority = match authority.rsplit_once('@') {
                Some((creds, host)) => match creds.split_once(':') {
                    Some((user, _)) => format!("{user}:***@{host}"),
                    None => authority.to_string(),
                },
                None => authority.to_string(),
            };
            format!("{}{authority}{path}", &base[..scheme_end + 3])
        }
        None => base.to_string(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((name, _)) if name.to_ascii_lowercase().contains("password") => format!("{name}=***"),
                _ => param.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
        assert_eq!(
            redact("postgres://u@h/db?password=secret&sslmode=require"),
            "postgres://u@h/db?password=***&sslmode=require"
        );
        assert_eq!(
            redact("postgres://u:p@h/db?sslpassword=k&application_name=a@b"),
            "postgres://u:***@h/db?sslpassword=***&application_name=a@b"
        );
        assert_eq!(
            redact("smtp://alerts%40x.example:pw@relay.example:587?tls=required"),
            "smtp://alerts%40x.example:***@relay.example:587?tls=required"
        );
    }
}
