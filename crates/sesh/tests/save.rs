//! `Session::save`: what a handler changed is stored before its response
//! is done (a body that fails midway), a session created by a save gets its
//! cookie, and changes after a WebSocket upgrade reach the store only
//! through a save of their own.

use std::{net::SocketAddr, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::ws::{Message, WebSocketUpgrade},
    response::{IntoResponse, Response},
    routing::get,
};
use futures_util::{SinkExt as _, StreamExt as _, stream};
use sesh::{MemoryStore, Session, SessionLayer};
use tokio::net::TcpListener;

/// A body that sends a first chunk and, a moment later, fails.
fn failing_body() -> Body {
    let first = stream::iter([Ok::<_, std::io::Error>("first chunk".to_owned())]);
    let broken = stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(std::io::Error::other("the export broke midway"))
    });
    Body::from_stream(first.chain(broken))
}

async fn export(session: Session) -> Result<Response, sesh::Error> {
    session.insert("export", "started")?;
    session.save().await?;
    session.insert("after_save", true)?; // committed by the layer as usual
    Ok(failing_body().into_response())
}

/// Upgrades, then counts each message in the session: the response (101)
/// left long before, so only `save` stores the counts.
async fn socket(session: Session, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |mut ws| async move {
        while let Some(Ok(Message::Text(text))) = ws.next().await {
            let saved = text.as_str() == "save";
            let n = session.update("messages", |n: Option<u64>| n.unwrap_or(0) + 1);
            if saved {
                session.save().await.expect("saved after the upgrade");
            }
            let reply = format!(
                "{} {}",
                n.expect("counted"),
                if saved { "saved" } else { "not saved" }
            );
            if ws.send(Message::Text(reply.into())).await.is_err() {
                return;
            }
        }
    })
}

async fn read(session: Session) -> String {
    let keys = session.keys().join(",");
    let messages: u64 = session.get("messages").ok().flatten().unwrap_or(0);
    format!("{keys} messages={messages}")
}

async fn serve() -> SocketAddr {
    let app = Router::new()
        .route("/export", get(export))
        .route("/socket", get(socket))
        .route(
            "/start",
            get(|s: Session| async move { s.insert("started", true) }),
        )
        .route("/read", get(read))
        .layer(SessionLayer::new(MemoryStore::new()).secure(false));
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

#[tokio::test]
async fn a_save_stores_before_the_body_and_creates_the_cookie() {
    let base = format!("http://{}", serve().await);
    let client = client();
    let res = client.get(format!("{base}/export")).send().await.expect("export");
    assert!(
        res.headers().contains_key("set-cookie"),
        "the saved new session gets its cookie"
    );
    assert!(res.text().await.is_err(), "the body failed midway");
    let read = client.get(format!("{base}/read")).send().await.expect("read");
    let read = read.text().await.expect("body");
    assert!(read.contains("export"), "what was saved stays: {read}");
    assert!(
        read.contains("after_save"),
        "and what came after it was committed: {read}"
    );
}

#[tokio::test]
async fn after_a_websocket_upgrade_only_a_save_stores() {
    let addr = serve().await;
    let client = client();
    let start = client
        .get(format!("http://{addr}/start"))
        .send()
        .await
        .expect("start");
    let cookie = start.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
        format!("ws://{addr}/socket"),
    )
    .expect("request");
    request
        .headers_mut()
        .insert("cookie", cookie.parse().expect("header"));
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.expect("upgrade");
    let mut say = async |text: &str| {
        ws.send(tokio_tungstenite::tungstenite::Message::text(text))
            .await
            .expect("send");
        let reply = ws.next().await.expect("a reply").expect("a message");
        reply.into_text().expect("text").to_string()
    };
    assert_eq!(say("hello").await, "1 not saved");
    // The layer's commit of the 101 is long done: this change is not stored.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let read = client
        .get(format!("http://{addr}/read"))
        .send()
        .await
        .expect("read");
    assert!(
        read.text().await.expect("body").ends_with("messages=0"),
        "lost without a save"
    );
    // With a save, it is (both messages, counted in this connection).
    assert_eq!(say("save").await, "2 saved");
    let read = client
        .get(format!("http://{addr}/read"))
        .send()
        .await
        .expect("read");
    assert!(read.text().await.expect("body").ends_with("messages=2"));
}
