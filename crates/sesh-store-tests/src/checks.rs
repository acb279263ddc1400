use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use futures_util::future::join_all;
use serde_json::{Value, json};
use sesh_core::{Applied, Changes, Created, Error, Expiry, Record, Saved, SessionId, SessionStore, StoreKey};

fn fresh_key() -> StoreKey {
    SessionId::generate().key()
}

fn record() -> Record {
    Record::new(SystemTime::now(), &Expiry::new())
}

fn record_with(key: &str, value: Value) -> Record {
    let mut r = record();
    r.data.insert(key.to_owned(), value);
    r
}

async fn created<S: SessionStore>(store: &S, r: &Record) -> StoreKey {
    let key = fresh_key();
    assert_eq!(store.create(&key, r).await.expect("create"), Created::Created);
    key
}

async fn loaded<S: SessionStore>(store: &S, key: &StoreKey) -> Record {
    store
        .load(key)
        .await
        .expect("load")
        .expect("record should be live")
}

fn set(key: &str, value: Value) -> Changes {
    let now = SystemTime::now();
    let mut c = Changes::new(now, Expiry::new().extend(now, now + Duration::from_secs(3600)));
    c.entries.push((key.to_owned(), Some(value)));
    c
}

/// `load` of a key never written is `None`.
pub async fn load_missing_is_none<S: SessionStore>(store: S) {
    assert!(store.load(&fresh_key()).await.expect("load").is_none());
}

/// What `create` wrote, `load` returns: data, version, deadlines (to the millisecond), user.
pub async fn create_then_load<S: SessionStore>(store: S) {
    let mut r = record_with("n", json!(1));
    r.user = Some("ada".into());
    r.persistent = true;
    let key = created(&store, &r).await;
    let got = loaded(&store, &key).await;
    assert_eq!(got.data, r.data);
    assert_eq!(got.version, r.version);
    assert_eq!(got.user, r.user);
    assert!(got.persistent);
    assert_eq!(
        sesh_core::unix_millis(got.created_at),
        sesh_core::unix_millis(r.created_at)
    );
    assert_eq!(
        sesh_core::unix_millis(got.absolute_deadline),
        sesh_core::unix_millis(r.absolute_deadline)
    );
    let drift = sesh_core::unix_millis(got.expires_at).abs_diff(sesh_core::unix_millis(r.expires_at));
    assert!(drift <= 1000, "expires_at drifted by {drift} ms");
}

/// `create` on a live key is a `Collision` and leaves the record alone.
pub async fn create_collides_with_live_record<S: SessionStore>(store: S) {
    let key = created(&store, &record_with("owner", json!("first"))).await;
    let outcome = store
        .create(&key, &record_with("owner", json!("second")))
        .await
        .expect("create");
    assert_eq!(outcome, Created::Collision);
    assert_eq!(loaded(&store, &key).await.data["owner"], json!("first"));
}

/// An expired record does not block `create` of the same key.
pub async fn create_replaces_expired_record<S: SessionStore>(store: S) {
    let mut old = record_with("owner", json!("old"));
    old.expires_at = SystemTime::now() + Duration::from_millis(200);
    let key = created(&store, &old).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let outcome = store
        .create(&key, &record_with("owner", json!("new")))
        .await
        .expect("create");
    assert_eq!(outcome, Created::Created);
    assert_eq!(loaded(&store, &key).await.data["owner"], json!("new"));
}

/// `save` replaces only when the expected version matches.
pub async fn save_is_compare_and_swap<S: SessionStore>(store: S) {
    let key = created(&store, &record_with("n", json!(0))).await;
    let mut next = loaded(&store, &key).await;
    next.data.insert("n".into(), json!(1));
    next.version = 1;
    assert_eq!(store.save(&key, &next, 0).await.expect("save"), Saved::Saved);
    let mut stale = next.clone();
    stale.data.insert("n".into(), json!(99));
    stale.version = 1;
    assert_eq!(store.save(&key, &stale, 0).await.expect("save"), Saved::Conflict);
    let got = loaded(&store, &key).await;
    assert_eq!((got.data["n"].clone(), got.version), (json!(1), 1));
}

/// `save` of a missing key is a `Conflict` and creates nothing.
pub async fn save_never_inserts<S: SessionStore>(store: S) {
    let key = fresh_key();
    let mut r = record();
    r.version = 1;
    assert_eq!(store.save(&key, &r, 0).await.expect("save"), Saved::Conflict);
    assert!(store.load(&key).await.expect("load").is_none());
}

/// `touch` moves the deadline and keeps data and version.
pub async fn touch_extends_without_rewriting<S: SessionStore>(store: S) {
    let mut r = record_with("n", json!(5));
    r.expires_at = SystemTime::now() + Duration::from_secs(60);
    let key = created(&store, &r).await;
    let later = SystemTime::now() + Duration::from_secs(600);
    store.touch(&key, later).await.expect("touch");
    let got = loaded(&store, &key).await;
    assert_eq!((got.data["n"].clone(), got.version), (json!(5), 0));
    let drift = sesh_core::unix_millis(got.expires_at).abs_diff(sesh_core::unix_millis(later));
    assert!(drift <= 1000, "touched deadline off by {drift} ms");
}

/// `touch` of a deleted record does not bring it back.
pub async fn touch_never_resurrects<S: SessionStore>(store: S) {
    let key = created(&store, &record()).await;
    store.delete(&key).await.expect("delete");
    store
        .touch(&key, SystemTime::now() + Duration::from_secs(600))
        .await
        .expect("touch");
    assert!(store.load(&key).await.expect("load").is_none());
}

/// `delete` removes; deleting again (or a key never written) succeeds.
pub async fn delete_is_idempotent<S: SessionStore>(store: S) {
    let key = created(&store, &record()).await;
    store.delete(&key).await.expect("delete");
    assert!(store.load(&key).await.expect("load").is_none());
    store.delete(&key).await.expect("second delete");
    store.delete(&fresh_key()).await.expect("delete of unknown key");
}

/// A request that loaded before a logout cannot save the session back.
pub async fn logout_wins_over_in_flight_apply<S: SessionStore>(store: S) {
    let key = created(&store, &record_with("user", json!("ada"))).await;
    let in_flight = loaded(&store, &key).await;
    store.delete(&key).await.expect("delete");
    let changes = set("cart", json!(["book"]));
    let mut merged = in_flight;
    changes.apply_to(&mut merged);
    assert_eq!(
        store.apply(&key, &merged, &changes).await.expect("apply"),
        Applied::Gone
    );
    assert!(store.load(&key).await.expect("load").is_none());
}

/// A record past its deadline is never returned, whatever the backend's sweeping.
pub async fn expired_record_is_never_loaded<S: SessionStore>(store: S) {
    let mut r = record();
    r.expires_at = SystemTime::now() + Duration::from_millis(300);
    let key = created(&store, &r).await;
    assert!(store.load(&key).await.expect("load").is_some());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(store.load(&key).await.expect("load").is_none());
}

/// A 1 MiB value survives unchanged.
pub async fn large_values_round_trip<S: SessionStore>(store: S) {
    let big: String = "abcdefghijklmnopqrstuvwxyz"
        .chars()
        .cycle()
        .take(1 << 20)
        .collect();
    let key = created(&store, &record_with("big", json!(big))).await;
    assert_eq!(loaded(&store, &key).await.data["big"], json!(big));
}

/// Keys and values in any script, with quotes and control characters, survive.
pub async fn unicode_keys_round_trip<S: SessionStore>(store: S) {
    let mut r = record();
    for k in ["ключ", "鍵", "🔑", "a\"b", "tab\there", "nul\u{0}byte", ""] {
        r.data.insert(k.to_owned(), json!(format!("value of {k}")));
    }
    let key = created(&store, &r).await;
    assert_eq!(loaded(&store, &key).await.data, r.data);
}

/// Of 16 simultaneous creates of one key, exactly one wins.
pub async fn concurrent_creates_one_wins<S: SessionStore>(store: S) {
    let store = Arc::new(store);
    let key = fresh_key();
    let attempts = (0..16).map(|i| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.create(&key, &record_with("winner", json!(i))).await })
    });
    let outcomes: Vec<Created> = join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.expect("task").expect("create"))
        .collect();
    assert_eq!(outcomes.iter().filter(|o| **o == Created::Created).count(), 1);
}

/// 64 simultaneous applies of different keys all land.
pub async fn concurrent_applies_lose_nothing<S: SessionStore>(store: S) {
    race_distinct_keys(Arc::new(store)).await;
}

/// 32 simultaneous applies of one key end with one of the written values.
pub async fn same_key_race_keeps_one_value<S: SessionStore>(store: S) {
    let store = Arc::new(store);
    let key = created(&*store, &record_with("keep", json!("me"))).await;
    let base = loaded(&*store, &key).await;
    let writers = (0..32).map(|i| {
        let (store, base) = (Arc::clone(&store), base.clone());
        tokio::spawn(async move { apply_one(&*store, &key, base, "k", json!(i)).await })
    });
    for outcome in join_all(writers).await {
        assert_eq!(outcome.expect("task").expect("apply"), Applied::Applied);
    }
    let got = loaded(&*store, &key).await;
    let winner = got.data["k"].as_i64().expect("an integer written by one writer");
    assert!((0..32).contains(&winner));
    assert_eq!(got.data["keep"], json!("me"));
}

/// The trait's default `apply` (compare-and-swap and retry) loses nothing
/// either, even when the store overrides `apply` with a native merge.
pub async fn default_apply_merges_after_conflicts<S: SessionStore>(store: S) {
    race_distinct_keys(Arc::new(CasOnly(store))).await;
}

async fn race_distinct_keys<S: SessionStore>(store: Arc<S>) {
    let key = created(&*store, &record_with("keep", json!("me"))).await;
    let base = loaded(&*store, &key).await;
    let writers = (0..64).map(|i| {
        let (store, base) = (Arc::clone(&store), base.clone());
        tokio::spawn(async move { apply_one(&*store, &key, base, &format!("k{i}"), json!(i)).await })
    });
    for outcome in join_all(writers).await {
        assert_eq!(outcome.expect("task").expect("apply"), Applied::Applied);
    }
    let got = loaded(&*store, &key).await;
    for i in 0..64 {
        assert_eq!(got.data.get(&format!("k{i}")), Some(&json!(i)), "k{i} was lost");
    }
    assert_eq!(got.data["keep"], json!("me"));
    assert!(got.version >= 64, "every apply bumps the version");
}

async fn apply_one<S: SessionStore + ?Sized>(
    store: &S,
    key: &StoreKey,
    mut base: Record,
    name: &str,
    value: Value,
) -> Result<Applied, Error> {
    let changes = set(name, value);
    changes.apply_to(&mut base);
    store.apply(key, &base, &changes).await
}

/// Hides a store's own `apply`, so the trait's default runs; yields between
/// load and save so the race is real even on a store that never awaits.
struct CasOnly<S>(S);

#[async_trait::async_trait]
impl<S: SessionStore> SessionStore for CasOnly<S> {
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        let r = self.0.load(key).await;
        tokio::task::yield_now().await;
        r
    }
    async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
        self.0.create(key, record).await
    }
    async fn save(&self, key: &StoreKey, record: &Record, expected: u64) -> Result<Saved, Error> {
        tokio::task::yield_now().await;
        self.0.save(key, record, expected).await
    }
    async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
        self.0.touch(key, expires_at).await
    }
    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        self.0.delete(key).await
    }
}
