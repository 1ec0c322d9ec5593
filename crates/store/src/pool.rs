//! One typed pool per backend, and the two macros every query goes through.
//!
//! The SQL is the same on SQLite and PostgreSQL wherever it can be (`$n` placeholders, integer
//! times and flags, `RETURNING`, `ON CONFLICT`), so each query is written once: [`on_pool!`] and
//! [`on_tx!`] expand it for each backend's own sqlx driver, and the rows come back as the same
//! Rust types (`FromRow` structs or tuples) either way. Where a plan differs, the query text is
//! chosen by [`crate::Backend`] before it reaches them.

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::Backend;

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    pub(crate) fn backend(&self) -> Backend {
        match self {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }
}

/// A write transaction on either backend (see [`crate::Store::begin_write`]).
pub(crate) enum WriteTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl WriteTx {
    /// The transaction itself, whether the caller holds it or a `&mut` to it (what lets
    /// [`on_tx!`] take either).
    pub(crate) fn reborrow(&mut self) -> &mut Self {
        self
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            WriteTx::Sqlite(tx) => tx.commit().await,
            WriteTx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// `on_pool!(store, |db| body)`: `body` with `db` bound to the store's pool (`&SqlitePool` or
/// `&PgPool`), compiled once per backend. Both expansions must yield the same type, so rows are
/// decoded inside `body` (`query_as`, `query_scalar`, `rows_affected()`).
macro_rules! on_pool {
    ($store:expr, |$db:ident| $body:expr) => {
        match &$store.pool {
            $crate::pool::Pool::Sqlite($db) => $body,
            $crate::pool::Pool::Postgres($db) => $body,
        }
    };
}

/// `on_tx!(tx, |conn| body)`: as [`on_pool!`], inside a [`WriteTx`]; `conn` is the
/// transaction's `&mut` connection (reborrow it, `&mut *conn`, to run several statements).
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx.reborrow() {
            $crate::pool::WriteTx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::pool::WriteTx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}
