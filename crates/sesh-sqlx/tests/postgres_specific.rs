//! PostgreSQL behaviour the conformance suites cannot see: the native
//! `apply` on awkward values, upgrading an old table, and the
//! per-operation time limit against a real lock.
#![cfg(feature = "postgres")]

mod common;

use std::time::{Duration, SystemTime};

use serde_json::json;
use sesh_core::{
    Applied, Changes, Created, ErrorKind, Record, SessionId, SessionStore as _, StoreKey, UserIndex as _,
    unix_millis,
};
use sesh_sqlx::PostgresStore;

/// Creates `data`; returns its key and the stored record.
async fn create_with(store: &PostgresStore, data: serde_json::Value) -> (StoreKey, Record) {
    let mut record = common::record_of(None);
    record.data = serde_json::from_value(data).expect("an object");
    let key = SessionId::generate().key();
    assert_eq!(
        store.create(&key, &record).await.expect("create"),
        Created::Created
    );
    (key, store.load(&key).await.expect("load").expect("live"))
}

/// Applies `changes` to `loaded` with a `merged` record that carries a
/// marker key: the native merge ignores `merged`, compare-and-swap stores
/// it, so the marker shows which way the store went. Returns the stored
/// record and what `Changes::apply_to` says it should be.
async fn apply_marked(
    store: &PostgresStore,
    key: &StoreKey,
    loaded: &Record,
    changes: &Changes,
) -> (Record, Record) {
    let mut expected = loaded.clone();
    changes.apply_to(&mut expected);
    expected.version += 1;
    let mut merged = expected.clone();
    merged.version = loaded.version;
    merged.data.insert("marker".into(), json!("merged"));
    let applied = store.apply(key, &merged, changes).await.expect("apply");
    assert_eq!(applied, Applied::Applied);
    (store.load(key).await.expect("load").expect("live"), expected)
}

fn assert_same(got: &Record, expected: &Record) {
    let mut data = got.data.clone();
    data.remove("marker");
    assert_eq!(data, expected.data);
    assert_eq!(
        (got.version, &got.user, got.persistent),
        (expected.version, &expected.user, expected.persistent)
    );
    assert_eq!(unix_millis(got.last_active), unix_millis(expected.last_active));
    assert_eq!(unix_millis(got.expires_at), unix_millis(expected.expires_at));
    assert_eq!(unix_millis(got.created_at), unix_millis(expected.created_at));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_apply_merges_like_changes_apply_to() {
    let Some(store) = common::postgres_store().await else {
        return;
    };
    let (key, loaded) = create_with(
        &store,
        json!({"keep": "me", "obj": {"b": 2}, "gone": 1, "max": u64::MAX, "big": 1e300,
               "neg": -0.0, "ключ": [1, "two", null], "q\"k\\": true}),
    )
    .await;
    let user = common::fresh_name("user");
    let now = SystemTime::now();
    let mut changes = Changes::new(now, now + Duration::from_secs(1800));
    changes.entries.push(("obj".into(), Some(json!({"a": null}))));
    changes.entries.push(("null".into(), Some(json!(null))));
    changes.entries.push(("gone".into(), None));
    changes.entries.push(("new\"k\\".into(), Some(json!("v"))));
    changes.user = Some(Some(user.clone()));
    changes.persistent = Some(true);
    let (got, expected) = apply_marked(&store, &key, &loaded, &changes).await;
    assert!(
        !got.data.contains_key("marker"),
        "took compare-and-swap, not the native merge"
    );
    assert_same(&got, &expected);
    assert_eq!(
        got.data["obj"],
        json!({"a": null}),
        "an object value is replaced, not merged"
    );
    let listed = store.user_sessions(&user).await.expect("user_sessions");
    assert_eq!(listed.len(), 1, "the user binding reached the index");

    let mut clear = Changes::new(now, now + Duration::from_secs(1800));
    clear.cleared = true;
    clear.entries.push(("only".into(), Some(json!(1))));
    clear.user = Some(None);
    let (got, expected) = apply_marked(&store, &key, &got, &clear).await;
    assert_same(&got, &expected);
    assert!(
        store
            .user_sessions(&user)
            .await
            .expect("user_sessions")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_holding_nul_is_merged_by_compare_and_swap() {
    let Some(store) = common::postgres_store().await else {
        return;
    };
    let (key, loaded) = create_with(&store, json!({"bytes": "a\u{0}b"})).await;
    let now = SystemTime::now();
    let mut changes = Changes::new(now, now + Duration::from_secs(1800));
    changes.entries.push(("n".into(), Some(json!(1))));
    let (got, expected) = apply_marked(&store, &key, &loaded, &changes).await;
    assert!(
        got.data.contains_key("marker"),
        "PostgreSQL's JSON functions refuse \\u0000"
    );
    assert_same(&got, &expected);
}

/// A user holding a NUL character, which PostgreSQL's `text` refuses
/// (SQLSTATE 22021, a data exception), answers 500 (`StoreRefused`), not
/// 503: retrying cannot help. No part of the value is in the error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_postgres_refuses_is_refused_not_unavailable() {
    let Some(store) = common::postgres_store().await else {
        return;
    };
    let user = format!("{}\u{0}tail", common::fresh_name("user"));
    let key = SessionId::generate().key();
    let error = store
        .create(&key, &common::record_of(Some(&user)))
        .await
        .expect_err("text refuses NUL");
    assert_eq!(error.kind(), ErrorKind::StoreRefused, "{error:?}");
    assert!(!error.is_unavailable());
    let source = std::error::Error::source(&error).expect("the driver's error");
    eprintln!("refused: {source}");
    let state = match source.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::Database(e)) => e.code().map(std::borrow::Cow::into_owned),
        _ => None,
    };
    assert!(state.as_deref().is_some_and(|s| s.starts_with("22")), "{state:?}");
    assert!(
        !format!("{error:?}").contains(&user[..12]),
        "a stored value in the error"
    );
    assert!(
        store.load(&key).await.expect("load").is_none(),
        "nothing was written"
    );
}

common::upgrade_and_lock_tests! {
    store: common::postgres_store,
    columns: ("TEXT", "BYTEA"),
    insert_old: "INSERT INTO {table} (id, data, version, expires_at, absolute_at) VALUES ($1, $2, 0, $3, $4)",
    lock_row: "SELECT 1 FROM sesh_sessions WHERE id = $1 FOR UPDATE",
}
