//! The layer in-process (`tower::ServiceExt::oneshot`): what it stores,
//! what cookies it sets, and what it refuses to do.

mod common;

use axum::{Router, http::StatusCode, routing::get};
use common::{CountingStore, DownStore, counter, get as fetch, read};
use sesh::{Session, SessionId, SessionLayer};

async fn same(session: Session) -> Result<String, sesh::Error> {
    let n: u64 = session.get("n")?.unwrap_or(0);
    session.insert("n", n)?;
    Ok(n.to_string())
}

async fn failing(session: Session) -> StatusCode {
    session.insert("n", 1000).expect("serializable");
    StatusCode::INTERNAL_SERVER_ERROR
}

/// Extracts the session a second time after changing it through the first.
async fn extract_again(first: Session, mut parts: axum::http::request::Parts) -> Result<String, sesh::Error> {
    first.insert("n", 41_u64)?;
    let second =
        <Session as axum::extract::FromRequestParts<()>>::from_request_parts(&mut parts, &()).await?;
    Ok(second.get::<u64>("n")?.unwrap_or(0).to_string())
}

async fn logout(session: Session) -> &'static str {
    session.destroy();
    "bye"
}

async fn rotate(session: Session) -> String {
    session.cycle_id();
    session.get::<u64>("n").ok().flatten().unwrap_or(0).to_string()
}

fn app(store: CountingStore) -> Router {
    Router::new()
        .route("/", get(counter))
        .route("/read", get(read))
        .route("/same", get(same))
        .route("/fail", get(failing))
        .route("/again", get(extract_again))
        .route("/logout", get(logout))
        .route("/rotate", get(rotate))
        .route("/health", get(|| async { "ok" }))
        .layer(SessionLayer::new(store))
}

#[tokio::test]
async fn counts_across_requests_with_the_cookie() {
    let app = app(CountingStore::default());
    let first = fetch(&app, "/", None).await;
    assert_eq!((first.status, first.body.as_str()), (StatusCode::OK, "1"));
    let cookie = first.cookie_pair();
    for expected in ["2", "3"] {
        let next = fetch(&app, "/", Some(&cookie)).await;
        assert_eq!(next.body, expected);
        assert_eq!(
            next.set_cookie(),
            None,
            "an existing browser-session cookie is not re-sent"
        );
    }
}

#[tokio::test]
async fn first_cookie_has_secure_attributes_and_cache_headers() {
    let first = fetch(&app(CountingStore::default()), "/", None).await;
    let set_cookie = first.set_cookie().expect("Set-Cookie");
    assert!(set_cookie.starts_with("session="), "{set_cookie}");
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attr), "{set_cookie} lacks {attr}");
    }
    assert!(
        !set_cookie.contains("Max-Age") && !set_cookie.contains("Expires"),
        "browser-session cookie"
    );
    assert_eq!(first.headers["vary"], "cookie");
    assert_eq!(first.headers["cache-control"], "private");
}

#[tokio::test]
async fn untouched_routes_cost_no_store_call() {
    let store = CountingStore::default();
    let app = app(store.clone());
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let before = store.counts.total();
    for _ in 0..5 {
        let res = fetch(&app, "/health", Some(&cookie)).await;
        assert_eq!((res.status, res.set_cookie()), (StatusCode::OK, None));
        assert!(!res.headers.contains_key("vary"));
    }
    assert_eq!(store.counts.total(), before);
}

#[tokio::test]
async fn unmodified_sessions_are_not_written() {
    let store = CountingStore::default();
    let app = app(store.clone());
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let writes = store.counts.writes();
    for path in ["/read", "/same", "/read"] {
        let res = fetch(&app, path, Some(&cookie)).await;
        assert_eq!((res.body.as_str(), res.set_cookie()), ("1", None), "{path}");
    }
    assert_eq!(store.counts.writes(), writes);
    assert_eq!(store.counts.touch.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn extracting_again_keeps_changes_and_reads_the_store_once() {
    let store = CountingStore::default();
    let app = app(store.clone());
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let loads = store.counts.load.load(std::sync::atomic::Ordering::SeqCst);
    let res = fetch(&app, "/again", Some(&cookie)).await;
    assert_eq!(
        res.body, "41",
        "the second extraction sees the first one's change"
    );
    assert_eq!(
        store.counts.load.load(std::sync::atomic::Ordering::SeqCst),
        loads + 1
    );
    assert_eq!(fetch(&app, "/read", Some(&cookie)).await.body, "41");
}

#[tokio::test]
async fn a_session_with_no_data_is_never_stored() {
    let store = CountingStore::default();
    let res = fetch(&app(store.clone()), "/read", None).await;
    assert_eq!((res.body.as_str(), res.set_cookie()), ("0", None));
    assert_eq!(store.counts.writes(), 0);
    assert!(store.inner.is_empty());
}

#[tokio::test]
async fn bad_cookies_start_a_fresh_session() {
    let store = CountingStore::default();
    let app = app(store.clone());
    let unknown = SessionId::generate().encode();
    let cases = [
        ("empty", String::new()),
        ("short", unknown[..20].to_owned()),
        ("oversized", "A".repeat(8000)),
        ("bad alphabet", format!("{}*", &unknown[..42])),
        ("quoted", format!("\"{unknown}\"")),
        ("binary-ish", "%00%ff%fe".to_owned()),
        ("unknown but well-formed", unknown.clone()),
    ];
    for (what, value) in cases {
        let res = fetch(&app, "/", Some(&format!("session={value}"))).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::OK, "1"), "{what}");
        let issued = res.cookie_pair();
        assert_ne!(
            issued,
            format!("session={value}"),
            "{what}: the client's ID was adopted"
        );
        assert!(
            SessionId::parse(issued.trim_start_matches("session=")).is_ok(),
            "{what}"
        );
    }
}

#[tokio::test]
async fn a_server_error_stores_nothing() {
    let store = CountingStore::default();
    let app = app(store.clone());
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let writes = store.counts.writes();
    let res = fetch(&app, "/fail", Some(&cookie)).await;
    assert_eq!(
        (res.status, res.set_cookie()),
        (StatusCode::INTERNAL_SERVER_ERROR, None)
    );
    let fresh = fetch(&app, "/fail", None).await;
    assert_eq!(fresh.set_cookie(), None);
    assert_eq!(store.counts.writes(), writes);
    assert_eq!(fetch(&app, "/read", Some(&cookie)).await.body, "1");
}

#[tokio::test]
async fn destroy_deletes_and_removes_the_cookie() {
    let store = CountingStore::default();
    let app = app(store.clone());
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let res = fetch(&app, "/logout", Some(&cookie)).await;
    let removal = res.set_cookie().expect("a removal cookie");
    assert!(
        removal.starts_with("session=;") && removal.contains("Max-Age=0"),
        "{removal}"
    );
    assert!(store.inner.is_empty());
    assert_eq!(fetch(&app, "/read", Some(&cookie)).await.body, "0");
}

#[tokio::test]
async fn cycle_id_keeps_data_under_a_new_id_and_kills_the_old() {
    let store = CountingStore::default();
    let app = app(store.clone());
    let old = fetch(&app, "/", None).await.cookie_pair();
    let res = fetch(&app, "/rotate", Some(&old)).await;
    assert_eq!(res.body, "1");
    let new = res.cookie_pair();
    assert_ne!(new, old);
    assert_eq!(fetch(&app, "/read", Some(&new)).await.body, "1");
    assert_eq!(
        fetch(&app, "/read", Some(&old)).await.body,
        "0",
        "old ID still works"
    );
    assert_eq!(store.inner.len(), 1);
}

#[tokio::test]
async fn a_store_failure_is_a_503_and_untouched_routes_still_work() {
    let app = Router::new()
        .route("/", get(counter))
        .route("/health", get(|| async { "ok" }))
        .layer(SessionLayer::new(DownStore));
    let cookie = format!("session={}", SessionId::generate().encode());
    assert_eq!(
        fetch(&app, "/", Some(&cookie)).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        fetch(&app, "/", None).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let health = fetch(&app, "/health", Some(&cookie)).await;
    assert_eq!((health.status, health.body.as_str()), (StatusCode::OK, "ok"));
}

#[tokio::test]
async fn missing_layer_is_a_500_that_names_the_fix() {
    let app = Router::new().route("/", get(counter));
    let res = fetch(&app, "/", None).await;
    assert_eq!(res.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        res.body.contains(".layer(sesh::SessionLayer::new(store))"),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_an_error_not_a_panic() {
    let app = Router::new()
        .route("/", get(counter))
        .route(
            "/text",
            get(|s: Session| async move { s.insert("n", "not a number").map(|()| "ok") }),
        )
        .layer(SessionLayer::new(CountingStore::default()));
    let cookie = fetch(&app, "/text", None).await.cookie_pair();
    assert_eq!(
        fetch(&app, "/", Some(&cookie)).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

#[test]
#[should_panic(expected = "RFC 6265 token")]
fn an_invalid_cookie_name_is_refused_when_the_layer_is_built() {
    let layer = SessionLayer::new(sesh::MemoryStore::new()).cookie_name("bad name;");
    let _: Router = Router::new().route("/", get(counter)).layer(layer);
}
