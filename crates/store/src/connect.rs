use crate::pool::{Pool, WriteTx};
use crate::StoreError;
use sqlx::migrate::Migrator;
use sqlx::pool::{PoolConnectionMetadata, PoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::ConnectOptions;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

/// How long a pooled connection may sit idle before it is checked again before use.
const STALE_AFTER: Duration = Duration::from_secs(30);

/// SQLite's page cache per connection in KiB, as `PRAGMA cache_size` takes it (negative: KiB,
/// not pages). 32 MiB, where the default is 2 MiB: report ingestion writes several indexes at
/// once, and evicting their pages dominates its cost.
const SQLITE_CACHE_SIZE: &str = "-32768";
/// SQLite connections map the database file (256 MiB): a view query landing on a connection
/// that has not read its pages yet reads them in place from the one OS cache.
const SQLITE_MMAP_SIZE: &str = "268435456";

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: Pool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend()).finish()
    }
}

impl Store {
    /// Connects to `sqlite://path` (creating the file and its folder) or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // Statements are prepared once and reused; a generic plan for the views' period
            // ranges would ignore how wide the range is. PostgreSQL plans each run instead.
            let options = PgConnectOptions::from_str(url)?
                .options([("plan_cache_mode", "force_custom_plan")])
                .disable_statement_logging();
            let pool: PgPoolOptions = pool_options().max_connections(16);
            Pool::Postgres(pool.connect_with(options).await?)
        } else if url.starts_with("sqlite:") {
            let url = prepare_sqlite(url)?;
            // Each in-memory connection would be its own empty database.
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let options = SqliteConnectOptions::from_str(&url)?
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                // Readers never block the writer.
                .journal_mode(SqliteJournalMode::Wal)
                .pragma("cache_size", SQLITE_CACHE_SIZE)
                .pragma("mmap_size", SQLITE_MMAP_SIZE)
                .disable_statement_logging();
            let pool: SqlitePoolOptions = pool_options().max_connections(if in_memory { 1 } else { 8 });
            Pool::Sqlite(pool.connect_with(options).await?)
        } else {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                format!(
                    "unsupported database URL scheme in {:?}: use sqlite:// or postgres://",
                    redact(url)
                )
                .into(),
            )));
        };
        Ok(Self { pool })
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred transaction that reads first and writes later fails with
    /// "database is locked" when another writer got in between, whatever the busy timeout.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => WriteTx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => WriteTx::Postgres(pool.begin().await?),
        })
    }

    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// Applies pending migrations; an error names the migration that failed.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Pool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Liveness: the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_pool!(self, |db| sqlx::query("SELECT 1").execute(db).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, |db| db.close().await)
    }
}

/// What both pools share: a 10 s wait for a connection, and a check only of connections that
/// sat idle (see [`unless_stale`]).
fn pool_options<DB: sqlx::Database>() -> PoolOptions<DB> {
    PoolOptions::new()
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(unless_stale)
}

type Check<'c> = Pin<Box<dyn Future<Output = Result<bool, sqlx::Error>> + Send + 'c>>;

/// A ping before every query doubles the round trips of short queries. Only a connection idle
/// for a while is checked (a restarted PostgreSQL leaves those broken); one that fails the
/// ping is closed and another one is used.
fn unless_stale<C: sqlx::Connection>(conn: &mut C, meta: PoolConnectionMetadata) -> Check<'_> {
    Box::pin(async move {
        if meta.idle_for < STALE_AFTER {
            return Ok(true);
        }
        Ok(conn.ping().await.is_ok())
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
