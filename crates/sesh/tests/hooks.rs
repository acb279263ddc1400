//! Lifecycle hooks over real TCP: each event fires after its store write,
//! with the store key and the user; a hook that hangs or panics neither
//! delays nor fails the request.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Router,
    routing::{get, post},
};
use sesh::{
    MemoryStore, Session, SessionLayer,
    hooks::{EventKind, SessionEvent},
};
use tokio::{net::TcpListener, sync::mpsc};

type Seen = mpsc::UnboundedReceiver<SessionEvent>;

fn app(layer: SessionLayer) -> Router {
    Router::new()
        .route("/visit", get(|s: Session| async move { s.insert("seen", true) }))
        .route(
            "/login/{user}",
            post(
                |s: Session, axum::extract::Path(user): axum::extract::Path<String>| async move {
                    s.login(&user).await
                },
            ),
        )
        .route("/rotate", post(|s: Session| async move { s.cycle_id() }))
        .route("/logout", post(|s: Session| async move { s.destroy() }))
        .layer(layer)
}

async fn serve(layer: SessionLayer) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = app(layer);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

fn recording(store: MemoryStore) -> (SessionLayer, Seen) {
    let (tx, rx) = mpsc::unbounded_channel();
    let layer = SessionLayer::new(store).secure(false).on_event(move |event| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(event);
        }
    });
    (layer, rx)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client")
}

async fn next(seen: &mut Seen) -> SessionEvent {
    tokio::time::timeout(Duration::from_secs(5), seen.recv())
        .await
        .expect("an event within 5 s")
        .expect("the layer is alive")
}

#[tokio::test]
async fn every_lifecycle_event_fires_once_with_key_and_user() {
    let store = MemoryStore::new();
    let (layer, mut seen) = recording(store.clone());
    let base = format!("http://{}", serve(layer).await);
    let client = client();

    client.get(format!("{base}/visit")).send().await.expect("visit");
    let created = next(&mut seen).await;
    assert_eq!(
        (created.kind, created.user.as_deref()),
        (EventKind::Created, None)
    );
    assert_eq!(store.len(), 1, "fired after the store write");

    client
        .post(format!("{base}/login/ada"))
        .send()
        .await
        .expect("login");
    let rotated = next(&mut seen).await;
    let login = next(&mut seen).await;
    assert_eq!(rotated.kind, EventKind::Rotated);
    assert_ne!(rotated.key, created.key, "the new key");
    assert_eq!(
        (login.kind, login.user.as_deref()),
        (EventKind::Login, Some("ada"))
    );
    assert_eq!(login.key, rotated.key);

    client
        .post(format!("{base}/rotate"))
        .send()
        .await
        .expect("rotate");
    let rotated_again = next(&mut seen).await;
    assert_eq!(
        (rotated_again.kind, rotated_again.user.as_deref()),
        (EventKind::Rotated, Some("ada")),
        "a rotation of a logged-in session is no new login"
    );

    client
        .post(format!("{base}/logout"))
        .send()
        .await
        .expect("logout");
    let logout = next(&mut seen).await;
    let destroyed = next(&mut seen).await;
    assert_eq!(
        (logout.kind, logout.user.as_deref()),
        (EventKind::Logout, Some("ada"))
    );
    assert_eq!(destroyed.kind, EventKind::Destroyed);
    assert_eq!(destroyed.key, rotated_again.key);
    assert!(store.is_empty());
    assert!(seen.try_recv().is_err(), "nothing else fired");
}

#[tokio::test]
async fn evictions_fire_with_the_evicted_key() {
    let store = MemoryStore::new();
    let (layer, mut seen) = recording(store.clone());
    let layer = layer.max_sessions_per_user(1, sesh::LimitPolicy::EvictOldest);
    let base = format!("http://{}", serve(layer).await);
    let (first, second) = (client(), client());
    first
        .post(format!("{base}/login/ada"))
        .send()
        .await
        .expect("login");
    let _created = next(&mut seen).await;
    let first_login = next(&mut seen).await;
    second
        .post(format!("{base}/login/ada"))
        .send()
        .await
        .expect("login");
    let evicted = next(&mut seen).await;
    assert_eq!(
        (evicted.kind, evicted.user.as_deref()),
        (EventKind::Evicted, Some("ada"))
    );
    assert_eq!(evicted.key, first_login.key, "the older session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_or_panicking_hook_neither_delays_nor_fails_the_request() {
    let finished = Arc::new(Mutex::new(0));
    let layer = SessionLayer::new(MemoryStore::new())
        .secure(false)
        // A hook may run this long; the request must not wait for it.
        .store_timeout(Duration::from_secs(60))
        .on_event(|_| async { std::future::pending::<()>().await })
        .on_event(|_| async { panic!("an audit log that fails") })
        .on_event({
            let finished = Arc::clone(&finished);
            move |_| {
                let finished = Arc::clone(&finished);
                async move { *finished.lock().expect("lock") += 1 }
            }
        });
    let base = format!("http://{}", serve(layer).await);
    let started = Instant::now();
    let visit = client().get(format!("{base}/visit")).send().await.expect("visit");
    assert_eq!(visit.status(), reqwest::StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the request did not wait for the hanging hook (limit 60 s): {:?}",
        started.elapsed()
    );
    for _ in 0..500 {
        if *finished.lock().expect("lock") == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the well-behaved hook never ran");
}
