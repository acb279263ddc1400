//! An app with sesh's layer, served over real TCP, and a client that keeps
//! its cookies: what a user of a store sees when the store fails.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use axum::{Router, routing::get};
use reqwest::StatusCode;
use sesh::{Session, SessionLayer, store::SessionStore};
use tokio::net::TcpListener;

/// `GET /`: increments `n` in the session and answers it.
///
/// # Errors
/// When the session cannot be loaded or `n` cannot be stored.
pub async fn count(session: Session) -> Result<String, sesh::Error> {
    let n: u64 = session.get("n")?.unwrap_or(0) + 1;
    session.insert("n", n)?;
    Ok(n.to_string())
}

/// Serves an app on an ephemeral port of 127.0.0.1 and returns its address:
/// `GET /` counts in the session (see [`count`]), `GET /health` answers `ok`
/// without it; sessions live in `store`, cookies are not `Secure` (plain
/// HTTP).
///
/// # Panics
/// When no port can be bound.
pub async fn serve_counter(store: impl SessionStore) -> SocketAddr {
    let app = Router::new()
        .route("/", get(count))
        .route("/health", get(|| async { "ok" }))
        .layer(SessionLayer::new(store).secure(false));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

/// A client that keeps cookies and gives up on a request after `timeout`:
/// far above every bound the tests assert, so that a hang shows up as a
/// failed bound, not as a stuck test.
///
/// # Panics
/// When the client cannot be built.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .timeout(timeout)
        .build()
        .expect("client")
}

/// `GET path`: its status, body and how long it took.
///
/// # Panics
/// When the app does not answer.
pub async fn fetch(client: &reqwest::Client, addr: SocketAddr, path: &str) -> (StatusCode, String, Duration) {
    let started = Instant::now();
    let response = client
        .get(format!("http://{addr}{path}"))
        .send()
        .await
        .expect("the app answers");
    let status = response.status();
    let body = response.text().await.expect("body");
    (status, body, started.elapsed())
}

/// Repeats `GET /` until it answers 200 OK; returns its body and how long
/// that took.
///
/// # Panics
/// When it still fails after `within`.
pub async fn first_success(
    client: &reqwest::Client,
    addr: SocketAddr,
    within: Duration,
) -> (String, Duration) {
    let started = Instant::now();
    loop {
        let (status, body, _) = fetch(client, addr, "/").await;
        if status == StatusCode::OK {
            return (body, started.elapsed());
        }
        assert!(
            started.elapsed() < within,
            "no success within {within:?} (last: {status})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
