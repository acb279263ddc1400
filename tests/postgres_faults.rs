//! Fault tests (issue #8): an axum app with sesh's layer over real TCP, its
//! sessions in a PostgreSQL server this test starts, freezes (SIGSTOP) and
//! kills. Requests that need the session must fail fast with a 5xx while
//! the database is gone, requests that do not must not notice, and the app
//! must recover on its own once the database is back.
//!
//! Times are printed (run with `--nocapture` to see them); the bounds
//! asserted are generous, as test machines are noisy.
//!
//! The servers listen on 25432 and 25433: below Linux's ephemeral port
//! range (32768-60999), where a client socket of some other test can hold
//! the port and make the server's bind fail.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use sesh_sqlx::PostgresStore;
use sesh_tests::{PgServer, fetch, first_success, serve_counter};

/// The store's per-operation limit in these tests.
const LIMIT: Duration = Duration::from_millis(500);

/// How long a failing request may take: the limit, plus generous slack.
const FAIL_WITHIN: Duration = Duration::from_secs(3);

/// A started server and an app on it, or `None` (skip) where PostgreSQL's
/// server binaries are missing and `SESH_REQUIRE_SERVERS` is not set.
async fn setup(port: u16) -> Option<(PgServer, SocketAddr)> {
    let server = match tokio::task::spawn_blocking(move || PgServer::start(port))
        .await
        .expect("start task")
    {
        Ok(server) => server,
        Err(reason) => {
            let error = std::io::Error::other(reason);
            sesh_store_tests::server_unreachable("postgres (fault tests)", &format!("port {port}"), &error);
            return None;
        }
    };
    let store = PostgresStore::connect(&server.url())
        .await
        .expect("connect")
        .with_timeout(LIMIT);
    store.migrate().await.expect("migrate");
    Some((server, serve_counter(store).await))
}

fn client() -> reqwest::Client {
    sesh_tests::client(Duration::from_secs(20))
}

async fn expect_count(client: &reqwest::Client, addr: SocketAddr, want: &str) {
    let (status, body, _) = fetch(client, addr, "/").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, want));
}

/// A request that needs the session (an existing one, or a new one) fails
/// with a 5xx within about the limit; one that does not succeeds at once.
/// Returns how long the request with the existing session took.
async fn expect_fast_failure(client: &reqwest::Client, addr: SocketAddr, what: &str) -> Duration {
    let (status, _, failed_after) = fetch(client, addr, "/").await;
    eprintln!("{what}: GET / (existing session) answered {status} after {failed_after:?}");
    assert!(status.is_server_error(), "{what}: {status}");
    assert!(
        failed_after < FAIL_WITHIN,
        "{what}: failing took {failed_after:?}"
    );
    let (status, _, took) = fetch(&self::client(), addr, "/").await;
    eprintln!("{what}: GET / (new session) answered {status} after {took:?}");
    assert!(status.is_server_error(), "{what}: new session {status}");
    assert!(took < FAIL_WITHIN, "{what}: failing took {took:?}");
    let (status, _, took) = fetch(client, addr, "/health").await;
    eprintln!("{what}: GET /health (no session) answered {status} after {took:?}");
    assert_eq!(
        status,
        StatusCode::OK,
        "{what}: a route without the session failed"
    );
    assert!(took < Duration::from_secs(1), "{what}: /health took {took:?}");
    failed_after
}

/// Polls the server until it accepts connections; returns when it did.
async fn server_ready(server: &PgServer, limit: Duration) -> Instant {
    let started = Instant::now();
    while !server.is_ready() {
        assert!(
            started.elapsed() < limit,
            "server not ready within {limit:?}; its log:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Instant::now()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_database_fails_requests_fast_and_they_recover_when_it_resumes() {
    let Some((server, addr)) = setup(25432).await else {
        return;
    };
    let client = client();
    expect_count(&client, addr, "1").await;
    expect_count(&client, addr, "2").await;

    server.freeze();
    let failed_after = expect_fast_failure(&client, addr, "frozen").await;
    assert!(
        failed_after >= LIMIT,
        "a frozen server answered ({failed_after:?})"
    );

    server.thaw();
    let (body, took) = first_success(&client, addr, Duration::from_secs(10)).await;
    eprintln!("resumed: first successful GET / {took:?} after SIGCONT");
    assert_eq!(body, "3", "failed requests stored nothing, and nothing was lost");
    expect_count(&client, addr, "4").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_database_fails_requests_fast_and_they_recover_when_it_restarts() {
    let Some((mut server, addr)) = setup(25433).await else {
        return;
    };
    let client = client();
    expect_count(&client, addr, "1").await;

    server.kill();
    expect_fast_failure(&client, addr, "down").await;

    server.spawn().expect("restart");
    let restarted = Instant::now();
    let ready = server_ready(&server, Duration::from_secs(30)).await;
    let (body, recovery) = first_success(&client, addr, Duration::from_secs(10)).await;
    eprintln!(
        "restarted: server ready {:?} after start, app recovered {recovery:?} after that",
        ready - restarted
    );
    assert_eq!(body, "2", "the session survived the restart");
    assert!(
        recovery < Duration::from_secs(5),
        "the pool was slow to reconnect"
    );
    expect_count(&client, addr, "3").await;
}
