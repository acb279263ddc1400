//! Checks of a store's immediate calls ([`ImmediateStore`]), run by
//! [`immediate_suite!`](crate::immediate_suite): each must keep the promise
//! of its async namesake, and the two must see the same records.

use std::{
    sync::Arc,
    thread,
    time::{Duration, SystemTime},
};

use serde_json::json;
use sesh_core::{
    Applied, Changes, Created, Expiry, ImmediateStore, Record, SessionId, SessionKey, SessionStore,
};

fn now_calls<S: SessionStore>(store: &S) -> &dyn ImmediateStore {
    store
        .immediate()
        .expect("immediate() returned None: run immediate_suite! only on stores that offer ImmediateStore")
}

fn record_with(key: &str, value: u64) -> Record {
    let mut r = Record::new(SystemTime::now(), &Expiry::new());
    r.data.insert(key.to_owned(), json!(value));
    r
}

fn setting(key: &str, value: u64) -> Changes {
    let now = SystemTime::now();
    let mut c = Changes::new(now, now + Duration::from_secs(3600));
    c.entries.push((key.to_owned(), Some(json!(value))));
    c
}

fn created_now(calls: &dyn ImmediateStore, record: &Record) -> SessionKey {
    let key = SessionId::generate().key();
    assert_eq!(
        calls.create_now(&key, record).expect("create_now"),
        Created::Created
    );
    key
}

/// The store offers its immediate calls.
pub async fn immediate_is_offered<S: SessionStore>(store: S) {
    now_calls(&store);
}

/// A record made by either kind of call is found by both, equal to what
/// was stored; `create_now` collides with a live record; `load_now` of a
/// missing key is `None`.
pub async fn immediate_and_async_calls_agree<S: SessionStore>(store: S) {
    let calls = now_calls(&store);
    assert!(
        calls
            .load_now(&SessionId::generate().key())
            .expect("load_now")
            .is_none()
    );

    let made_now = record_with("a", 1);
    let key = created_now(calls, &made_now);
    assert_eq!(store.load(&key).await.expect("load"), Some(made_now.clone()));
    assert_eq!(calls.load_now(&key).expect("load_now"), Some(made_now));
    let outcome = calls.create_now(&key, &record_with("a", 2)).expect("create_now");
    assert_eq!(outcome, Created::Collision, "create_now overwrote a live record");

    let made_async = record_with("b", 3);
    let other = SessionId::generate().key();
    assert_eq!(
        store.create(&other, &made_async).await.expect("create"),
        Created::Created
    );
    assert_eq!(calls.load_now(&other).expect("load_now"), Some(made_async));
}

/// `apply_now` merges per key and moves the deadlines; `touch_now`
/// extends; after `delete_now` nothing brings the record back.
pub async fn immediate_writes_keep_the_store_promises<S: SessionStore>(store: S) {
    let calls = now_calls(&store);
    let key = created_now(calls, &record_with("kept", 1));

    let changes = setting("added", 2);
    assert_eq!(
        calls.apply_now(&key, &changes).expect("apply_now"),
        Applied::Applied
    );
    let merged = store
        .load(&key)
        .await
        .expect("load")
        .expect("live after apply_now");
    assert_eq!(
        merged.data.get("kept"),
        Some(&json!(1)),
        "apply_now lost a key it did not change"
    );
    assert_eq!(merged.data.get("added"), Some(&json!(2)));
    assert_eq!(merged.expires_at, changes.expires_at);

    let later = changes.expires_at + Duration::from_secs(60);
    calls.touch_now(&key, later).expect("touch_now");
    let touched = calls
        .load_now(&key)
        .expect("load_now")
        .expect("live after touch_now");
    assert_eq!(touched.expires_at, later);
    assert_eq!(touched.data, merged.data, "touch_now rewrote the data");

    calls.delete_now(&key).expect("delete_now");
    assert!(calls.load_now(&key).expect("load_now").is_none());
    assert_eq!(
        calls.apply_now(&key, &setting("late", 3)).expect("apply_now"),
        Applied::Gone
    );
    calls
        .touch_now(&key, later)
        .expect("touch_now of a deleted record");
    assert!(
        store.load(&key).await.expect("load").is_none(),
        "a deleted record came back"
    );
    calls
        .delete_now(&key)
        .expect("deleting a missing record succeeds");
}

/// Threads applying different keys to one record at once all keep theirs.
pub async fn immediate_concurrent_applies_lose_nothing<S: SessionStore>(store: S) {
    const WRITERS: u64 = 16;
    let store = Arc::new(store);
    let key = created_now(now_calls(store.as_ref()), &record_with("start", 0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|i| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                let outcome = now_calls(store.as_ref()).apply_now(&key, &setting(&format!("k{i}"), i));
                assert_eq!(outcome.expect("apply_now"), Applied::Applied);
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("a writer panicked");
    }
    let record = store.load(&key).await.expect("load").expect("live");
    for i in 0..WRITERS {
        assert_eq!(
            record.data.get(&format!("k{i}")),
            Some(&json!(i)),
            "key k{i} was lost"
        );
    }
}
