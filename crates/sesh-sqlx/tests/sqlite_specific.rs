//! Behaviour the conformance suite cannot see, on in-memory SQLite: table
//! names, sweeping, corrupt rows and upgrading an old table.
#![cfg(feature = "sqlite")]

mod common;

use std::time::{Duration, SystemTime};

use sesh_core::{Created, ErrorKind, Expiry, Record, SessionId, SessionStore, SweepExpired, unix_millis};
use sesh_sqlx::SqliteStore;

async fn store() -> SqliteStore {
    SqliteStore::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite")
}

#[tokio::test]
async fn table_names_are_validated_and_used() {
    let store = store().await;
    for bad in ["", "1x", "a-b", "x; DROP TABLE y", &"a".repeat(64)] {
        let e = store.clone().with_table_name(bad).expect_err(bad);
        assert_eq!(e.kind(), ErrorKind::Config);
    }
    let store = store.with_table_name("custom_sessions").expect("valid name");
    store.migrate().await.expect("migrate");
    let key = SessionId::generate().key();
    let record = Record::new(SystemTime::now(), &Expiry::new());
    assert_eq!(
        store.create(&key, &record).await.expect("create"),
        Created::Created
    );
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM custom_sessions")
        .fetch_one(store.pool())
        .await
        .expect("count");
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn sweeping_deletes_only_expired_rows() {
    let store = store().await;
    store.migrate().await.expect("migrate");
    let now = SystemTime::now();
    let mut short = Record::new(now, &Expiry::new());
    short.expires_at = now + Duration::from_millis(50);
    let live = Record::new(now, &Expiry::new());
    let (short_key, live_key) = (SessionId::generate().key(), SessionId::generate().key());
    assert_eq!(
        store.create(&short_key, &short).await.expect("create"),
        Created::Created
    );
    assert_eq!(
        store.create(&live_key, &live).await.expect("create"),
        Created::Created
    );
    let swept = store
        .delete_expired(now + Duration::from_secs(1))
        .await
        .expect("sweep");
    assert_eq!(swept, 1);
    assert!(store.load(&live_key).await.expect("load").is_some());
}

#[tokio::test]
async fn the_sweeper_runs_until_aborted() {
    let store = store().await;
    store.migrate().await.expect("migrate");
    let now = SystemTime::now();
    let mut short = Record::new(now, &Expiry::new());
    short.expires_at = now + Duration::from_millis(20);
    let key = SessionId::generate().key();
    assert_eq!(
        store.create(&key, &short).await.expect("create"),
        Created::Created
    );
    let sweeper = sesh_sqlx::spawn_sweeper(store.clone(), Duration::from_millis(30));
    tokio::time::sleep(Duration::from_millis(200)).await;
    sweeper.abort();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sesh_sessions")
        .fetch_one(store.pool())
        .await
        .expect("count");
    assert_eq!(rows, 0, "the expired row was swept");
}

#[tokio::test]
async fn a_corrupt_row_is_a_decode_error() {
    let store = store().await;
    store.migrate().await.expect("migrate");
    let key = SessionId::generate().key();
    sqlx::query(
        "INSERT INTO sesh_sessions (id, data, version, expires_at, absolute_at) \
         VALUES (?, ?, 0, ?, ?)",
    )
    .bind(key.to_hex())
    .bind(&b"\xff not a record"[..])
    .bind(i64::MAX)
    .bind(i64::MAX)
    .execute(store.pool())
    .await
    .expect("insert garbage");
    let e = store.load(&key).await.expect_err("corrupt row");
    assert_eq!(e.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn migrate_adds_the_user_index_to_an_old_table() {
    let store = store().await;
    sqlx::query(&common::table_without_user_column(
        "sesh_sessions",
        "TEXT",
        "BLOB",
    ))
    .execute(store.pool())
    .await
    .expect("old table");
    let old = Record::new(SystemTime::now(), &Expiry::new());
    let old_key = SessionId::generate().key();
    sqlx::query(
        "INSERT INTO sesh_sessions (id, data, version, expires_at, absolute_at) VALUES (?, ?, 0, ?, ?)",
    )
    .bind(old_key.to_hex())
    .bind(old.encode().expect("encode"))
    .bind(i64::try_from(unix_millis(old.expires_at)).expect("ms"))
    .bind(i64::try_from(unix_millis(old.absolute_deadline)).expect("ms"))
    .execute(store.pool())
    .await
    .expect("old row");
    common::check_upgrade(&store, || store.migrate(), &old_key).await;
}

/// A store whose table was never created (no `migrate`) is refused for
/// good (`SQLITE_ERROR`, no such table): answered 500, not 503, as
/// retrying cannot help.
#[tokio::test]
async fn a_statement_sqlite_refuses_is_refused_not_unavailable() {
    let store = store()
        .await
        .with_table_name("never_migrated")
        .expect("valid name");
    let key = SessionId::generate().key();
    let error = store.load(&key).await.expect_err("no such table");
    assert_eq!(error.kind(), ErrorKind::StoreRefused, "{error:?}");
    assert!(!error.is_unavailable());
    let record = Record::new(SystemTime::now(), &Expiry::new());
    let error = store.create(&key, &record).await.expect_err("no such table");
    assert_eq!(error.kind(), ErrorKind::StoreRefused, "{error:?}");
}
