//! Typed session data (`SessionValue`), and the testing helpers an app
//! uses: a handler's session without a server, a cookie-keeping client.

use std::{net::SocketAddr, sync::Arc};

use axum::{Router, extract::State, routing::get};
use serde::{Deserialize, Serialize};
use sesh::{MemoryStore, Session, SessionLayer, SessionValue, testing};
use tokio::{net::TcpListener, sync::Notify};

#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct Cart {
    items: Vec<String>,
}

impl SessionValue for Cart {
    const KEY: &'static str = "cart";
}

async fn add(session: Session) -> Result<String, sesh::Error> {
    let cart = session.update_value(|cart: &mut Cart| cart.items.push("book".into()))?;
    Ok(cart.items.len().to_string())
}

#[tokio::test]
async fn a_handler_is_tested_with_a_session_and_no_server() {
    let session = testing::session();
    assert_eq!(add(session.clone()).await.expect("added"), "1");
    assert_eq!(add(session.clone()).await.expect("added"), "2");
    let cart: Cart = session.value().expect("a cart");
    assert_eq!(cart.items, ["book", "book"]);
    assert_eq!(session.keys(), ["cart"], "one key holds the whole value");
}

#[tokio::test]
async fn a_tested_session_can_be_saved_into_the_layers_store_and_used_over_http() {
    let store = MemoryStore::new();
    let layer = SessionLayer::new(store.clone());
    let session = testing::session_for(&layer);
    session
        .set_value(&Cart {
            items: vec!["pen".into()],
        })
        .expect("set");
    session.save().await.expect("saved");
    assert_eq!(store.len(), 1);
    let id = session.id().expect("stored under an ID");
    let app = Router::new().route("/add", get(add)).layer(layer);
    let request = http::Request::get("/add")
        .header("cookie", format!("session={}", id.encode()))
        .body(axum::body::Body::empty())
        .expect("request");
    let answer = tower::ServiceExt::oneshot(app, request).await.expect("answer");
    let body = http_body_util::BodyExt::collect(answer.into_body())
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(body, "2", "the saved cart, one more item");
}

#[tokio::test]
async fn the_test_client_keeps_and_drops_cookies_like_a_browser() {
    let app = Router::new()
        .route("/add", get(add))
        .route(
            "/show",
            get(|s: Session| async move { s.value::<Cart>().map(|c| c.items.join(",")) }),
        )
        .route("/out", get(|s: Session| async move { s.destroy() }))
        .layer(SessionLayer::new(MemoryStore::new()));
    let mut client = testing::TestClient::new(app);
    assert_eq!(client.get("/add").await.text, "1");
    assert_eq!(client.get("/add").await.text, "2");
    assert!(client.cookie("session").is_some());
    assert_eq!(client.get("/show").await.text, "book,book");
    client.get("/out").await;
    assert!(
        client.cookie("session").is_none(),
        "the removal cookie emptied the jar"
    );
    assert_eq!(client.get("/show").await.text, "");
}

/// A typed value and another key, changed by two requests at once: both
/// land, as any two keys do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_value_keeps_other_keys_merging() {
    let (loaded, written) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let app = Router::new()
        .route(
            "/start",
            get(|s: Session| async move { s.insert("started", true) }),
        )
        .route(
            "/slow-add",
            get(
                |State((loaded, written)): State<(Arc<Notify>, Arc<Notify>)>, s: Session| async move {
                    loaded.notify_one();
                    written.notified().await;
                    s.set_value(&Cart {
                        items: vec!["slow".into()],
                    })
                },
            ),
        )
        .route(
            "/theme",
            get(|s: Session| async move { s.insert("theme", "dark") }),
        )
        .route(
            "/both",
            get(|s: Session| async move {
                Ok::<_, sesh::Error>(format!(
                    "{:?} {:?}",
                    s.value::<Cart>()?.items,
                    s.get::<String>("theme")?
                ))
            }),
        )
        .layer(SessionLayer::new(MemoryStore::new()).secure(false))
        .with_state((Arc::clone(&loaded), Arc::clone(&written)));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    client.get(format!("{base}/start")).send().await.expect("start");
    let slow = tokio::spawn({
        let (client, base) = (client.clone(), base.clone());
        async move { client.get(format!("{base}/slow-add")).send().await.expect("slow") }
    });
    loaded.notified().await;
    client.get(format!("{base}/theme")).send().await.expect("theme");
    written.notify_one();
    slow.await.expect("task");
    let both = client.get(format!("{base}/both")).send().await.expect("both");
    assert_eq!(both.text().await.expect("body"), r#"["slow"] Some("dark")"#);
}
