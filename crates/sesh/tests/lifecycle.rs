//! Timeouts, touch throttling, rotation and persistent cookies, crossed
//! with a manual clock instead of sleeps.

mod common;

use std::{
    sync::atomic::Ordering,
    time::{Duration, SystemTime},
};

use axum::{Router, routing::get};
use common::{CountingStore, counter, get as fetch, read};
use sesh::{Clock, Expiry, Session, SessionLayer};

const MIN: Duration = Duration::from_secs(60);

fn app(store: &CountingStore, clock: &Clock, expiry: Expiry) -> Router {
    Router::new()
        .route("/", get(counter))
        .route("/read", get(read))
        .route("/rotate", get(|s: Session| async move { s.cycle_id() }))
        .route(
            "/remember",
            get(|s: Session| async move {
                s.set_persistent(true);
                s.insert("n", 1)
            }),
        )
        .layer(
            SessionLayer::new(store.clone())
                .expiry(expiry)
                .clock(clock.clone()),
        )
}

fn max_age(set_cookie: &str) -> u64 {
    let attr = set_cookie
        .split("; ")
        .find_map(|a| a.strip_prefix("Max-Age="))
        .expect("Max-Age");
    attr.parse().expect("seconds")
}

#[tokio::test]
async fn idle_sessions_expire_and_reads_keep_them_alive() {
    let (store, clock) = (CountingStore::default(), Clock::manual(SystemTime::now()));
    let app = app(
        &store,
        &clock,
        Expiry::new().idle_timeout(30 * MIN).absolute_timeout(600 * MIN),
    );
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    clock.advance(29 * MIN);
    assert_eq!(fetch(&app, "/read", Some(&cookie)).await.body, "1");
    clock.advance(29 * MIN);
    assert_eq!(
        fetch(&app, "/read", Some(&cookie)).await.body,
        "1",
        "the read at 29 min extended it"
    );
    clock.advance(31 * MIN);
    let expired = fetch(&app, "/read", Some(&cookie)).await;
    assert_eq!((expired.body.as_str(), expired.set_cookie()), ("0", None));
}

#[tokio::test]
async fn the_absolute_deadline_ends_even_an_active_session() {
    let (store, clock) = (CountingStore::default(), Clock::manual(SystemTime::now()));
    let app = app(
        &store,
        &clock,
        Expiry::new().idle_timeout(30 * MIN).absolute_timeout(60 * MIN),
    );
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    for expected in ["2", "3", "4"] {
        clock.advance(20 * MIN - Duration::from_secs(1));
        assert_eq!(fetch(&app, "/", Some(&cookie)).await.body, expected);
    }
    clock.advance(4 * MIN);
    assert_eq!(
        fetch(&app, "/read", Some(&cookie)).await.body,
        "0",
        "61 min after creation"
    );
}

#[tokio::test]
async fn reads_touch_at_most_once_per_throttle_window_and_never_write() {
    let (store, clock) = (CountingStore::default(), Clock::manual(SystemTime::now()));
    let expiry = Expiry::new()
        .idle_timeout(100 * MIN)
        .absolute_timeout(1000 * MIN)
        .touch_after(0.25);
    let app = app(&store, &clock, expiry);
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let writes = store.counts.writes();
    for _ in 0..10 {
        clock.advance(2 * MIN);
        assert_eq!(fetch(&app, "/read", Some(&cookie)).await.body, "1");
    }
    assert_eq!(
        store.counts.touch.load(Ordering::SeqCst),
        0,
        "20 min < 25% of the window"
    );
    clock.advance(6 * MIN);
    for _ in 0..10 {
        let res = fetch(&app, "/read", Some(&cookie)).await;
        assert_eq!((res.body.as_str(), res.set_cookie()), ("1", None));
    }
    assert_eq!(store.counts.touch.load(Ordering::SeqCst), 1);
    assert_eq!(store.counts.writes(), writes, "reads never write");
}

#[tokio::test]
async fn rotation_does_not_extend_the_absolute_deadline() {
    let (store, clock) = (CountingStore::default(), Clock::manual(SystemTime::now()));
    let app = app(
        &store,
        &clock,
        Expiry::new().idle_timeout(30 * MIN).absolute_timeout(60 * MIN),
    );
    let old = fetch(&app, "/", None).await.cookie_pair();
    clock.advance(25 * MIN);
    assert_eq!(fetch(&app, "/", Some(&old)).await.body, "2");
    clock.advance(25 * MIN);
    let new = fetch(&app, "/rotate", Some(&old)).await.cookie_pair();
    assert_ne!(new, old);
    assert_eq!(fetch(&app, "/read", Some(&new)).await.body, "2");
    clock.advance(11 * MIN);
    assert_eq!(
        fetch(&app, "/read", Some(&new)).await.body,
        "0",
        "61 min after the original creation"
    );
}

#[tokio::test]
async fn persistent_cookies_follow_the_deadline_and_are_refreshed_by_touch() {
    let (store, clock) = (CountingStore::default(), Clock::manual(SystemTime::now()));
    let app = app(
        &store,
        &clock,
        Expiry::new().idle_timeout(60 * MIN).absolute_timeout(90 * MIN),
    );
    let first = fetch(&app, "/remember", None).await;
    assert_eq!(max_age(&first.set_cookie().expect("Set-Cookie")), 3600);
    let cookie = first.cookie_pair();
    clock.advance(10 * MIN);
    let touched = fetch(&app, "/read", Some(&cookie)).await;
    assert_eq!(max_age(&touched.set_cookie().expect("refreshed")), 3600);
    clock.advance(50 * MIN);
    let capped = fetch(&app, "/", Some(&cookie)).await;
    assert_eq!(
        max_age(&capped.set_cookie().expect("refreshed")),
        30 * 60,
        "capped by the absolute deadline"
    );
}

#[tokio::test]
async fn max_age_is_clamped_to_400_days() {
    let (store, clock) = (CountingStore::default(), Clock::manual(SystemTime::now()));
    let days = |n: u64| Duration::from_secs(n * 86_400);
    let app = app(
        &store,
        &clock,
        Expiry::new()
            .idle_timeout(days(1000))
            .absolute_timeout(days(2000)),
    );
    let res = fetch(&app, "/remember", None).await;
    assert_eq!(max_age(&res.set_cookie().expect("Set-Cookie")), 400 * 86_400);
}
