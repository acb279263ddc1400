//! Checks of the per-user index ([`UserIndex`]), run by
//! [`user_index_suite!`](crate::user_index_suite).

use std::{
    collections::HashSet,
    sync::Arc,
    time::{Duration, SystemTime},
};

use futures_util::future::join_all;
use serde_json::json;
use sesh_core::{Applied, Changes, Created, Expiry, Record, SessionId, StoreKey, UserIndex};

/// A user name no other test run uses, so runs can share a database.
fn fresh_user() -> String {
    format!("user-{}", &SessionId::generate().key().to_hex()[..16])
}

fn record_of(user: Option<&str>, created_at: SystemTime) -> Record {
    let mut r = Record::new(created_at, &Expiry::new());
    r.user = user.map(str::to_owned);
    r
}

async fn create_for<S: UserIndex>(store: &S, user: Option<&str>) -> StoreKey {
    create_at(store, user, SystemTime::now()).await
}

async fn create_at<S: UserIndex>(store: &S, user: Option<&str>, at: SystemTime) -> StoreKey {
    let key = SessionId::generate().key();
    let outcome = store.create(&key, &record_of(user, at)).await.expect("create");
    assert_eq!(outcome, Created::Created);
    key
}

async fn listed<S: UserIndex>(store: &S, user: &str) -> Vec<StoreKey> {
    let sessions = store.user_sessions(user).await.expect("user_sessions");
    for s in &sessions {
        assert_eq!(
            s.record.user.as_deref(),
            Some(user),
            "listed a session of someone else"
        );
    }
    sessions.into_iter().map(|s| s.key).collect()
}

fn as_set(keys: &[StoreKey]) -> HashSet<StoreKey> {
    keys.iter().copied().collect()
}

async fn bind<S: UserIndex>(store: &S, key: &StoreKey, user: Option<&str>) -> Applied {
    let now = SystemTime::now();
    let mut changes = Changes::new(now, now + Duration::from_secs(3600));
    changes.user = Some(user.map(str::to_owned));
    let mut merged = store.load(key).await.expect("load").expect("live record");
    changes.apply_to(&mut merged);
    store.apply(key, &merged, &changes).await.expect("apply")
}

/// The store offers its index through `SessionStore::user_index`.
pub async fn index_is_offered<S: UserIndex>(store: S) {
    assert!(
        store.user_index().is_some(),
        "user_index() must return Some(self)"
    );
}

/// A user's live sessions are listed, oldest first; nobody else's are.
pub async fn index_lists_a_users_sessions<S: UserIndex>(store: S) {
    let (ada, bob) = (fresh_user(), fresh_user());
    let start = SystemTime::now() - Duration::from_secs(60);
    let mut mine = Vec::new();
    for i in 0..3 {
        mine.push(create_at(&store, Some(&ada), start + Duration::from_secs(i * 10)).await);
    }
    create_for(&store, Some(&bob)).await;
    create_for(&store, None).await;
    assert_eq!(listed(&store, &ada).await, mine, "oldest first");
    assert!(listed(&store, &fresh_user()).await.is_empty());
}

/// Binding a user with `apply` lists the session; unbinding removes it.
pub async fn index_follows_user_binding<S: UserIndex>(store: S) {
    let ada = fresh_user();
    let key = create_for(&store, None).await;
    assert!(listed(&store, &ada).await.is_empty());
    assert_eq!(bind(&store, &key, Some(&ada)).await, Applied::Applied);
    assert_eq!(listed(&store, &ada).await, vec![key]);
    let bob = fresh_user();
    assert_eq!(bind(&store, &key, Some(&bob)).await, Applied::Applied);
    assert!(listed(&store, &ada).await.is_empty(), "moved to another user");
    assert_eq!(listed(&store, &bob).await, vec![key]);
    assert_eq!(bind(&store, &key, None).await, Applied::Applied);
    assert!(listed(&store, &bob).await.is_empty(), "unbound");
}

/// A deleted session leaves the index.
pub async fn index_forgets_deleted_sessions<S: UserIndex>(store: S) {
    let ada = fresh_user();
    let gone = create_for(&store, Some(&ada)).await;
    let kept = create_for(&store, Some(&ada)).await;
    store.delete(&gone).await.expect("delete");
    assert_eq!(listed(&store, &ada).await, vec![kept]);
}

/// An expired session leaves the index, however the store sweeps.
pub async fn index_forgets_expired_sessions<S: UserIndex>(store: S) {
    let ada = fresh_user();
    let mut short = record_of(Some(&ada), SystemTime::now());
    short.expires_at = SystemTime::now() + Duration::from_millis(300);
    let key = SessionId::generate().key();
    assert_eq!(
        store.create(&key, &short).await.expect("create"),
        Created::Created
    );
    let kept = create_for(&store, Some(&ada)).await;
    assert_eq!(as_set(&listed(&store, &ada).await), as_set(&[key, kept]));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(listed(&store, &ada).await, vec![kept]);
}

/// A touch keeps the session listed, with its new deadline.
pub async fn index_sees_touched_deadline<S: UserIndex>(store: S) {
    let ada = fresh_user();
    let key = create_for(&store, Some(&ada)).await;
    let later = SystemTime::now() + Duration::from_secs(7200);
    store.touch(&key, later).await.expect("touch");
    let sessions = store.user_sessions(&ada).await.expect("user_sessions");
    assert_eq!(sessions.len(), 1);
    let drift = sesh_core::unix_millis(sessions[0].record.expires_at).abs_diff(sesh_core::unix_millis(later));
    assert!(drift <= 1000, "expires_at drifted by {drift} ms");
}

/// "Log out other sessions": all but the kept one end; other users keep theirs.
pub async fn delete_user_sessions_keeps_one<S: UserIndex>(store: S) {
    let (ada, bob) = (fresh_user(), fresh_user());
    let current = create_for(&store, Some(&ada)).await;
    let others = [
        create_for(&store, Some(&ada)).await,
        create_for(&store, Some(&ada)).await,
    ];
    let bobs = create_for(&store, Some(&bob)).await;
    let deleted = store
        .delete_user_sessions(&ada, Some(&current))
        .await
        .expect("delete others");
    assert_eq!(deleted, 2);
    assert_eq!(listed(&store, &ada).await, vec![current]);
    for key in &others {
        assert!(
            store.load(key).await.expect("load").is_none(),
            "other session still loads"
        );
    }
    assert!(store.load(&current).await.expect("load").is_some());
    assert_eq!(listed(&store, &bob).await, vec![bobs], "another user was touched");
}

/// "Log out everywhere": every session of the user ends.
pub async fn delete_user_sessions_ends_all<S: UserIndex>(store: S) {
    let ada = fresh_user();
    let keys = [
        create_for(&store, Some(&ada)).await,
        create_for(&store, Some(&ada)).await,
    ];
    assert_eq!(
        store.delete_user_sessions(&ada, None).await.expect("delete all"),
        2
    );
    assert!(listed(&store, &ada).await.is_empty());
    for key in &keys {
        assert!(store.load(key).await.expect("load").is_none());
    }
    assert_eq!(store.delete_user_sessions(&ada, None).await.expect("again"), 0);
}

/// A kept key that belongs to someone else is no licence to touch it.
pub async fn delete_user_sessions_spares_foreign_keep<S: UserIndex>(store: S) {
    let (ada, bob) = (fresh_user(), fresh_user());
    let bobs = create_for(&store, Some(&bob)).await;
    create_for(&store, Some(&ada)).await;
    assert_eq!(
        store
            .delete_user_sessions(&ada, Some(&bobs))
            .await
            .expect("delete"),
        1
    );
    assert_eq!(listed(&store, &bob).await, vec![bobs]);
}

/// 32 simultaneous logins of one user are all listed.
pub async fn concurrent_logins_are_all_listed<S: UserIndex>(store: S) {
    let store = Arc::new(store);
    let ada = fresh_user();
    let logins = (0..32).map(|_| {
        let (store, ada) = (Arc::clone(&store), ada.clone());
        tokio::spawn(async move { create_for(&*store, Some(&ada)).await })
    });
    let keys: Vec<StoreKey> = join_all(logins)
        .await
        .into_iter()
        .map(|k| k.expect("task"))
        .collect();
    let got = listed(&*store, &ada).await;
    assert_eq!(got.len(), 32, "duplicates or misses in the index");
    assert_eq!(as_set(&got), as_set(&keys));
}

/// Data writes by a logged-in session keep it listed, with the new data.
pub async fn index_survives_data_writes<S: UserIndex>(store: S) {
    let ada = fresh_user();
    let key = create_for(&store, Some(&ada)).await;
    let now = SystemTime::now();
    let mut changes = Changes::new(now, now + Duration::from_secs(3600));
    changes.entries.push(("cart".into(), Some(json!(["book"]))));
    let mut merged = store.load(&key).await.expect("load").expect("live");
    changes.apply_to(&mut merged);
    assert_eq!(
        store.apply(&key, &merged, &changes).await.expect("apply"),
        Applied::Applied
    );
    let sessions = store.user_sessions(&ada).await.expect("user_sessions");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].record.data["cart"], json!(["book"]));
}
