//! Signed and private session cookies: tampering is refused without an
//! error response and keys rotate without logging anyone out. (That
//! refusals are logged without the cookie's value is in `events.rs`, the
//! one test binary that installs log subscribers.)

mod common;

use axum::{Router, http::StatusCode, routing::get};
use common::{CountingStore, counter, get as fetch, read};
use sesh::{Key, Session, SessionId, SessionLayer};

type Mode = fn(SessionLayer, Key) -> SessionLayer;
const MODES: [(&str, Mode); 2] = [("signed", |l, k| l.signed(k)), ("private", |l, k| l.private(k))];

fn app(layer: SessionLayer) -> Router {
    Router::new()
        .route("/", get(counter))
        .route("/read", get(read))
        .route(
            "/remember",
            get(|s: Session| async move {
                s.set_persistent(true);
                s.insert("n", 1)
            }),
        )
        .layer(layer)
}

fn value_of(pair: &str) -> &str {
    pair.split_once('=').expect("name=value").1
}

/// Flips the byte at `i` to another character of the base64 alphabet.
fn flip(value: &str, i: usize) -> String {
    let mut bytes = value.as_bytes().to_vec();
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("ascii")
}

#[tokio::test]
async fn sealed_cookies_count_and_are_not_the_bare_id() {
    for (mode, seal) in MODES {
        let store = CountingStore::default();
        let app = app(seal(SessionLayer::new(store.clone()), Key::generate()));
        let cookie = fetch(&app, "/", None).await.cookie_pair();
        assert!(SessionId::parse(value_of(&cookie)).is_err(), "{mode}: {cookie}");
        for expected in ["2", "3"] {
            let res = fetch(&app, "/", Some(&cookie)).await;
            assert_eq!((res.body.as_str(), res.set_cookie()), (expected, None), "{mode}");
        }
    }
}

#[tokio::test]
async fn tampered_truncated_and_forged_values_start_a_fresh_session() {
    for (mode, seal) in MODES {
        let store = CountingStore::default();
        let app = app(seal(SessionLayer::new(store.clone()), Key::generate()));
        let cookie = fetch(&app, "/", None).await.cookie_pair();
        let value = value_of(&cookie);
        let mut bad: Vec<(String, String)> = [0, value.len() / 2, value.len() - 2]
            .into_iter()
            .map(|i| (format!("byte {i} flipped"), flip(value, i)))
            .collect();
        bad.push(("truncated".into(), value[..value.len() - 1].to_owned()));
        bad.push(("cut in half".into(), value[..value.len() / 2].to_owned()));
        bad.push(("empty".into(), String::new()));
        bad.push(("unsealed fresh id".into(), SessionId::generate().encode()));
        for (what, value) in bad {
            let res = fetch(&app, "/read", Some(&format!("session={value}"))).await;
            assert_eq!(
                (res.status, res.body.as_str()),
                (StatusCode::OK, "0"),
                "{mode}: {what}"
            );
        }
        assert_eq!(
            fetch(&app, "/read", Some(&cookie)).await.body,
            "1",
            "{mode}: the real one works"
        );
    }
}

#[tokio::test]
async fn a_signed_cookie_is_refused_without_its_signature_even_for_a_live_id() {
    let store = CountingStore::default();
    let app = app(SessionLayer::new(store).signed(Key::generate()));
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let bare_id = &value_of(&cookie)[44..];
    assert!(SessionId::parse(bare_id).is_ok(), "signature + ID");
    let res = fetch(&app, "/read", Some(&format!("session={bare_id}"))).await;
    assert_eq!(res.body, "0");
}

#[tokio::test]
async fn a_value_moved_to_another_cookie_name_is_refused() {
    for (mode, seal) in MODES {
        let (store, key) = (CountingStore::default(), Key::generate());
        let a = app(seal(
            SessionLayer::new(store.clone()).cookie_name("a"),
            key.clone(),
        ));
        let b = app(seal(SessionLayer::new(store.clone()).cookie_name("b"), key));
        let cookie = fetch(&a, "/", None).await.cookie_pair();
        let moved = format!("b={}", value_of(&cookie));
        assert_eq!(fetch(&b, "/read", Some(&moved)).await.body, "0", "{mode}");
        assert_eq!(fetch(&a, "/read", Some(&cookie)).await.body, "1", "{mode}");
    }
}

#[tokio::test]
async fn a_value_under_an_unknown_key_is_refused() {
    for (mode, seal) in MODES {
        let store = CountingStore::default();
        let old = app(seal(SessionLayer::new(store.clone()), Key::generate()));
        let new = app(seal(SessionLayer::new(store.clone()), Key::generate()));
        let cookie = fetch(&old, "/", None).await.cookie_pair();
        assert_eq!(fetch(&new, "/read", Some(&cookie)).await.body, "0", "{mode}");
    }
}

#[tokio::test]
async fn rotation_accepts_and_reissues_old_cookies_then_retires_the_key() {
    for (mode, seal) in MODES {
        let (store, k1, k2) = (CountingStore::default(), Key::generate(), Key::generate());
        let before = app(seal(SessionLayer::new(store.clone()), k1.clone()));
        let during = app(seal(SessionLayer::new(store.clone()), k2.clone()).previous_keys([k1]));
        let after = app(seal(SessionLayer::new(store.clone()), k2));
        let old = fetch(&before, "/", None).await.cookie_pair();

        let res = fetch(&during, "/read", Some(&old)).await;
        assert_eq!(res.body, "1", "{mode}: an old-key cookie is still accepted");
        let reissued = res.cookie_pair();
        assert_ne!(reissued, old, "{mode}: re-issued under the current key");
        assert!(res.headers["cache-control"] == "private", "{mode}");
        let again = fetch(&during, "/", Some(&reissued)).await;
        assert_eq!((again.body.as_str(), again.set_cookie()), ("2", None), "{mode}");

        assert_eq!(fetch(&after, "/read", Some(&reissued)).await.body, "2", "{mode}");
        assert_eq!(
            fetch(&after, "/read", Some(&old)).await.body,
            "0",
            "{mode}: retired key"
        );
    }
}

#[tokio::test]
async fn a_reissued_persistent_cookie_keeps_its_max_age() {
    let (store, k1, k2) = (CountingStore::default(), Key::generate(), Key::generate());
    let before = app(SessionLayer::new(store.clone()).private(k1.clone()));
    let during = app(SessionLayer::new(store).private(k2).previous_keys([k1]));
    let old = fetch(&before, "/remember", None).await.cookie_pair();
    let res = fetch(&during, "/read", Some(&old)).await;
    let set_cookie = res.set_cookie().expect("re-issued");
    assert!(set_cookie.contains("Max-Age="), "{set_cookie}");
}

#[tokio::test]
async fn an_old_key_cookie_for_a_dead_session_is_not_reissued() {
    let (k1, k2) = (Key::generate(), Key::generate());
    let before = app(SessionLayer::new(CountingStore::default()).signed(k1.clone()));
    let elsewhere = app(SessionLayer::new(CountingStore::default())
        .signed(k2)
        .previous_keys([k1]));
    let old = fetch(&before, "/", None).await.cookie_pair();
    let res = fetch(&elsewhere, "/read", Some(&old)).await;
    assert_eq!((res.body.as_str(), res.set_cookie()), ("0", None));
}
