//! PostgreSQL behaviour the conformance suites cannot see: upgrading an
//! old table, and the per-operation time limit against a real lock.
#![cfg(feature = "postgres")]

mod common;

use std::time::{Duration, Instant, SystemTime};

use sesh_core::{Created, ErrorKind, SessionId, SessionStore as _, unix_millis};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_adds_the_user_index_to_an_old_table() {
    let Some(store) = common::postgres_store().await else {
        return;
    };
    let table = common::fresh_table("sesh_old");
    let pool = store.pool().clone();
    sqlx::query(&common::table_without_user_column(&table, "TEXT", "BYTEA"))
        .execute(&pool)
        .await
        .expect("old table");
    let old = common::record_of(None);
    let old_key = SessionId::generate().key();
    sqlx::query(&format!(
        "INSERT INTO {table} (id, data, version, expires_at, absolute_at) VALUES ($1, $2, 0, $3, $3)"
    ))
    .bind(old_key.to_hex())
    .bind(old.encode().expect("encode"))
    .bind(i64::try_from(unix_millis(old.expires_at)).expect("ms"))
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
    let Some(store) = common::postgres_store().await else {
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
    sqlx::query("SELECT 1 FROM sesh_sessions WHERE id = $1 FOR UPDATE")
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
    assert!(error.is_unavailable());
    assert!(took >= limit && took < limit * 5, "took {took:?}");
    lock.rollback().await.expect("unlock");
    store
        .touch(&key, later)
        .await
        .expect("touch after the lock is gone");
    assert!(store.load(&key).await.expect("load").is_some());
}
