//! The layer calls an immediate store (the memory store) in place and any
//! other store through futures: two code paths that must answer alike.

mod common;

use std::time::{Duration, SystemTime};

use axum::{Router, routing::get};
use common::{Answer, CountingStore, counter, get as fetch, read};
use sesh::{Clock, Expiry, Key, MemoryStore, Session, SessionLayer, SessionStore};

const MIN: Duration = Duration::from_secs(60);

/// Cookies signed with `key`; those signed with `previous` are accepted
/// and re-issued.
fn app(store: impl SessionStore, clock: &Clock, key: &Key, previous: &[Key]) -> Router {
    let expiry = Expiry::new()
        .idle_timeout(100 * MIN)
        .absolute_timeout(1000 * MIN)
        .touch_after(0.25);
    Router::new()
        .route("/", get(counter))
        .route("/read", get(read))
        .route("/rotate", get(|s: Session| async move { s.cycle_id() }))
        .route("/destroy", get(|s: Session| async move { s.destroy() }))
        .route(
            "/remember",
            get(|s: Session| async move {
                s.set_persistent(true);
                s.insert("n", 10)
            }),
        )
        .route(
            "/forget",
            get(|s: Session| async move { s.remove("n").to_string() }),
        )
        .layer(
            SessionLayer::new(store)
                .expiry(expiry)
                .clock(clock.clone())
                .signed(key.clone())
                .previous_keys(previous.to_vec()),
        )
}

/// What one response showed, with the cookie's random value left out.
fn seen(answer: &Answer) -> String {
    let cookie = answer.set_cookie().map_or_else(
        || "no cookie".to_owned(),
        |c| {
            let (pair, attributes) = c.split_once(';').expect("attributes");
            let value = if pair.ends_with('=') { "removal" } else { "id" };
            // A removal's `Expires` is a year before the real time: the
            // two runs could straddle a second.
            let attributes = attributes.split("; Expires=").next().unwrap_or_default();
            format!("{value};{attributes}")
        },
    );
    format!("{} {:?} {cookie}", answer.status, answer.body)
}

/// Runs one lifetime of a session (create under a retired key, re-issue,
/// write, read, touch, persist, rotate, remove a key, destroy) and says
/// what each step answered.
async fn transcript(store: impl SessionStore + Clone) -> Vec<String> {
    let clock = Clock::manual(SystemTime::now());
    let (retired, current) = (Key::generate(), Key::generate());
    let before = app(store.clone(), &clock, &retired, &[]);
    let app = app(store, &clock, &current, &[retired]);
    let mut steps = Vec::new();
    let mut step = async |uri: &str, cookie: Option<&str>| {
        let answer = fetch(&app, uri, cookie).await;
        steps.push(format!("{uri}: {}", seen(&answer)));
        answer
    };
    let under_retired = fetch(&before, "/", None).await.cookie_pair();
    let first = step("/read", Some(&under_retired)).await.cookie_pair();
    step("/", Some(&first)).await;
    step("/read", Some(&first)).await;
    clock.advance(30 * MIN);
    step("/read", Some(&first)).await;
    let persistent = step("/remember", Some(&first)).await.cookie_pair();
    clock.advance(30 * MIN);
    step("/read", Some(&persistent)).await;
    let rotated = step("/rotate", Some(&persistent)).await.cookie_pair();
    step("/read", Some(&persistent)).await;
    step("/read", Some(&rotated)).await;
    step("/forget", Some(&rotated)).await;
    step("/read", Some(&rotated)).await;
    step("/", Some(&rotated)).await;
    step("/destroy", Some(&rotated)).await;
    step("/read", Some(&rotated)).await;
    steps
}

#[tokio::test]
async fn the_memory_store_in_place_answers_as_a_store_behind_futures() {
    assert!(
        MemoryStore::new().immediate().is_some(),
        "the memory store answers in place"
    );
    assert!(
        CountingStore::default().immediate().is_none(),
        "a wrapping store goes through futures"
    );

    let in_place = transcript(MemoryStore::new()).await;
    let behind_futures = transcript(CountingStore::default()).await;
    assert_eq!(in_place, behind_futures);

    // And the lifetime itself is the one intended.
    let expected_bodies = [
        "\"1\"", "\"2\"", "\"2\"", "\"2\"", "\"\"", "\"10\"", "\"\"", "\"0\"", "\"10\"", "\"true\"", "\"0\"",
        "\"1\"", "\"\"", "\"0\"",
    ];
    let bodies: Vec<&str> = in_place
        .iter()
        .map(|s| s.split(' ').nth(3).expect("a body"))
        .collect();
    assert_eq!(bodies, expected_bodies, "{in_place:#?}");
    assert!(
        in_place[0].contains("id;"),
        "a retired key's cookie is re-issued: {}",
        in_place[0]
    );
    assert!(
        in_place[3].ends_with("no cookie"),
        "a touch of a browser-session cookie sends none"
    );
    assert!(
        in_place[5].contains("Max-Age=6000"),
        "the touch of a persistent one refreshes it: {}",
        in_place[5]
    );
    assert!(
        in_place[12].contains("removal;"),
        "destroy sends a removal cookie: {}",
        in_place[12]
    );
}
