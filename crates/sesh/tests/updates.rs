//! `Session::update`: a read-modify-write that loses no increment to a
//! concurrent request of the same session, over real TCP.

mod common;

use std::net::SocketAddr;

use axum::{Router, routing::get};
use futures_util::future::join_all;
use sesh::{MemoryStore, Session, SessionLayer};
use tokio::net::TcpListener;

const REQUESTS: usize = 64;

async fn serve() -> SocketAddr {
    let app = Router::new()
        .route(
            "/start",
            get(|s: Session| async move { s.insert("started", true) }),
        )
        .route(
            "/add",
            get(|s: Session| async move {
                // Every request loads first and writes later, as real
                // handlers do: the window where plain inserts lose updates.
                tokio::task::yield_now().await;
                s.update("cart", |n: Option<u64>| n.unwrap_or(0) + 1)
                    .map(|n| n.to_string())
            }),
        )
        .route(
            "/count",
            get(|s: Session| async move { s.get::<u64>("cart").map(|n| n.unwrap_or(0).to_string()) }),
        )
        .layer(SessionLayer::new(MemoryStore::new()).secure(false));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_parallel_updates_of_one_key_all_count() {
    let base = format!("http://{}", serve().await);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    client.get(format!("{base}/start")).send().await.expect("start");
    let adds = (0..REQUESTS).map(|_| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let res = client.get(format!("{base}/add")).send().await.expect("add");
            assert!(res.status().is_success());
        }
    });
    join_all(adds).await;
    let counts = client.get(format!("{base}/count")).send().await.expect("count");
    assert_eq!(
        counts.text().await.expect("body"),
        REQUESTS.to_string(),
        "every update counted"
    );
}

#[tokio::test]
async fn update_returns_the_new_value_and_counts_a_wrong_type_as_absent() {
    use axum::routing::get;
    use common::get as fetch;
    let app = Router::new()
        .route(
            "/text",
            get(|s: Session| async move { s.insert("n", "not a number") }),
        )
        .route(
            "/add",
            get(|s: Session| async move {
                s.update("n", |n: Option<u64>| n.unwrap_or(41) + 1)
                    .map(|n| n.to_string())
            }),
        )
        .layer(SessionLayer::new(MemoryStore::new()));
    let cookie = fetch(&app, "/text", None).await.cookie_pair();
    assert_eq!(fetch(&app, "/add", Some(&cookie)).await.body, "42");
    assert_eq!(fetch(&app, "/add", Some(&cookie)).await.body, "43");
}
