//! The layer when its store misbehaves, in-process: a hung store gives a
//! fast 503 and untouched routes keep working; an unreadable record is "no
//! session"; the layer recovers as soon as the store does.

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU8, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};

use async_trait::async_trait;
use axum::{Router, http::StatusCode, routing::get};
use common::{counter, get as fetch};
use sesh::{
    Error, MemoryStore, SessionLayer, StoreKey,
    store::{Created, Record, Saved, SessionStore},
};

const HEALTHY: u8 = 0;
const HUNG: u8 = 1;
const CORRUPT: u8 = 2;

/// A memory store that can be made to hang, or to find every record unreadable.
#[derive(Debug, Clone, Default)]
struct FaultyStore {
    inner: MemoryStore,
    mode: Arc<AtomicU8>,
}

impl FaultyStore {
    fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }

    async fn gate(&self) {
        if self.mode.load(Ordering::SeqCst) == HUNG {
            std::future::pending::<()>().await;
        }
    }
}

#[async_trait]
impl SessionStore for FaultyStore {
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        self.gate().await;
        if self.mode.load(Ordering::SeqCst) == CORRUPT {
            return Err(Error::decode(std::io::Error::other(
                "expected value at line 1 column 1",
            )));
        }
        self.inner.load(key).await
    }
    async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
        self.gate().await;
        self.inner.create(key, record).await
    }
    async fn save(&self, key: &StoreKey, record: &Record, expected: u64) -> Result<Saved, Error> {
        self.gate().await;
        self.inner.save(key, record, expected).await
    }
    async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
        self.gate().await;
        self.inner.touch(key, expires_at).await
    }
    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        self.gate().await;
        self.inner.delete(key).await
    }
}

fn app(store: FaultyStore) -> Router {
    Router::new()
        .route("/", get(counter))
        .route("/health", get(|| async { "ok" }))
        .layer(SessionLayer::new(store).store_timeout(Duration::from_millis(200)))
}

#[tokio::test]
async fn a_hung_store_answers_503_fast_and_untouched_routes_work() {
    let store = FaultyStore::default();
    let app = app(store.clone());
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    store.set(HUNG);

    let started = Instant::now();
    let answer = fetch(&app, "/", Some(&cookie)).await;
    let waited = started.elapsed();
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        waited < Duration::from_secs(2),
        "503 took {waited:?} with a 200 ms limit"
    );
    let fresh = fetch(&app, "/", None).await;
    assert_eq!(
        fresh.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "creating must time out too"
    );
    assert_eq!(fetch(&app, "/health", Some(&cookie)).await.status, StatusCode::OK);

    store.set(HEALTHY);
    let answer = fetch(&app, "/", Some(&cookie)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "2"),
        "recovers with the data"
    );
}

#[tokio::test]
async fn an_unreadable_record_is_no_session() {
    let store = FaultyStore::default();
    let app = app(store.clone());
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    store.set(CORRUPT);
    let answer = fetch(&app, "/", Some(&cookie)).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "1"),
        "starts afresh"
    );
    assert_ne!(
        answer.cookie_pair(),
        cookie,
        "under a new ID, never the unreadable one"
    );
}
