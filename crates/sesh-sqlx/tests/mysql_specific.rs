//! MySQL/MariaDB behaviour the conformance suites cannot see: `create`'s
//! one-statement upsert on a single connection, upgrading an old table,
//! and the per-operation time limit against a real lock.
#![cfg(feature = "mysql")]

mod common;

use std::time::{Duration, Instant, SystemTime};

use sesh_core::{Created, ErrorKind, SessionId, SessionStore as _, unix_millis};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_adds_the_user_index_to_an_old_table() {
    let Some(store) = common::mysql_store().await else {
        return;
    };
    let table = common::fresh_name("sesh_old");
    let pool = store.pool().clone();
    sqlx::query(&common::table_without_user_column(&table, "CHAR(64)", "LONGBLOB"))
        .execute(&pool)
        .await
        .expect("old table");
    let old = common::record_of(None);
    let old_key = SessionId::generate().key();
    sqlx::query(&format!(
        "INSERT INTO {table} (id, data, version, expires_at, absolute_at) VALUES (?, ?, 0, ?, ?)"
    ))
    .bind(old_key.to_hex())
    .bind(old.encode().expect("encode"))
    .bind(i64::try_from(unix_millis(old.expires_at)).expect("ms"))
    .bind(i64::try_from(unix_millis(old.absolute_deadline)).expect("ms"))
    .execute(&pool)
    .await
    .expect("old row");
    let store = store.with_table_name(&table).expect("table name");
    common::check_upgrade(&store, || store.migrate(), &old_key).await;
    sqlx::query(&format!("DROP TABLE {table}"))
        .execute(&pool)
        .await
        .expect("drop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_blocked_by_a_lock_times_out_and_the_store_recovers() {
    let Some(store) = common::mysql_store().await else {
        return;
    };
    let limit = Duration::from_millis(300);
    let store = store.with_timeout(limit);
    let key = SessionId::generate().key();
    let created = store
        .create(&key, &common::record_of(None))
        .await
        .expect("create");
    assert_eq!(created, Created::Created);
    let mut lock = store.pool().begin().await.expect("begin");
    sqlx::query("SELECT 1 FROM sesh_sessions WHERE id = ? FOR UPDATE")
        .bind(key.to_hex())
        .execute(&mut *lock)
        .await
        .expect("lock the row");
    let later = SystemTime::now() + Duration::from_secs(600);
    let started = Instant::now();
    let error = store.touch(&key, later).await.expect_err("blocked by the lock");
    let took = started.elapsed();
    eprintln!("touch behind a row lock failed after {took:?} (limit {limit:?})");
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(took >= limit && took < limit * 5, "took {took:?}");
    lock.rollback().await.expect("unlock");
    store
        .touch(&key, later)
        .await
        .expect("touch after the lock is gone");
    assert!(store.load(&key).await.expect("load").is_some());
}
