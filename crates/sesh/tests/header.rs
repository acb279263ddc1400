//! The opt-in header transport for API clients: the session travels in one
//! request/response header; cookies and URLs are never read.

mod common;

use axum::{Router, body::Body, http::StatusCode, routing::get};
use common::{CountingStore, counter, read};
use http::{HeaderMap, Request, header};
use http_body_util::BodyExt as _;
use sesh::{Key, Session, SessionLayer};
use tower::ServiceExt as _;

const HEADER: &str = "x-session-id";

fn app(layer: SessionLayer) -> Router {
    Router::new()
        .route("/", get(counter))
        .route("/read", get(read))
        .route("/rotate", get(|s: Session| async move { s.cycle_id() }))
        .route("/logout", get(|s: Session| async move { s.destroy() }))
        .layer(layer.header(HEADER))
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn session(&self) -> Option<&str> {
        self.headers.get(HEADER).map(|v| v.to_str().expect("ascii"))
    }
}

async fn call(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = Request::get(uri);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let (status, headers) = (res.status(), res.headers().clone());
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).expect("utf-8"),
    }
}

#[tokio::test]
async fn the_session_travels_in_the_header_not_in_cookies() {
    let app = app(SessionLayer::new(CountingStore::default()));
    let first = call(&app, "/", &[]).await;
    let token = first.session().expect("a session header").to_owned();
    assert!(!first.headers.contains_key(header::SET_COOKIE));
    assert_eq!(first.headers[header::VARY], HEADER);
    assert_eq!(first.headers[header::CACHE_CONTROL], "private");
    let second = call(&app, "/", &[(HEADER, &token)]).await;
    assert_eq!(
        (second.body.as_str(), second.session()),
        ("2", None),
        "unchanged token not re-sent"
    );
    let as_cookie = call(&app, "/read", &[("cookie", &format!("session={token}"))]).await;
    assert_eq!(
        as_cookie.body, "0",
        "cookies are not read under the header transport"
    );
}

#[tokio::test]
async fn a_session_in_the_url_is_never_read() {
    let app = app(SessionLayer::new(CountingStore::default()));
    let token = call(&app, "/", &[]).await.session().expect("token").to_owned();
    for uri in [
        format!("/read?{HEADER}={token}"),
        format!("/read?session={token}"),
    ] {
        assert_eq!(call(&app, &uri, &[]).await.body, "0", "{uri}");
    }
}

#[tokio::test]
async fn rotation_sends_the_new_token_and_destroy_an_empty_one() {
    let app = app(SessionLayer::new(CountingStore::default()));
    let old = call(&app, "/", &[]).await.session().expect("token").to_owned();
    let rotated = call(&app, "/rotate", &[(HEADER, &old)]).await;
    let new = rotated.session().expect("a new token").to_owned();
    assert_ne!(new, old);
    assert_eq!(call(&app, "/read", &[(HEADER, &old)]).await.body, "0");
    assert_eq!(call(&app, "/read", &[(HEADER, &new)]).await.body, "1");
    let ended = call(&app, "/logout", &[(HEADER, &new)]).await;
    assert_eq!(ended.session(), Some(""), "an empty value ends the session");
    assert_eq!(call(&app, "/read", &[(HEADER, &new)]).await.body, "0");
}

#[tokio::test]
async fn sealed_and_client_side_sessions_work_over_the_header() {
    let layers = [
        (
            "signed",
            SessionLayer::new(CountingStore::default()).signed(Key::generate()),
        ),
        (
            "private",
            SessionLayer::new(CountingStore::default()).private(Key::generate()),
        ),
        ("client-side", SessionLayer::client_side(Key::generate())),
    ];
    for (mode, layer) in layers {
        let app = app(layer);
        let token = call(&app, "/", &[]).await.session().expect("token").to_owned();
        let next = call(&app, "/", &[(HEADER, &token)]).await;
        assert_eq!(next.body, "2", "{mode}");
        let tampered = format!("{}A", &token[..token.len() - 1]);
        let tampered = if tampered == token {
            format!("{}B", &token[..token.len() - 1])
        } else {
            tampered
        };
        let res = call(&app, "/read", &[(HEADER, &tampered)]).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::OK, "0"), "{mode}");
    }
}
