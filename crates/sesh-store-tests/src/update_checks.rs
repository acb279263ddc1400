//! Checks of changes a store's own merge cannot apply alone: read-modify-
//! writes (`Changes::updates`) and a session's own timeouts. Stores that
//! merge natively must fall back to compare-and-swap for them.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use futures_util::future::join_all;
use serde_json::{Value, json};
use sesh_core::{Applied, Changes, Created, Expiry, Record, SessionId, SessionStore, StoreKey, Update};

/// How many requests race to increment one key.
const WRITERS: u64 = 64;

fn changes() -> Changes {
    let now = SystemTime::now();
    Changes::new(now, Expiry::new().extend(now, now + Duration::from_secs(3600)))
}

fn increment() -> Update {
    Update::new(|n| Some(json!(n.and_then(Value::as_u64).unwrap_or(0) + 1)))
}

async fn created<S: SessionStore + ?Sized>(store: &S, record: &Record) -> StoreKey {
    let key = SessionId::generate().key();
    assert_eq!(
        store.create(&key, record).await.expect("create"),
        Created::Created
    );
    key
}

async fn loaded<S: SessionStore + ?Sized>(store: &S, key: &StoreKey) -> Record {
    store
        .load(key)
        .await
        .expect("load")
        .expect("record should be live")
}

/// 64 simultaneous increments of one key, each from the same loaded
/// record, end at 64: a read-modify-write runs again on the value the
/// store holds, so none is lost.
pub async fn concurrent_updates_lose_nothing<S: SessionStore>(store: S) {
    let store = Arc::new(store);
    let mut record = Record::new(SystemTime::now(), &Expiry::new());
    record.data.insert("keep".into(), json!("me"));
    let key = created(&*store, &record).await;
    let base = loaded(&*store, &key).await;
    let writers = (0..WRITERS).map(|_| {
        let (store, base) = (Arc::clone(&store), base.clone());
        tokio::spawn(async move {
            let mut changes = changes();
            changes.updates.push(("n".into(), increment()));
            let mut merged = base;
            changes.apply_to(&mut merged);
            store.apply(&key, &merged, &changes).await
        })
    });
    for outcome in join_all(writers).await {
        assert_eq!(outcome.expect("task").expect("apply"), Applied::Applied);
    }
    let got = loaded(&*store, &key).await;
    assert_eq!(got.data.get("n"), Some(&json!(WRITERS)), "an increment was lost");
    assert_eq!(got.data["keep"], json!("me"));
}

/// Updates run after the entries of the same changes, on what the store
/// holds: a key another request changed meanwhile is updated from there.
pub async fn updates_run_on_the_stored_value<S: SessionStore>(store: S) {
    let mut record = Record::new(SystemTime::now(), &Expiry::new());
    record.data.insert("n".into(), json!(1));
    let key = created(&store, &record).await;
    let base = loaded(&store, &key).await;
    // Another request sets n to 10 after this one loaded it.
    let mut other = changes();
    other.entries.push(("n".into(), Some(json!(10))));
    let mut theirs = base.clone();
    other.apply_to(&mut theirs);
    assert_eq!(
        store.apply(&key, &theirs, &other).await.expect("apply"),
        Applied::Applied
    );
    // This one increments n and sets m.
    let mut mine = changes();
    mine.entries.push(("m".into(), Some(json!("set"))));
    mine.updates.push(("n".into(), increment()));
    let mut merged = base;
    mine.apply_to(&mut merged);
    assert_eq!(
        store.apply(&key, &merged, &mine).await.expect("apply"),
        Applied::Applied
    );
    let got = loaded(&store, &key).await;
    assert_eq!(
        got.data.get("n"),
        Some(&json!(11)),
        "the update ran on the stored 10"
    );
    assert_eq!(got.data.get("m"), Some(&json!("set")));
}

/// A session's own idle timeout and earlier absolute deadline are stored,
/// and kept by later changes that do not mention them.
pub async fn session_timeouts_are_kept<S: SessionStore>(store: S) {
    let record = Record::new(SystemTime::now(), &Expiry::new());
    let key = created(&store, &record).await;
    let base = loaded(&store, &key).await;
    let shorter = base.absolute_deadline - Duration::from_secs(3600);
    let mut own = changes();
    own.idle_timeout = Some(Some(Duration::from_secs(900)));
    own.absolute_deadline = Some(shorter);
    let mut merged = base;
    own.apply_to(&mut merged);
    assert_eq!(
        store.apply(&key, &merged, &own).await.expect("apply"),
        Applied::Applied
    );
    let got = loaded(&store, &key).await;
    assert_eq!(got.idle_timeout, Some(Duration::from_secs(900)));
    assert_eq!(got.absolute_deadline, shorter);
    // A plain write afterwards (a store's own merge) keeps both.
    let mut plain = changes();
    plain.entries.push(("k".into(), Some(json!(1))));
    let mut next = got;
    plain.apply_to(&mut next);
    assert_eq!(
        store.apply(&key, &next, &plain).await.expect("apply"),
        Applied::Applied
    );
    let got = loaded(&store, &key).await;
    assert_eq!(got.idle_timeout, Some(Duration::from_secs(900)));
    assert_eq!(got.absolute_deadline, shorter);
    assert_eq!(got.data.get("k"), Some(&json!(1)));
}
