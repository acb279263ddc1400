//! One layer for browsers and API clients (cookie and header together),
//! the `Partitioned` attribute, and a page of one's own for a store failure.

mod common;

use axum::{Router, http::StatusCode, response::IntoResponse, routing::get};
use common::{DownStore, counter, send_with};
use http::{HeaderName, HeaderValue, header};
use sesh::{Key, MemoryStore, SessionLayer, StoreFailure};

const API: HeaderName = HeaderName::from_static("x-session-id");

fn app(layer: SessionLayer) -> Router {
    Router::new().route("/", get(counter)).layer(layer)
}

fn both() -> Router {
    app(SessionLayer::new(MemoryStore::new()).cookie_and_header("x-session-id"))
}

#[tokio::test]
async fn browsers_get_a_cookie_and_api_clients_the_header() {
    let app = both();
    // A browser: cookies both ways, never the header.
    let browser = send_with(&app, "/", &[]).await;
    assert!(browser.headers.get(&API).is_none());
    let cookie = browser.cookie_pair();
    let again = send_with(&app, "/", &[(header::COOKIE, cookie.parse().expect("ascii"))]).await;
    assert_eq!(again.body, "2");
    // An API client asks with an empty header and keeps the value it gets.
    let api = send_with(&app, "/", &[(API, HeaderValue::from_static(""))]).await;
    assert!(api.set_cookie().is_none(), "no cookie for the API client");
    let token = api.headers[&API].clone();
    let next = send_with(&app, "/", &[(API, token)]).await;
    assert_eq!(next.body, "2");
    // Both vary.
    let varies: Vec<_> = next.headers.get_all(header::VARY).iter().collect();
    assert_eq!(varies, ["cookie", "x-session-id"]);
}

#[tokio::test]
async fn when_both_come_the_header_wins() {
    let app = both();
    let cookie = send_with(&app, "/", &[]).await.cookie_pair();
    // Five requests on the header's session, none on the cookie's.
    let mut token = send_with(&app, "/", &[(API, HeaderValue::from_static(""))])
        .await
        .headers[&API]
        .clone();
    for want in ["2", "3"] {
        let both = send_with(
            &app,
            "/",
            &[
                (API, token.clone()),
                (header::COOKIE, cookie.parse().expect("ascii")),
            ],
        )
        .await;
        assert_eq!(both.body, want, "the header's session");
        if let Some(next) = both.headers.get(&API) {
            token = next.clone();
        }
    }
    let cookie_only = send_with(&app, "/", &[(header::COOKIE, cookie.parse().expect("ascii"))]).await;
    assert_eq!(cookie_only.body, "2", "the cookie's session was left alone");
}

#[tokio::test]
async fn partitioned_cookies_say_so_and_need_secure() {
    let app = app(SessionLayer::new(MemoryStore::new())
        .same_site(sesh::SameSite::None)
        .partitioned(true));
    let set = send_with(&app, "/", &[]).await.set_cookie().expect("a cookie");
    assert!(set.contains("; Partitioned") && set.contains("; Secure"), "{set}");
    let error = SessionLayer::new(MemoryStore::new())
        .partitioned(true)
        .secure(false)
        .validated()
        .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("Partitioned needs the Secure attribute"),
        "{error}"
    );
    // Sealed values work in the header as in the cookie.
    let sealed = app_sealed();
    let api = send_with(&sealed, "/", &[(API, HeaderValue::from_static(""))]).await;
    let next = send_with(&sealed, "/", &[(API, api.headers[&API].clone())]).await;
    assert_eq!(next.body, "2");
}

fn app_sealed() -> Router {
    app(SessionLayer::new(MemoryStore::new())
        .private(Key::generate())
        .cookie_and_header("x-session-id"))
}

#[tokio::test]
async fn a_store_failure_can_be_rendered_by_an_outer_layer() {
    let plain = app(SessionLayer::new(DownStore));
    let default = send_with(&plain, "/", &[]).await;
    assert_eq!(default.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(default.body.is_empty(), "the default stays an empty 503");

    let friendly = app(SessionLayer::new(DownStore)).layer(axum::middleware::map_response(
        |response: axum::response::Response| async move {
            match response.extensions().get::<StoreFailure>() {
                Some(failure) if failure.error().is_unavailable() => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "sessions are resting; try again in a minute",
                )
                    .into_response(),
                _ => response,
            }
        },
    ));
    let answer = send_with(&friendly, "/", &[]).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.body, "sessions are resting; try again in a minute");
}
