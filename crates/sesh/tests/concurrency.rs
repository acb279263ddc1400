//! Concurrent requests of one session over real TCP, with a client that
//! keeps cookies the way a browser does.

mod common;

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    extract::Path,
    routing::{get, post},
};
use common::CountingStore;
use futures_util::future::join_all;
use sesh::{MemoryStore, Session, SessionLayer, store::SessionStore};
use tokio::{net::TcpListener, sync::Notify};

async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client")
}

async fn put(session: Session, Path((key, value)): Path<(String, u32)>) -> Result<(), sesh::Error> {
    // Every request loads first and writes later, as real handlers do: the
    // window in between is where lost updates happen.
    tokio::task::yield_now().await;
    session.insert(&key, value)
}

async fn keys(session: Session) -> String {
    let mut keys = session.keys();
    keys.sort();
    keys.join(",")
}

/// `loaded` is signalled once the slow handler holds the session; it then
/// waits for `gate` before writing.
fn app(loaded: Arc<Notify>, gate: Arc<Notify>, store: impl SessionStore) -> Router {
    Router::new()
        .route(
            "/start",
            post(|s: Session| async move { s.insert("started", true) }),
        )
        .route("/put/{key}/{value}", post(put))
        .route(
            "/get/{key}",
            get(|s: Session, Path(k): Path<String>| async move {
                s.get_value(&k).map(|v| v.to_string()).unwrap_or_default()
            }),
        )
        .route("/keys", get(keys))
        .route("/logout", post(|s: Session| async move { s.destroy() }))
        .route(
            "/slow",
            post(move |s: Session| async move {
                loaded.notify_one();
                gate.notified().await;
                s.insert("resurrected", true)
            }),
        )
        .layer(SessionLayer::new(store).secure(false))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_parallel_writers_all_keep_their_key() {
    let base = format!(
        "http://{}",
        serve(app(
            Arc::new(Notify::new()),
            Arc::new(Notify::new()),
            MemoryStore::new()
        ))
        .await
    );
    let client = client();
    client
        .post(format!("{base}/start"))
        .send()
        .await
        .expect("start")
        .error_for_status()
        .expect("200");
    let writers = (0..64).map(|i| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            client
                .post(format!("{base}/put/k{i:02}/{i}"))
                .send()
                .await
                .expect("send")
                .status()
        }
    });
    let statuses = join_all(writers).await;
    assert!(
        statuses.iter().all(reqwest::StatusCode::is_success),
        "{statuses:?}"
    );
    let keys = client
        .get(format!("{base}/keys"))
        .send()
        .await
        .expect("keys")
        .text()
        .await
        .expect("text");
    let expected: Vec<String> = (0..64)
        .map(|i| format!("k{i:02}"))
        .chain(["started".into()])
        .collect();
    assert_eq!(keys, expected.join(","));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_key_races_end_with_one_written_value() {
    let base = format!(
        "http://{}",
        serve(app(
            Arc::new(Notify::new()),
            Arc::new(Notify::new()),
            MemoryStore::new()
        ))
        .await
    );
    let client = client();
    client.post(format!("{base}/start")).send().await.expect("start");
    let writers = (0..32).map(|i| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            client
                .post(format!("{base}/put/same/{i}"))
                .send()
                .await
                .expect("send")
                .status()
        }
    });
    assert!(
        join_all(writers)
            .await
            .iter()
            .all(reqwest::StatusCode::is_success)
    );
    let value = client
        .get(format!("{base}/get/same"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    let value: u32 = value.parse().expect("a whole value, not a corrupt one");
    assert!(value < 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_wins_over_a_slow_request_twenty_times_out_of_twenty() {
    for round in 0..20 {
        let (loaded, gate) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        // Half the rounds on the memory store, half on a wrapper around it
        // that counts the calls.
        let store: Box<dyn SessionStore> = if round % 2 == 0 {
            Box::new(MemoryStore::new())
        } else {
            Box::new(CountingStore::default())
        };
        let base = format!(
            "http://{}",
            serve(app(Arc::clone(&loaded), Arc::clone(&gate), store)).await
        );
        let client = client();
        let start = client.post(format!("{base}/start")).send().await.expect("start");
        let set_cookie = start.headers()["set-cookie"].to_str().expect("ascii");
        let old_cookie = set_cookie.split(';').next().expect("pair").to_owned();
        let slow = tokio::spawn({
            let (client, base) = (client.clone(), base.clone());
            async move { client.post(format!("{base}/slow")).send().await.expect("slow") }
        });
        loaded.notified().await;
        let logout = client
            .post(format!("{base}/logout"))
            .send()
            .await
            .expect("logout");
        assert!(logout.status().is_success());
        gate.notify_one();
        let slow = slow.await.expect("task");
        assert!(slow.status().is_success());
        assert!(
            slow.headers().get("set-cookie").is_none(),
            "round {round}: the slow request re-set a cookie"
        );
        // Ask with the old cookie itself: the jar dropped it at logout.
        let keys = reqwest::Client::new()
            .get(format!("{base}/keys"))
            .header("cookie", &old_cookie)
            .send()
            .await
            .expect("keys");
        assert_eq!(
            keys.text().await.expect("text"),
            "",
            "round {round}: the destroyed session came back"
        );
    }
}
