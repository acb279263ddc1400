//! Limits a hostile handler input or configuration runs into: timeouts
//! too long for the time arithmetic, data too large, thousands of keys in
//! one request, a store that refuses a write for good.

mod common;

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use axum::{Router, extract::Path, routing::get};
use common::{CountingStore, counter, get as fetch};
use http::StatusCode;
use sesh::{
    Error, ErrorKind, Expiry, MemoryStore, Session, SessionLayer, StoreKey,
    store::{Applied, Changes, Created, Record, Saved, SessionStore},
};

fn config_error(layer: SessionLayer) -> String {
    let error = layer.validated().expect_err("an invalid configuration");
    assert_eq!(error.kind(), ErrorKind::Config);
    error.to_string()
}

#[test]
fn impossible_timeouts_are_configuration_errors() {
    let huge = Duration::from_secs(u64::MAX);
    let layer = || SessionLayer::new(MemoryStore::new());
    for (layer, setter) in [
        (layer().absolute_timeout(huge), "absolute_timeout"),
        (layer().idle_timeout(Duration::MAX), "idle_timeout"),
        (layer().absolute_timeout(Duration::ZERO), "absolute_timeout"),
        (layer().idle_timeout(Duration::ZERO), "idle_timeout"),
        (
            layer().expiry(Expiry::new().absolute_timeout(huge)),
            "absolute_timeout",
        ),
        (layer().store_timeout(Duration::ZERO), "store_timeout"),
        (layer().max_data_bytes(0), "max_data_bytes"),
    ] {
        let message = config_error(layer);
        assert!(message.contains(setter), "{message}");
    }
}

#[tokio::test]
async fn the_longest_accepted_timeouts_serve_every_request() {
    let layer = SessionLayer::new(MemoryStore::new())
        .idle_timeout(Expiry::MAX_TIMEOUT)
        .absolute_timeout(Expiry::MAX_TIMEOUT)
        .validated()
        .expect("the maximum is accepted");
    let app = Router::new()
        .route("/", get(counter))
        .route("/health", get(|| async { "ok" }))
        .route(
            "/remember",
            get(|s: Session| async move {
                s.set_persistent(true);
                s.insert("n", 1)
            }),
        )
        .layer(layer);
    assert_eq!(fetch(&app, "/health", None).await.body, "ok");
    let first = fetch(&app, "/", None).await;
    assert_eq!(first.body, "1");
    assert_eq!(fetch(&app, "/", Some(&first.cookie_pair())).await.body, "2");
    let remembered = fetch(&app, "/remember", None).await;
    let cookie = remembered.set_cookie().expect("a persistent cookie");
    assert!(
        cookie.contains("Max-Age=34560000"),
        "capped at 400 days: {cookie}"
    );
}

fn sized_app(layer: SessionLayer) -> Router {
    Router::new()
        .route(
            "/fill/{bytes}",
            get(|s: Session, Path(bytes): Path<usize>| async move { s.insert("blob", "x".repeat(bytes)) }),
        )
        .route(
            "/add/{key}/{bytes}",
            get(
                |s: Session, Path((key, bytes)): Path<(String, usize)>| async move {
                    s.insert(&key, "x".repeat(bytes))
                },
            ),
        )
        .layer(layer)
}

#[tokio::test]
async fn data_past_the_size_limit_is_refused_with_413_before_any_store_call() {
    let store = CountingStore::default();
    let app = sized_app(SessionLayer::new(store.clone()));
    let too_big = fetch(&app, "/fill/1048576", None).await;
    assert_eq!(too_big.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(too_big.body.contains("max_data_bytes"), "{}", too_big.body);
    assert!(too_big.set_cookie().is_none());
    assert_eq!(store.counts.total(), 0, "no store call for a refused insert");

    // Just under the limit (1 MiB of keys plus JSON, quotes included) fits.
    let fits = fetch(&app, "/fill/1048570", None).await;
    assert_eq!(fits.status, StatusCode::OK);
    let cookie = fits.cookie_pair();
    // One more key of a few bytes does not.
    let over = fetch(&app, "/add/k/10", Some(&cookie)).await;
    assert_eq!(over.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_size_limit_is_configurable_and_a_session_past_it_may_shrink() {
    let store = MemoryStore::new();
    let big = fetch(&sized_app(SessionLayer::new(store.clone())), "/fill/5000", None).await;
    assert_eq!(big.status, StatusCode::OK);
    let cookie = big.cookie_pair();
    let strict = sized_app(SessionLayer::new(store).max_data_bytes(1000));
    let grow = fetch(&strict, "/add/more/10", Some(&cookie)).await;
    assert_eq!(
        grow.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "past the new limit, no growing"
    );
    let shrink = fetch(&strict, "/fill/10", Some(&cookie)).await;
    assert_eq!(shrink.status, StatusCode::OK, "but shrinking is allowed");
    let grow_again = fetch(&strict, "/add/more/10", Some(&cookie)).await;
    assert_eq!(
        grow_again.status,
        StatusCode::OK,
        "and within it again, growing too"
    );
}

#[tokio::test]
async fn twenty_thousand_keys_in_one_request_are_all_stored() {
    const KEYS: usize = 20_000;
    let app = Router::new()
        .route(
            "/many",
            get(|s: Session| async move {
                for i in 0..KEYS {
                    s.insert(&format!("key-{i}"), i)?;
                }
                Ok::<_, Error>(())
            }),
        )
        .route(
            "/many-again",
            get(|s: Session| async move {
                // A stored session's keys go through the change log.
                for i in 0..KEYS {
                    s.insert(&format!("key-{i}"), i + 1)?;
                }
                Ok::<_, Error>(())
            }),
        )
        .route(
            "/count",
            get(|s: Session| async move { s.keys().len().to_string() }),
        )
        .route(
            "/last",
            get(|s: Session| async move {
                s.get::<usize>(&format!("key-{}", KEYS - 1))
                    .map(|v| format!("{v:?}"))
            }),
        )
        .layer(SessionLayer::new(MemoryStore::new()));
    let created = fetch(&app, "/many", None).await;
    assert_eq!(created.status, StatusCode::OK);
    let cookie = created.cookie_pair();
    assert_eq!(fetch(&app, "/count", Some(&cookie)).await.body, KEYS.to_string());
    assert_eq!(
        fetch(&app, "/many-again", Some(&cookie)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        fetch(&app, "/last", Some(&cookie)).await.body,
        format!("Some({KEYS})")
    );
}

/// A store that refuses every write for good, as a database refuses a
/// value too long for its column.
#[derive(Debug, Clone, Default)]
struct RefusingStore(MemoryStore);

fn refused() -> Error {
    Error::new(
        ErrorKind::StoreRefused,
        std::io::Error::other("value too long for column \"data\""),
    )
}

#[async_trait]
impl SessionStore for RefusingStore {
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        self.0.load(key).await
    }
    async fn create(&self, _: &StoreKey, _: &Record) -> Result<Created, Error> {
        Err(refused())
    }
    async fn save(&self, _: &StoreKey, _: &Record, _: u64) -> Result<Saved, Error> {
        Err(refused())
    }
    async fn touch(&self, key: &StoreKey, at: SystemTime) -> Result<(), Error> {
        self.0.touch(key, at).await
    }
    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        self.0.delete(key).await
    }
    async fn apply(&self, _: &StoreKey, _: &Record, _: &Changes) -> Result<Applied, Error> {
        Err(refused())
    }
}

#[tokio::test]
async fn a_permanent_refusal_by_the_store_is_a_500_not_a_503() {
    let app = Router::new()
        .route("/", get(counter))
        .layer(SessionLayer::new(RefusingStore::default()));
    let answer = fetch(&app, "/", None).await;
    assert_eq!(
        answer.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "retrying cannot help"
    );
    assert!(answer.set_cookie().is_none());
    let unavailable = Error::new(ErrorKind::Store, std::io::Error::other("reset"));
    assert!(unavailable.is_unavailable() && !refused().is_unavailable());
}
