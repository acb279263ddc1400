//! What the cache itself promises: hits cost no round trip, this process
//! reads its own writes and never serves a deleted session, and another
//! process's writes show after the time to live.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use serde_json::json;
use sesh_cache::CachingStore;
use sesh_core::{
    Applied, Changes, Created, Error, Expiry, MemoryStore, Record, Saved, SessionId, SessionStore, StoreKey,
    UserIndex,
};

/// The memory store, counting loads; clones share the store and the count.
#[derive(Debug, Clone, Default)]
struct Counted {
    inner: MemoryStore,
    loads: Arc<AtomicUsize>,
    /// When set, the next load reads the store and then waits for this
    /// before it answers: a load in flight while other requests write.
    hold_next_load: Arc<std::sync::Mutex<Option<Arc<tokio::sync::Notify>>>>,
}

#[async_trait]
impl SessionStore for Counted {
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        let found = self.inner.load(key).await;
        let hold = self.hold_next_load.lock().expect("hold lock").take();
        if let Some(release) = hold {
            release.notified().await;
        }
        found
    }
    async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
        self.inner.create(key, record).await
    }
    async fn save(&self, key: &StoreKey, record: &Record, expected: u64) -> Result<Saved, Error> {
        self.inner.save(key, record, expected).await
    }
    async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
        self.inner.touch(key, expires_at).await
    }
    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        self.inner.delete(key).await
    }
    async fn apply(&self, key: &StoreKey, merged: &Record, changes: &Changes) -> Result<Applied, Error> {
        self.inner.apply(key, merged, changes).await
    }
    fn user_index(&self) -> Option<&dyn UserIndex> {
        self.inner.user_index()
    }
}

async fn created(store: &impl SessionStore, user: Option<&str>) -> StoreKey {
    let key = SessionId::generate().key();
    let mut record = Record::new(SystemTime::now(), &Expiry::new());
    record.user = user.map(str::to_owned);
    assert_eq!(
        store.create(&key, &record).await.expect("create"),
        Created::Created
    );
    key
}

async fn write(store: &impl SessionStore, key: &StoreKey, value: i64) {
    let now = SystemTime::now();
    let mut changes = Changes::new(now, now + Duration::from_secs(3600));
    changes.entries.push(("n".into(), Some(json!(value))));
    let mut merged = store.load(key).await.expect("load").expect("live");
    changes.apply_to(&mut merged);
    assert_eq!(
        store.apply(key, &merged, &changes).await.expect("apply"),
        Applied::Applied
    );
}

async fn value(store: &impl SessionStore, key: &StoreKey) -> Option<i64> {
    store
        .load(key)
        .await
        .expect("load")
        .map(|r| r.data.get("n").and_then(serde_json::Value::as_i64).unwrap_or(0))
}

#[tokio::test]
async fn hits_cost_no_round_trip_and_own_writes_are_read() {
    let backend = Counted::default();
    let cache = CachingStore::new(backend.clone());
    let key = created(&cache, None).await;
    for _ in 0..10 {
        assert_eq!(value(&cache, &key).await, Some(0));
    }
    assert_eq!(
        backend.loads.load(Ordering::SeqCst),
        1,
        "only the first read is a miss"
    );
    write(&cache, &key, 7).await;
    let after_write = backend.loads.load(Ordering::SeqCst);
    assert_eq!(value(&cache, &key).await, Some(7), "read your own write");
    assert_eq!(
        backend.loads.load(Ordering::SeqCst),
        after_write,
        "the write refreshed the cache"
    );
}

#[tokio::test]
async fn a_deleted_session_is_never_served_from_the_cache() {
    let cache = CachingStore::new(MemoryStore::new());
    let key = created(&cache, None).await;
    assert!(value(&cache, &key).await.is_some());
    cache.delete(&key).await.expect("delete");
    assert_eq!(value(&cache, &key).await, None);
}

#[tokio::test]
async fn log_out_everywhere_drops_cached_sessions() {
    let cache = CachingStore::new(MemoryStore::new());
    let keys = [
        created(&cache, Some("ada")).await,
        created(&cache, Some("ada")).await,
    ];
    let bob = created(&cache, Some("bob")).await;
    assert_eq!(
        cache
            .delete_user_sessions("ada", Some(&keys[0]))
            .await
            .expect("delete"),
        1
    );
    assert!(value(&cache, &keys[0]).await.is_some());
    assert_eq!(value(&cache, &keys[1]).await, None);
    assert!(value(&cache, &bob).await.is_some());
}

/// The documented limit: two app servers, each with its own cache.
#[tokio::test]
async fn another_servers_writes_show_after_the_time_to_live() {
    let shared = MemoryStore::new();
    let ttl = Duration::from_millis(300);
    let (one, two) = (
        CachingStore::new(shared.clone()).time_to_live(ttl),
        CachingStore::new(shared.clone()).time_to_live(ttl),
    );
    let key = created(&one, None).await;
    assert_eq!(value(&two, &key).await, Some(0), "server two caches the session");
    write(&one, &key, 5).await;
    assert_eq!(value(&two, &key).await, Some(0), "stale within the time to live");
    tokio::time::sleep(ttl * 2).await;
    assert_eq!(value(&two, &key).await, Some(5), "fresh after it");
    assert_eq!(
        shared
            .load(&key)
            .await
            .expect("load")
            .map(|r| r.data["n"].clone()),
        Some(json!(5))
    );
}

#[tokio::test]
async fn a_write_costs_no_load_and_a_concurrent_one_drops_the_entry() {
    let backend = Counted::default();
    let cache = CachingStore::new(backend.clone());
    let key = created(&cache, None).await;
    assert_eq!(value(&cache, &key).await, Some(0));
    let before = backend.loads.load(Ordering::SeqCst);
    write(&cache, &key, 1).await;
    assert_eq!(value(&cache, &key).await, Some(1));
    assert_eq!(
        backend.loads.load(Ordering::SeqCst),
        before,
        "neither the write nor the read after it went to the store for a load"
    );

    // Two requests loaded the same version; each sets its own key.
    let loaded = cache.load(&key).await.expect("load").expect("live");
    let now = SystemTime::now();
    for name in ["a", "b"] {
        let mut changes = Changes::new(now, now + Duration::from_secs(3600));
        changes.entries.push((name.into(), Some(json!(true))));
        let mut merged = loaded.clone();
        changes.apply_to(&mut merged);
        assert_eq!(
            cache.apply(&key, &merged, &changes).await.expect("apply"),
            Applied::Applied
        );
    }
    let misses = backend.loads.load(Ordering::SeqCst);
    let record = cache.load(&key).await.expect("load").expect("live");
    assert_eq!(
        backend.loads.load(Ordering::SeqCst),
        misses + 1,
        "the second write found a newer version cached and dropped it"
    );
    assert!(record.data.contains_key("a") && record.data.contains_key("b"));
    assert_eq!(record.data.get("n"), Some(&json!(1)));
}

#[tokio::test]
async fn a_load_in_flight_during_a_write_cannot_cache_the_older_record() {
    let backend = Counted::default();
    let cache = Arc::new(CachingStore::new(backend.clone()));
    let key = created(&cache, None).await;
    let release = Arc::new(tokio::sync::Notify::new());
    *backend.hold_next_load.lock().expect("hold lock") = Some(Arc::clone(&release));
    // A read misses the cache and reads version 0 from the store...
    let reader = tokio::spawn({
        let cache = Arc::clone(&cache);
        async move { value(&*cache, &key).await }
    });
    while backend.hold_next_load.lock().expect("hold lock").is_some() {
        tokio::task::yield_now().await;
    }
    // ...then a write lands, from a request that loaded before the cache had it.
    let now = SystemTime::now();
    let mut changes = Changes::new(now, now + Duration::from_secs(3600));
    changes.entries.push(("n".into(), Some(json!(7))));
    let mut merged = backend.inner.load(&key).await.expect("load").expect("live");
    changes.apply_to(&mut merged);
    assert_eq!(
        cache.apply(&key, &merged, &changes).await.expect("apply"),
        Applied::Applied
    );
    // ...and only then does the read answer and try to fill the cache.
    release.notify_one();
    assert_eq!(reader.await.expect("reader"), Some(0), "it read before the write");
    assert_eq!(
        value(&*cache, &key).await,
        Some(7),
        "a read after the write sees it"
    );
}

#[tokio::test]
async fn local_writes_do_not_extend_how_long_an_entry_is_served() {
    let shared = MemoryStore::new();
    let ttl = Duration::from_millis(400);
    let (one, two) = (
        CachingStore::new(shared.clone()).time_to_live(ttl),
        CachingStore::new(shared.clone()).time_to_live(ttl),
    );
    let key = created(&one, None).await;
    assert_eq!(value(&one, &key).await, Some(0), "server one caches the session");
    write(&two, &key, 5).await;
    // Server one keeps writing other keys to its cached copy...
    for _ in 0..3 {
        tokio::time::sleep(ttl / 4).await;
        let now = SystemTime::now();
        let mut changes = Changes::new(now, now + Duration::from_secs(3600));
        changes.entries.push(("seen".into(), Some(json!(true))));
        let mut merged = one.load(&key).await.expect("load").expect("live");
        changes.apply_to(&mut merged);
        assert_eq!(
            one.apply(&key, &merged, &changes).await.expect("apply"),
            Applied::Applied
        );
    }
    // ...yet once the time to live since it last asked the store is over,
    // it reads server two's write.
    tokio::time::sleep(ttl / 2).await;
    assert_eq!(value(&one, &key).await, Some(5));
}
