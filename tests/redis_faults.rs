//! What users see when Redis fails (issue #8): an axum app with
//! `SessionLayer` over real TCP, a reqwest client keeping cookies, and a
//! redis-server of the test's own that it freezes (SIGSTOP) or kills and
//! restarts. Requests that need the session must fail fast with a 503
//! (bounded by the store's timeout, never hanging), requests that do not
//! touch it must keep working, and everything must recover on its own once
//! Redis is back. Bounds are generous: the machine is shared and noisy.

use std::{net::SocketAddr, time::Duration};

use reqwest::StatusCode;
use sesh_redis::RedisStore;
use sesh_tests::{RedisServer, client, fetch, first_success, serve_counter};

/// The store timeout under test.
const STORE_TIMEOUT: Duration = Duration::from_millis(500);
/// How long a failing request may take, timeout included.
const FAIL_WITHIN: Duration = Duration::from_secs(3);
/// How long recovery may take once Redis answers again.
const RECOVER_WITHIN: Duration = Duration::from_secs(10);

/// Starts Redis on `port` and the app on an ephemeral port.
async fn setup(port: u16) -> Option<(RedisServer, SocketAddr, reqwest::Client)> {
    let server = match RedisServer::start(port) {
        Ok(server) => server,
        Err(e) => {
            sesh_store_tests::server_unreachable("redis (own server)", &format!("port {port}"), &e);
            return None;
        }
    };
    let store = RedisStore::connect(&server.url())
        .await
        .expect("connect")
        .with_timeout(STORE_TIMEOUT);
    let addr = serve_counter(store).await;
    Some((server, addr, client(Duration::from_secs(30))))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_fails_session_requests_fast_and_spares_the_rest() {
    let Some((server, addr, client)) = setup(7320).await else {
        return;
    };
    assert_eq!(fetch(&client, addr, "/").await.1, "1");

    server.freeze();
    let (status, _, took) = fetch(&client, addr, "/").await;
    println!("frozen redis: GET / answered {status} after {took:?} (store timeout {STORE_TIMEOUT:?})");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(took >= STORE_TIMEOUT, "failed before the timeout: {took:?}");
    assert!(took < FAIL_WITHIN, "took {took:?}");
    let (status, body, took) = fetch(&client, addr, "/health").await;
    println!("frozen redis: GET /health answered {status} after {took:?}");
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));

    server.thaw();
    let (body, took) = first_success(&client, addr, RECOVER_WITHIN).await;
    println!("thawed redis: GET / succeeded again after {took:?}");
    assert_eq!(
        body, "2",
        "the failed request saved nothing, the session survived"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_redis_is_reconnected_to_on_its_own() {
    let Some((mut server, addr, client)) = setup(7321).await else {
        return;
    };
    assert_eq!(fetch(&client, addr, "/").await.1, "1");

    server.kill();
    let mut slowest = Duration::ZERO;
    for _ in 0..3 {
        let (status, _, took) = fetch(&client, addr, "/").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "with Redis down");
        slowest = slowest.max(took);
    }
    println!("redis down: GET / answered 503, slowest of 3 after {slowest:?}");
    assert!(slowest < FAIL_WITHIN, "took {slowest:?}");
    let (status, _, _) = fetch(&client, addr, "/health").await;
    assert_eq!(status, StatusCode::OK);

    server.restart().expect("restart redis");
    let (body, took) = first_success(&client, addr, RECOVER_WITHIN).await;
    println!("restarted redis: GET / succeeded again after {took:?}");
    // The new server is empty: the old cookie names no session, so a new
    // one starts.
    assert_eq!(body, "1");
    assert_eq!(fetch(&client, addr, "/").await.1, "2");
}
