//! MySQL/MariaDB behaviour the conformance suites cannot see: `create`'s
//! one-statement upsert on a single connection, upgrading an old table,
//! and the per-operation time limit against a real lock.
#![cfg(feature = "mysql")]

mod common;

use std::time::{Duration, SystemTime};

use sesh_core::{Created, ErrorKind, SessionId, SessionStore as _};
use sesh_sqlx::MySqlStore;

/// One connection, so every statement sees what the previous one left in
/// the connection's state (its last insert id above all).
async fn single_connection_store() -> Option<MySqlStore> {
    common::mysql_store().await?;
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .connect(&common::mysql_url())
        .await
        .expect("connect");
    Some(MySqlStore::from_pool(pool))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_tells_inserts_collisions_and_replacements_apart_on_one_connection() {
    let Some(store) = single_connection_store().await else {
        return;
    };
    let create = |key, owner: &str| {
        let mut record = common::record_of(None);
        record.data.insert("owner".into(), owner.into());
        let store = store.clone();
        async move { store.create(&key, &record).await.expect("create") }
    };
    let (a, b) = (SessionId::generate().key(), SessionId::generate().key());
    assert_eq!(create(a, "first").await, Created::Created);
    assert_eq!(create(a, "second").await, Created::Collision);
    assert_eq!(
        create(b, "b").await,
        Created::Created,
        "a collision's insert id leaked into the next create"
    );
    let mut short = common::record_of(None);
    short.expires_at = SystemTime::now() + Duration::from_millis(200);
    let c = SessionId::generate().key();
    assert_eq!(store.create(&c, &short).await.expect("create"), Created::Created);
    assert_eq!(create(c, "too early").await, Created::Collision);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(create(c, "after expiry").await, Created::Created);
    let loaded = store.load(&c).await.expect("load").expect("live");
    assert_eq!(loaded.data["owner"], "after expiry");
    let first = store.load(&a).await.expect("load").expect("live");
    assert_eq!(first.data["owner"], "first", "a collision changed the live row");
}

common::upgrade_and_lock_tests! {
    store: common::mysql_store,
    columns: ("CHAR(64)", "LONGBLOB"),
    insert_old: "INSERT INTO {table} (id, data, version, expires_at, absolute_at) VALUES (?, ?, 0, ?, ?)",
    lock_row: "SELECT 1 FROM sesh_sessions WHERE id = ? FOR UPDATE",
}

/// A record the server refuses for good answers 500 (`StoreRefused`), not
/// 503: retrying cannot help. No part of the value is in the error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_over_max_allowed_packet_is_refused_not_unavailable() {
    let Some(store) = common::mysql_store().await else {
        return;
    };
    let limit: i64 = sqlx::query_scalar("SELECT CAST(@@max_allowed_packet AS SIGNED)")
        .fetch_one(store.pool())
        .await
        .expect("max_allowed_packet");
    let mut record = common::record_of(None);
    let filler = "z".repeat(usize::try_from(limit).expect("size") + 1024);
    record.data.insert("big".into(), filler.into());
    let key = SessionId::generate().key();
    let error = store
        .create(&key, &record)
        .await
        .expect_err("over the server's packet limit");
    assert_eq!(error.kind(), ErrorKind::StoreRefused, "{error:?}");
    assert!(!error.is_unavailable());
    let source = std::error::Error::source(&error).expect("the driver's error");
    eprintln!("refused: {source}");
    let number = match source.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(e)) => e
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .map(sqlx::mysql::MySqlDatabaseError::number),
        _ => None,
    };
    assert_eq!(number, Some(1153), "ER_NET_PACKET_TOO_LARGE");
    assert!(
        !format!("{error:?}").contains("zzzz"),
        "a stored value in the error"
    );
    let small = SessionId::generate().key();
    let created = store.create(&small, &common::record_of(None)).await;
    assert_eq!(created.expect("the store recovers"), Created::Created);
}

/// A user longer than `user_id` holds (767 bytes) is refused in strict
/// mode (error 1406, SQLSTATE 22001): also for good. Outside strict mode,
/// which MySQL and MariaDB have left by default for years, the server
/// would truncate it instead, so the test needs strict mode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_too_long_for_its_column_is_refused_not_unavailable() {
    let Some(store) = common::mysql_store().await else {
        return;
    };
    let mode: String = sqlx::query_scalar("SELECT @@sql_mode")
        .fetch_one(store.pool())
        .await
        .expect("sql_mode");
    if !mode.contains("STRICT_") {
        eprintln!("skipped: the server is not in strict mode ({mode})");
        return;
    }
    let user = "u".repeat(768);
    let error = store
        .create(&SessionId::generate().key(), &common::record_of(Some(&user)))
        .await
        .expect_err("too long for VARBINARY(767)");
    assert_eq!(error.kind(), ErrorKind::StoreRefused, "{error:?}");
    assert!(
        !format!("{error:?}").contains("uuuu"),
        "a stored value in the error"
    );
}
