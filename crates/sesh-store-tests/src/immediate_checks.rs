//! Checks of a store's immediate calls ([`ImmediateStore`]), run by
//! [`immediate_suite!`](crate::immediate_suite): each must keep the promise
//! of its async namesake (the whole conformance suite runs over
//! [`ThroughImmediate`]), and the two kinds of call must see the same
//! records.

use std::{
    sync::{Arc, Barrier},
    thread,
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use serde_json::{Value, json};
use sesh_core::{
    Applied, Changes, Created, Error, Expiry, ImmediateStore, Record, Saved, SessionId, SessionStore,
    StoreKey,
};

/// `S` with its async calls made through its immediate ones, so that the
/// conformance suite holds the immediate calls to every promise. `save`,
/// which has no immediate form, stays the store's own.
#[derive(Debug)]
pub struct ThroughImmediate<S>(pub S);

#[async_trait]
impl<S: SessionStore> SessionStore for ThroughImmediate<S> {
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        now_calls(&self.0).load_now(key)
    }
    async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
        now_calls(&self.0).create_now(key, record)
    }
    async fn save(&self, key: &StoreKey, record: &Record, expected: u64) -> Result<Saved, Error> {
        self.0.save(key, record, expected).await
    }
    async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
        now_calls(&self.0).touch_now(key, expires_at)
    }
    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        now_calls(&self.0).delete_now(key)
    }
    async fn apply(&self, key: &StoreKey, _merged: Record, changes: &Changes) -> Result<Applied, Error> {
        now_calls(&self.0).apply_now(key, changes)
    }
}

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

fn setting(key: &str, value: impl Into<Value>) -> Changes {
    let now = SystemTime::now();
    let mut c = Changes::new(now, now + Duration::from_secs(3600));
    c.entries.push((key.to_owned(), Some(value.into())));
    c
}

fn created_now(calls: &dyn ImmediateStore, record: &Record) -> StoreKey {
    let key = SessionId::generate().key();
    let outcome = calls.create_now(&key, record).expect("create_now");
    assert_eq!(outcome, Created::Created);
    key
}

/// The store offers its immediate calls.
pub async fn immediate_is_offered<S: SessionStore>(store: S) {
    now_calls(&store);
}

/// A record made by either kind of call is found by both, the same;
/// `create` collides with a record `create_now` made, and `create_now`
/// with one `create` made.
pub async fn immediate_and_async_calls_agree<S: SessionStore>(store: S) {
    let calls = now_calls(&store);
    let key = created_now(calls, &record_with("a", 1));
    let through_future = store.load(&key).await.expect("load").expect("live");
    assert_eq!(through_future.data.get("a"), Some(&json!(1)));
    assert_eq!(calls.load_now(&key).expect("load_now"), Some(through_future));
    let outcome = store.create(&key, &record_with("a", 2)).await.expect("create");
    assert_eq!(
        outcome,
        Created::Collision,
        "create overwrote a record create_now made"
    );

    let other = SessionId::generate().key();
    let outcome = store.create(&other, &record_with("b", 3)).await.expect("create");
    assert_eq!(outcome, Created::Created);
    let in_place = calls.load_now(&other).expect("load_now").expect("live");
    assert_eq!(in_place.data.get("b"), Some(&json!(3)));
    assert_eq!(store.load(&other).await.expect("load"), Some(in_place));
    let outcome = calls
        .create_now(&other, &record_with("b", 4))
        .expect("create_now");
    assert_eq!(
        outcome,
        Created::Collision,
        "create_now overwrote a record create made"
    );
}

/// Threads applying different keys to one record at once all keep theirs.
pub async fn immediate_concurrent_applies_lose_nothing<S: SessionStore>(store: S) {
    const WRITERS: usize = 16;
    let store = Arc::new(store);
    let key = created_now(now_calls(store.as_ref()), &record_with("start", 0));
    // Each thread waits until all have started, so that the applies overlap.
    let start = Arc::new(Barrier::new(WRITERS));
    let writers: Vec<_> = (0..WRITERS)
        .map(|i| {
            let (store, start) = (Arc::clone(&store), Arc::clone(&start));
            thread::spawn(move || {
                let changes = setting(&format!("k{i}"), i);
                start.wait();
                let outcome = now_calls(store.as_ref()).apply_now(&key, &changes);
                assert_eq!(outcome.expect("apply_now"), Applied::Applied);
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("a writer panicked");
    }
    let record = store.load(&key).await.expect("load").expect("live");
    for i in 0..WRITERS {
        let kept = record.data.get(&format!("k{i}"));
        assert_eq!(kept, Some(&json!(i)), "key k{i} was lost");
    }
}
