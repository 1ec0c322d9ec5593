//! The two migration trees (`migrations/sqlite`, `migrations/postgres`) must describe the same
//! schema: the same tables, columns, nullability, primary keys and indexes. Column types differ
//! by design (each engine's own), so they are not compared.

use std::collections::BTreeSet;

use sqlx::{Connection, PgConnection, SqliteConnection};

use crate::testing::TestDb;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Table(String),
    Column {
        table: String,
        name: String,
        not_null: bool,
        primary_key: bool,
    },
    /// Indexes other than the primary key's. Those that back a UNIQUE constraint are named by
    /// each engine its own way, so they compare by columns only.
    Index {
        table: String,
        name: Option<String>,
        columns: Vec<String>,
        unique: bool,
        partial: bool,
    },
}

/// Index columns that are expressions rather than columns.
const EXPRESSION: &str = "<expression>";

/// Indexes that differ on purpose, because the two planners want different ones (the migration
/// that makes each says why): (index name, present in SQLite, present in PostgreSQL).
/// PostgreSQL's `INCLUDE` columns count as trailing columns, as SQLite covers a query that way.
const PLAN_DIFFERENCES: [(&str, bool, bool); 2] = [
    // migrations/*/20261130100000_failure_indexes.sql
    ("tlsrpt_failures_ip", true, false),
    ("tlsrpt_failures_period", false, true),
];

fn planned_difference(item: &Item, in_sqlite: bool) -> bool {
    let Item::Index { name: Some(name), .. } = item else {
        return false;
    };
    PLAN_DIFFERENCES
        .iter()
        .any(|(planned, lite, pg)| planned == name && (*lite, *pg) == (in_sqlite, !in_sqlite))
}

async fn sqlite_schema(url: &str) -> BTreeSet<Item> {
    let mut db = SqliteConnection::connect(url).await.expect("open sqlite");
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let mut items = BTreeSet::new();
    for (table,) in tables {
        let columns: Vec<(String, i64, i64)> =
            sqlx::query_as(r#"SELECT name, "notnull", pk FROM pragma_table_info(?1)"#)
                .bind(&table)
                .fetch_all(&mut db)
                .await
                .unwrap();
        for (name, not_null, pk) in columns {
            items.insert(Item::Column {
                table: table.clone(),
                name,
                // A primary key column holds no NULL in either engine, declared or not.
                not_null: not_null != 0 || pk != 0,
                primary_key: pk != 0,
            });
        }
        let indexes: Vec<(String, i64, String, i64)> =
            sqlx::query_as(r#"SELECT name, "unique", origin, partial FROM pragma_index_list(?1)"#)
                .bind(&table)
                .fetch_all(&mut db)
                .await
                .unwrap();
        for (index, unique, origin, partial) in indexes {
            if origin == "pk" {
                continue;
            }
            let columns: Vec<(Option<String>,)> =
                sqlx::query_as("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(&mut db)
                    .await
                    .unwrap();
            items.insert(Item::Index {
                table: table.clone(),
                name: (origin == "c").then_some(index),
                columns: columns
                    .into_iter()
                    .map(|(c,)| c.unwrap_or_else(|| EXPRESSION.into()))
                    .collect(),
                unique: unique != 0,
                partial: partial != 0,
            });
        }
        items.insert(Item::Table(table));
    }
    db.close().await.ok();
    items
}

async fn postgres_schema(url: &str) -> BTreeSet<Item> {
    let mut db = PgConnection::connect(url).await.expect("open postgres");
    let mut items = BTreeSet::new();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    items.extend(tables.into_iter().map(|(t,)| Item::Table(t)));
    let columns: Vec<(String, String, bool, bool)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.is_nullable = 'NO', \
                EXISTS (SELECT 1 FROM pg_index i \
                        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
                        WHERE i.indisprimary AND i.indrelid = quote_ident(c.table_name::text)::regclass \
                          AND a.attname::text = c.column_name::text) \
         FROM information_schema.columns c \
         WHERE c.table_schema = 'public' AND c.table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    items.extend(
        columns
            .into_iter()
            .map(|(table, name, not_null, primary_key)| Item::Column {
                table,
                name,
                not_null,
                primary_key,
            }),
    );
    let indexes: Vec<(String, String, bool, bool, bool, Vec<String>)> = sqlx::query_as(
        "SELECT t.relname::text, x.relname::text, i.indisunique, i.indpred IS NOT NULL, \
                EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid), \
                ARRAY (SELECT coalesce(a.attname::text, $1) \
                       FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, ord) \
                       LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
                       ORDER BY k.ord) \
         FROM pg_index i \
         JOIN pg_class t ON t.oid = i.indrelid \
         JOIN pg_class x ON x.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND NOT i.indisprimary AND t.relname <> '_sqlx_migrations'",
    )
    .bind(EXPRESSION)
    .fetch_all(&mut db)
    .await
    .unwrap();
    items.extend(
        indexes
            .into_iter()
            .map(|(table, name, unique, partial, constraint, columns)| Item::Index {
                table,
                name: (!constraint).then_some(name),
                columns,
                unique,
                partial,
            }),
    );
    db.close().await.ok();
    items
}

#[tokio::test]
async fn both_migration_trees_build_the_same_schema() {
    let (sqlite, postgres) = (TestDb::sqlite().await, TestDb::postgres().await);
    let (lite, pg) = (sqlite_schema(&sqlite.url).await, postgres_schema(&postgres.url).await);
    sqlite.cleanup().await;
    postgres.cleanup().await;
    assert!(
        lite.iter().any(|i| matches!(i, Item::Index { .. })),
        "no index read from SQLite"
    );
    assert!(
        pg.iter().any(|i| matches!(i, Item::Index { .. })),
        "no index read from PostgreSQL"
    );
    let only_lite: Vec<_> = lite.difference(&pg).filter(|i| !planned_difference(i, true)).collect();
    let only_pg: Vec<_> = pg.difference(&lite).filter(|i| !planned_difference(i, false)).collect();
    // Every planned difference is still real, so the list cannot outlive its reason.
    for (name, in_lite, in_pg) in PLAN_DIFFERENCES {
        let has = |schema: &BTreeSet<Item>| {
            schema
                .iter()
                .any(|i| matches!(i, Item::Index { name: Some(n), .. } if n == name))
        };
        assert_eq!(
            (has(&lite), has(&pg)),
            (in_lite, in_pg),
            "planned index difference {name}"
        );
    }
    assert!(
        only_lite.is_empty() && only_pg.is_empty(),
        "the migration trees disagree.\nonly in SQLite: {only_lite:#?}\nonly in PostgreSQL: {only_pg:#?}"
    );
}
