//! What the layer adds to or removes from responses besides its cookie:
//! `Vary` on every answer that used the session, `Cache-Control` on those
//! that set it, and a handler's own session cookie or header dropped.

mod common;

use axum::{Router, http::header, response::IntoResponse, routing::get};
use common::{counter, get as fetch, read, send_with};
use http::HeaderName;
use sesh::{MemoryStore, Session, SessionLayer};

fn app(layer: SessionLayer) -> Router {
    Router::new()
        .route("/", get(counter))
        .route("/me", get(read))
        .route("/public", get(|| async { "same for everyone" }))
        .route(
            "/forge",
            get(|| async {
                (
                    [(header::SET_COOKIE, "session=chosen-by-handler; Path=/")],
                    "forged",
                )
            }),
        )
        .route(
            "/forge-and-write",
            get(|s: Session| async move {
                s.insert("n", 7)?;
                Ok::<_, sesh::Error>(
                    (
                        [
                            (header::SET_COOKIE, "session=chosen-by-handler"),
                            (header::SET_COOKIE, "theme=dark"),
                        ],
                        "written",
                    )
                        .into_response(),
                )
            }),
        )
        .layer(layer)
}

#[tokio::test]
async fn an_answer_that_loaded_the_session_varies_by_cookie_without_setting_it() {
    let app = app(SessionLayer::new(MemoryStore::new()));
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let me = fetch(&app, "/me", Some(&cookie)).await;
    assert_eq!(me.body, "1");
    assert!(me.set_cookie().is_none(), "a read sets no cookie");
    assert_eq!(
        me.headers[header::VARY],
        "cookie",
        "but a shared cache must key it by the cookie"
    );
    assert!(
        me.headers.get(header::CACHE_CONTROL).is_none(),
        "Cache-Control only where the cookie is set"
    );
    // Without a cookie the answer still depends on the lack of one.
    let anonymous = fetch(&app, "/me", None).await;
    assert_eq!(anonymous.headers[header::VARY], "cookie");
    // A route that never uses the session is left alone.
    let public = fetch(&app, "/public", Some(&cookie)).await;
    assert!(public.headers.get(header::VARY).is_none());
    // The cookie-setting answer keeps both.
    let written = fetch(&app, "/", Some(&cookie)).await;
    assert_eq!(written.headers[header::VARY], "cookie");
    assert!(
        written.set_cookie().is_none(),
        "a browser-session cookie is not re-sent"
    );
    let first = fetch(&app, "/", None).await;
    assert_eq!(first.headers[header::CACHE_CONTROL], "private");
    assert_eq!(first.headers.get_all(header::VARY).iter().count(), 1, "Vary once");
}

#[tokio::test]
async fn under_the_header_transport_answers_vary_by_that_header() {
    let app = app(SessionLayer::new(MemoryStore::new()).header("x-session-id"));
    let me = fetch(&app, "/me", None).await;
    assert_eq!(me.headers[header::VARY], "x-session-id");
}

#[tokio::test]
async fn the_layers_cookie_wins_over_the_handlers() {
    let app = app(SessionLayer::new(MemoryStore::new()));
    // A handler that never touched the session cannot overwrite it.
    let forged = fetch(&app, "/forge", None).await;
    assert_eq!(forged.body, "forged");
    assert!(forged.set_cookie().is_none(), "{:?}", forged.headers);
    // One that wrote the session gets the layer's cookie only, and keeps
    // its other cookies.
    let written = fetch(&app, "/forge-and-write", None).await;
    let cookies: Vec<&str> = written
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii"))
        .collect();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(cookies.contains(&"theme=dark"), "{cookies:?}");
    let session = cookies
        .iter()
        .find(|c| c.starts_with("session="))
        .expect("the layer's cookie");
    assert!(!session.contains("chosen-by-handler"), "{session}");
    let pair = session.split(';').next().expect("a pair");
    assert_eq!(fetch(&app, "/me", Some(pair)).await.body, "7");
}

#[tokio::test]
async fn the_layers_header_wins_over_the_handlers() {
    let name = HeaderName::from_static("x-session-id");
    let app = Router::new()
        .route(
            "/forge",
            get(|| async { ([("x-session-id", "chosen-by-handler")], "forged") }),
        )
        .route("/", get(counter))
        .layer(SessionLayer::new(MemoryStore::new()).header("x-session-id"));
    let forged = send_with(&app, "/forge", &[]).await;
    assert!(forged.headers.get(&name).is_none(), "{:?}", forged.headers);
    let token = send_with(&app, "/", &[]).await.headers[&name].clone();
    let next = send_with(&app, "/", &[(name.clone(), token)]).await;
    assert_eq!(next.body, "2");
}
