//! Client-side sessions: the state in a private cookie, no store; the
//! deadlines sealed in the payload are enforced; state over the cookie
//! budget is an error the handler sees, never an oversized 2xx.

mod common;

use std::time::{Duration, SystemTime};

use axum::{Router, extract::Path, http::StatusCode, routing::get};
use common::{counter, get as fetch, read};
use sesh::{Clock, ErrorKind, Expiry, Key, Session, SessionLayer};

const MIN: Duration = Duration::from_secs(60);

async fn grow(session: Session, Path(bytes): Path<usize>) -> Result<&'static str, sesh::Error> {
    session.insert("blob", "x".repeat(bytes))?;
    Ok("grown")
}

/// Inserts a small key, then a value too big for the cookie: answers what
/// the handler saw and which keys survived.
async fn overflow(session: Session) -> String {
    session.insert("a", 1).expect("fits");
    let kind = session.insert("big", "x".repeat(5000)).map_err(|e| e.kind());
    format!("{kind:?} {:?}", session.keys())
}

/// Fills the session to the last byte through `insert`; with `persistent`
/// it then adds a field `insert` never saw.
async fn fill(session: Session, persistent: bool) -> Result<&'static str, sesh::Error> {
    let (mut fits, mut too_big) = (0, 4096);
    while too_big - fits > 1 {
        let mid = usize::midpoint(fits, too_big);
        match session.insert("blob", "x".repeat(mid)) {
            Ok(()) => fits = mid,
            Err(e) if e.kind() == ErrorKind::CookieTooLarge => too_big = mid,
            Err(e) => return Err(e),
        }
    }
    session.insert("blob", "x".repeat(fits))?;
    session.set_persistent(persistent);
    Ok("filled")
}

fn app(layer: SessionLayer) -> Router {
    let id = |s: Session| async move { s.id().map(|id| id.encode()).unwrap_or_default() };
    Router::new()
        .route("/", get(counter))
        .route("/read", get(read))
        .route("/grow/{bytes}", get(grow))
        .route("/overflow", get(overflow))
        .route("/fill", get(|s: Session| fill(s, false)))
        .route("/overfill", get(|s: Session| fill(s, true)))
        .route("/id", get(id))
        .route("/rotate", get(|s: Session| async move { s.cycle_id() }))
        .route("/logout", get(|s: Session| async move { s.destroy() }))
        .route(
            "/fail",
            get(|s: Session| async move { s.insert("n", 99).map(|()| StatusCode::BAD_GATEWAY) }),
        )
        .route(
            "/remember",
            get(|s: Session| async move {
                s.set_persistent(true);
                s.insert("n", 1)
            }),
        )
        .route(
            "/login",
            get(|s: Session| async move { s.login("ada").await.map(|()| "in") }),
        )
        .route(
            "/me",
            get(|s: Session| async move {
                let others = s.user_sessions().await.map(|v| v.len()).map_err(|e| e.kind());
                format!("{:?} {others:?}", s.user())
            }),
        )
        .route("/health", get(|| async { "ok" }))
        .layer(layer)
}

fn timed(key: Key, clock: &Clock, expiry: Expiry) -> Router {
    app(SessionLayer::client_side(key).clock(clock.clone()).expiry(expiry))
}

fn value_of(pair: &str) -> &str {
    pair.split_once('=').expect("name=value").1
}

#[tokio::test]
async fn counts_with_the_state_encrypted_in_the_cookie() {
    let app = app(SessionLayer::client_side(Key::generate()));
    let mut cookie = fetch(&app, "/", None).await.cookie_pair();
    for expected in ["2", "3"] {
        let res = fetch(&app, "/", Some(&cookie)).await;
        assert_eq!(res.body, expected);
        cookie = res.cookie_pair();
        for plaintext in ["\"n\"", "{", ":"] {
            assert!(
                !value_of(&cookie).contains(plaintext),
                "{cookie} shows {plaintext}"
            );
        }
    }
    let read = fetch(&app, "/read", Some(&cookie)).await;
    assert_eq!(
        (read.body.as_str(), read.set_cookie()),
        ("3", None),
        "a read re-sends nothing"
    );
    let health = fetch(&app, "/health", Some(&cookie)).await;
    assert_eq!(health.set_cookie(), None);
}

#[tokio::test]
async fn tampering_truncation_names_and_keys_give_a_fresh_session() {
    let key = Key::generate();
    let app = app(SessionLayer::client_side(key.clone()));
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let value = value_of(&cookie);
    let mut flipped = value.as_bytes().to_vec();
    flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
    let other_key = fetch(&self::app(SessionLayer::client_side(Key::generate())), "/", None).await;
    let renamed = fetch(
        &self::app(SessionLayer::client_side(key).cookie_name("other")),
        "/",
        None,
    )
    .await;
    let cases = [
        ("flipped byte", String::from_utf8(flipped).expect("ascii")),
        ("truncated", value[..value.len() - 4].to_owned()),
        ("garbage", "not-base64!".to_owned()),
        (
            "another key's cookie",
            value_of(&other_key.cookie_pair()).to_owned(),
        ),
        (
            "another name's cookie",
            value_of(&renamed.cookie_pair()).to_owned(),
        ),
    ];
    for (what, value) in cases {
        let res = fetch(&app, "/", Some(&format!("session={value}"))).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::OK, "1"), "{what}");
    }
}

#[tokio::test]
async fn the_idle_deadline_in_the_payload_ends_a_copied_cookie() {
    let (key, clock) = (Key::generate(), Clock::manual(SystemTime::now()));
    let app = timed(
        key,
        &clock,
        Expiry::new().idle_timeout(30 * MIN).absolute_timeout(600 * MIN),
    );
    let copy = fetch(&app, "/", None).await.cookie_pair();
    clock.advance(29 * MIN);
    assert_eq!(fetch(&app, "/read", Some(&copy)).await.body, "1");
    clock.advance(2 * MIN);
    let res = fetch(&app, "/read", Some(&copy)).await;
    assert_eq!(
        (res.status, res.body.as_str()),
        (StatusCode::OK, "0"),
        "31 min idle"
    );
}

#[tokio::test]
async fn reads_slide_the_idle_deadline_by_reissuing_throttled() {
    let (key, clock) = (Key::generate(), Clock::manual(SystemTime::now()));
    let expiry = Expiry::new()
        .idle_timeout(100 * MIN)
        .absolute_timeout(1000 * MIN)
        .touch_after(0.25);
    let app = timed(key, &clock, expiry);
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    clock.advance(20 * MIN);
    assert_eq!(
        fetch(&app, "/read", Some(&cookie)).await.set_cookie(),
        None,
        "20 min < 25%"
    );
    clock.advance(6 * MIN);
    let touched = fetch(&app, "/read", Some(&cookie)).await.cookie_pair();
    clock.advance(99 * MIN);
    assert_eq!(
        fetch(&app, "/read", Some(&cookie)).await.body,
        "0",
        "the old copy expired"
    );
    assert_eq!(
        fetch(&app, "/read", Some(&touched)).await.body,
        "1",
        "the re-issued one lives"
    );
}

#[tokio::test]
async fn the_absolute_deadline_ends_even_an_active_session() {
    let (key, clock) = (Key::generate(), Clock::manual(SystemTime::now()));
    let app = timed(
        key,
        &clock,
        Expiry::new().idle_timeout(30 * MIN).absolute_timeout(60 * MIN),
    );
    let mut cookie = fetch(&app, "/", None).await.cookie_pair();
    for expected in ["2", "3", "4"] {
        clock.advance(19 * MIN);
        let res = fetch(&app, "/", Some(&cookie)).await;
        assert_eq!(res.body, expected);
        cookie = res.cookie_pair();
    }
    clock.advance(4 * MIN);
    assert_eq!(
        fetch(&app, "/read", Some(&cookie)).await.body,
        "0",
        "61 min after creation"
    );
}

#[tokio::test]
async fn an_insert_over_the_budget_is_an_error_the_handler_sees() {
    let app = app(SessionLayer::client_side(Key::generate()));
    let res = fetch(&app, "/overflow", None).await;
    assert_eq!(
        res.body, r#"Err(CookieTooLarge) ["a"]"#,
        "the failed insert left no trace"
    );
    assert!(res.set_cookie().is_some(), "the state that fits is still sent");
    let grown = fetch(&app, "/grow/5000", None).await;
    assert_eq!(
        (grown.status, grown.set_cookie()),
        (StatusCode::INTERNAL_SERVER_ERROR, None)
    );
    let small = fetch(&app, "/grow/2000", None).await;
    assert_eq!(small.status, StatusCode::OK);
    let set_cookie = small.set_cookie().expect("Set-Cookie");
    let pair = set_cookie.split(';').next().expect("pair");
    assert!(pair.len() <= 4096 + 1, "{} bytes", pair.len());
}

#[tokio::test]
async fn a_final_cookie_over_the_budget_answers_500_not_2xx() {
    let app = app(SessionLayer::client_side(Key::generate()));
    let full = fetch(&app, "/fill", None).await;
    assert_eq!(
        full.status,
        StatusCode::OK,
        "insert's budget matches the real cookie"
    );
    let pair = full.cookie_pair();
    assert!(
        (4090..=4096).contains(&pair.len().saturating_sub(1)),
        "{} bytes",
        pair.len() - 1
    );
    let res = fetch(&app, "/overfill", None).await;
    assert_eq!(
        (res.status, res.set_cookie()),
        (StatusCode::INTERNAL_SERVER_ERROR, None)
    );
}

#[tokio::test]
async fn cycle_id_changes_the_id_and_keeps_data_and_deadline() {
    let (key, clock) = (Key::generate(), Clock::manual(SystemTime::now()));
    let app = timed(
        key,
        &clock,
        Expiry::new().idle_timeout(30 * MIN).absolute_timeout(60 * MIN),
    );
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let before = fetch(&app, "/id", Some(&cookie)).await.body;
    assert!(!before.is_empty());
    clock.advance(25 * MIN);
    let rotated = fetch(&app, "/rotate", Some(&cookie)).await.cookie_pair();
    assert_ne!(fetch(&app, "/id", Some(&rotated)).await.body, before);
    assert_eq!(fetch(&app, "/read", Some(&rotated)).await.body, "1");
    clock.advance(25 * MIN);
    let kept = fetch(&app, "/", Some(&rotated)).await.cookie_pair();
    clock.advance(11 * MIN);
    assert_eq!(
        fetch(&app, "/read", Some(&kept)).await.body,
        "0",
        "absolute deadline kept"
    );
}

#[tokio::test]
async fn destroy_sends_a_removal_cookie() {
    let app = app(SessionLayer::client_side(Key::generate()));
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let res = fetch(&app, "/logout", Some(&cookie)).await;
    let removal = res.set_cookie().expect("a removal cookie");
    assert!(
        removal.starts_with("session=;") && removal.contains("Max-Age=0"),
        "{removal}"
    );
    assert_eq!(fetch(&app, "/read", Some("session=")).await.body, "0");
}

#[tokio::test]
async fn a_server_error_sends_no_cookie() {
    let app = app(SessionLayer::client_side(Key::generate()));
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let res = fetch(&app, "/fail", Some(&cookie)).await;
    assert_eq!((res.status, res.set_cookie()), (StatusCode::BAD_GATEWAY, None));
}

#[tokio::test]
async fn persistent_sessions_get_a_max_age_from_the_deadline() {
    let (key, clock) = (Key::generate(), Clock::manual(SystemTime::now()));
    let app = timed(
        key,
        &clock,
        Expiry::new().idle_timeout(60 * MIN).absolute_timeout(90 * MIN),
    );
    let res = fetch(&app, "/remember", None).await;
    assert!(res.set_cookie().expect("Set-Cookie").contains("Max-Age=3600"));
}

#[tokio::test]
async fn rotation_reissues_old_key_cookies_and_refuses_retired_ones() {
    let (k1, k2) = (Key::generate(), Key::generate());
    let before = app(SessionLayer::client_side(k1.clone()));
    let during = app(SessionLayer::client_side(k2.clone()).previous_keys([k1]));
    let after = app(SessionLayer::client_side(k2));
    let old = fetch(&before, "/", None).await.cookie_pair();
    let res = fetch(&during, "/read", Some(&old)).await;
    assert_eq!(res.body, "1");
    let reissued = res.cookie_pair();
    assert_eq!(fetch(&after, "/read", Some(&reissued)).await.body, "1");
    assert_eq!(fetch(&after, "/read", Some(&old)).await.body, "0");
}

#[tokio::test]
async fn login_binds_the_user_in_the_cookie_but_there_is_no_index() {
    let app = app(SessionLayer::client_side(Key::generate()));
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let res = fetch(&app, "/login", Some(&cookie)).await;
    assert_eq!(res.body, "in");
    let logged_in = res.cookie_pair();
    assert_ne!(logged_in, cookie, "login rotates");
    let me = fetch(&app, "/me", Some(&logged_in)).await;
    assert_eq!(me.body, r#"Some("ada") Err(Unsupported)"#);
}
