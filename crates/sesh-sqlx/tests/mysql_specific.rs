//! MySQL/MariaDB behaviour the conformance suites cannot see: `create`'s
//! one-statement upsert on a single connection, upgrading an old table,
//! and the per-operation time limit against a real lock.
#![cfg(feature = "mysql")]

mod common;

use std::time::{Duration, SystemTime};

use sesh_core::{Created, SessionId, SessionStore as _};
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
