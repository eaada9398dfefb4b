//! Values read back on each backend's own driver: what fits decodes, and what does not fit its
//! record fails as `Corrupt`, naming the column.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::prelude::*;
use crate::sql::db::{Conn, Pool};
use portico_testkit::{Backend, TestDatabase};

/// The one row `sql` answers, on a fresh database of `backend`.
async fn row(pool: &Pool, sql: &str, params: Vec<Value>) -> Row {
    query(sql, params).fetch_one(pool).await.unwrap()
}

fn assert_corrupt<T: std::fmt::Debug>(read: StoreResult<T>, column: &str) {
    match read {
        Err(StoreError::Corrupt(m)) => assert!(m.contains(&format!("column {column}")), "{m}"),
        other => panic!("{column}: not corrupt: {other:?}"),
    }
}

async fn values_decode_natively_or_fail_naming_the_column(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let pool = Pool::connect(&db.url).await.unwrap();

    let good = row(
        &pool,
        "SELECT $1 AS t, $2 AS n, $3 AS b, $4 AS none, \
         CAST(1 AS BOOLEAN) AS yes, CAST(0 AS BOOLEAN) AS no",
        params!["text", i64::MAX, &[0u8, 255][..], None::<i64>],
    )
    .await;
    assert_eq!(good.text("t").unwrap(), "text");
    assert_eq!(good.int("n").unwrap(), i64::MAX);
    assert_eq!(good.bytes("b").unwrap(), Some(vec![0, 255]));
    assert_eq!(good.opt_int("none").unwrap(), None);
    assert_eq!(good.opt_text("none").unwrap(), None);
    assert!(good.flag("yes").unwrap());
    assert!(!good.flag("no").unwrap());

    let bad = row(
        &pool,
        "SELECT 'soon' AS word, CAST(5 AS BIGINT) AS number, \
         CAST(4294967296 AS BIGINT) AS big, CAST(NULL AS BIGINT) AS missing",
        vec![],
    )
    .await;
    assert_corrupt(bad.int("word"), "word");
    assert_corrupt(bad.flag("word"), "word");
    assert_corrupt(bad.text("number"), "number");
    assert_corrupt(bad.small("big"), "big");
    assert_corrupt(bad.opt_small("big"), "big");
    assert_corrupt(bad.int("missing"), "missing");
    assert_corrupt(bad.ts("missing"), "missing");
    assert_corrupt(bad.text("missing"), "missing");
    assert_corrupt(bad.int("nowhere"), "nowhere");
}

#[tokio::test]
async fn sqlite_values_decode_natively_or_fail_naming_the_column() {
    values_decode_natively_or_fail_naming_the_column(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_values_decode_natively_or_fail_naming_the_column() {
    values_decode_natively_or_fail_naming_the_column(Backend::Postgres).await;
}

/// A stored customer whose creation time is not a number is refused as corrupt, not read.
async fn a_stored_value_that_does_not_fit_is_corrupt(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let store = crate::SqlStore::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let now = Timestamp::from_millis(1_767_225_600_000);
    let account = store.create_account("acme", "Acme", now).await.unwrap().id;
    let input = serde_json::from_value(serde_json::json!({"name": "Bad", "currency": "EUR"}));
    let customer = Customer::create(CustomerId::new(now, [7; 10]), input.unwrap(), now).unwrap();
    let mut uow = store
        .begin(&account, portico_core::event::Actor::Operator, now)
        .await
        .unwrap();
    uow.customers().insert(&customer).await.unwrap();
    uow.commit().await.unwrap();

    let mut raw = db.raw().await;
    match backend {
        // SQLite keeps a text that is no number as text, whatever the column's type.
        Backend::Sqlite => {
            raw.execute("UPDATE customers SET created_at = 'soon'")
                .await
        }
        Backend::Postgres => {
            raw.execute("ALTER TABLE customers ALTER COLUMN created_at TYPE TEXT USING 'soon'")
                .await
        }
    }
    let read = store
        .customer(&account, &CustomerRef::Id(customer.id))
        .await;
    assert_corrupt(read, "created_at");
}

#[tokio::test]
async fn sqlite_a_stored_value_that_does_not_fit_is_corrupt() {
    a_stored_value_that_does_not_fit_is_corrupt(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_a_stored_value_that_does_not_fit_is_corrupt() {
    a_stored_value_that_does_not_fit_is_corrupt(Backend::Postgres).await;
}

/// On a SQLite file, a `SELECT` on the pool runs on the calling thread (no sqlx worker thread)
/// and still reads what sqlx committed; a statement that writes takes a pooled sqlx connection.
#[tokio::test]
async fn sqlite_reads_on_the_pool_run_natively_and_writes_on_sqlx() {
    let db = TestDatabase::create(Backend::Sqlite).await;
    let pool = Pool::connect(&db.url).await.unwrap();
    query("CREATE TABLE t (a TEXT)", vec![])
        .execute(&pool)
        .await
        .unwrap();
    let written = query("INSERT INTO t (a) VALUES ($1) RETURNING a", params!["x"])
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(matches!(written, Row::Sqlite(_)));
    let read = row(&pool, "SELECT a FROM t", vec![]).await;
    assert!(matches!(read, Row::Native(_)));
    assert_eq!(read.text("a").unwrap(), "x");
    let mut conn = pool.read().await.unwrap();
    assert!(matches!(conn, Conn::Native(_)));
    // A read connection refuses to write.
    assert!(
        query("INSERT INTO t (a) VALUES ('y')", vec![])
            .execute(&mut conn)
            .await
            .is_err()
    );
}
