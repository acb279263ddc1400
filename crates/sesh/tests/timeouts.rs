//! A session's own timeouts: shorter than the layer's, kept across
//! requests, followed by a persistent cookie's `Max-Age`.

mod common;

use std::time::{Duration, SystemTime};

use axum::{Router, extract::Path, routing::get};
use common::{counter, get as fetch};
use http::StatusCode;
use sesh::{Clock, Expiry, MemoryStore, Session, SessionLayer};

const MIN: Duration = Duration::from_secs(60);

fn app(clock: &Clock) -> Router {
    Router::new()
        .route("/", get(counter))
        .route(
            "/shared-computer",
            get(|s: Session| async move {
                s.set_persistent(true);
                s.set_idle_timeout(15 * MIN)?;
                s.insert("n", 100)
            }),
        )
        .route(
            "/short/{mins}",
            get(|s: Session, Path(mins): Path<u64>| async move {
                s.set_absolute_timeout(Duration::from_secs(mins * 60))?;
                Ok::<_, sesh::Error>(format!("{:?}", s.idle_timeout()))
            }),
        )
        .route(
            "/too-long",
            get(|s: Session| async move {
                s.set_idle_timeout(48 * 60 * MIN)
                    .map_err(|e| e.to_string())
                    .err()
                    .unwrap_or_default()
            }),
        )
        .layer(
            SessionLayer::new(MemoryStore::new())
                .expiry(
                    Expiry::new()
                        .idle_timeout(24 * 60 * MIN)
                        .absolute_timeout(14 * 24 * 60 * MIN),
                )
                .clock(clock.clone()),
        )
}

#[tokio::test]
async fn a_shorter_idle_timeout_is_kept_and_ends_the_session() {
    let clock = Clock::manual(SystemTime::now());
    let app = app(&clock);
    let first = fetch(&app, "/shared-computer", None).await;
    assert_eq!(first.status, StatusCode::OK);
    let set = first.set_cookie().expect("a cookie");
    assert!(
        set.contains("Max-Age=900"),
        "the cookie follows the session's own timeout: {set}"
    );
    let cookie = first.cookie_pair();
    // Ten minutes later it is alive, and a write slides it 15 minutes on.
    clock.advance(10 * MIN);
    assert_eq!(fetch(&app, "/", Some(&cookie)).await.body, "101");
    // Fourteen more: still alive (15 from the last write), and the layer's
    // day would keep it much longer; sixteen more: gone.
    clock.advance(14 * MIN);
    assert_eq!(fetch(&app, "/", Some(&cookie)).await.body, "102");
    clock.advance(16 * MIN);
    assert_eq!(
        fetch(&app, "/", Some(&cookie)).await.body,
        "1",
        "ended after 15 idle minutes"
    );
}

#[tokio::test]
async fn a_shorter_absolute_timeout_ends_even_an_active_session() {
    let clock = Clock::manual(SystemTime::now());
    let app = app(&clock);
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    assert_eq!(
        fetch(&app, "/short/30", Some(&cookie)).await.status,
        StatusCode::OK
    );
    for _ in 0..5 {
        clock.advance(5 * MIN);
        assert_ne!(
            fetch(&app, "/", Some(&cookie)).await.body,
            "1",
            "alive within 30 minutes"
        );
    }
    clock.advance(6 * MIN);
    assert_eq!(
        fetch(&app, "/", Some(&cookie)).await.body,
        "1",
        "ended 30 minutes after creation"
    );
}

#[tokio::test]
async fn a_timeout_longer_than_the_layers_is_refused_naming_the_limit() {
    let app = app(&Clock::manual(SystemTime::now()));
    let refused = fetch(&app, "/too-long", None).await;
    assert!(refused.body.contains("at most the layer's"), "{}", refused.body);
    assert!(refused.set_cookie().is_none(), "nothing was stored");
}
