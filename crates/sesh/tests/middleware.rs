//! A middleware in front of the handlers loads the same `Session` the
//! handler extracts: both see each other's changes and both writes land.

use std::net::SocketAddr;

use axum::{
    Router,
    extract::Request,
    middleware::{self, Next},
    response::Response,
    routing::get,
};
use sesh::{MemoryStore, Session, SessionLayer};
use tokio::net::TcpListener;

/// Counts every request of the session, before the handler runs.
async fn count_requests(req: Request, next: Next) -> Result<Response, sesh::Error> {
    let session = req
        .extensions()
        .get::<Session>()
        .cloned()
        .expect("the layer is outside");
    session.load().await?;
    let seen: u64 = session.get("requests")?.unwrap_or(0) + 1;
    session.insert("requests", seen)?;
    Ok(next.run(req).await)
}

async fn visit(session: Session) -> Result<String, sesh::Error> {
    // The middleware's write of this very request is visible here.
    let requests: u64 = session.get("requests")?.unwrap_or(0);
    let visits: u64 = session.get("visits")?.unwrap_or(0) + 1;
    session.insert("visits", visits)?;
    Ok(format!("{requests} {visits}"))
}

async fn serve() -> SocketAddr {
    let app = Router::new()
        .route("/visit", get(visit))
        .route("/plain", get(|| async { "no handler session" }))
        .layer(middleware::from_fn(count_requests))
        .layer(SessionLayer::new(MemoryStore::new()).secure(false));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

#[tokio::test]
async fn a_middleware_and_a_handler_share_one_session_and_both_writes_land() {
    let base = format!("http://{}", serve().await);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let get = |path: &str| {
        let url = format!("{base}{path}");
        let client = client.clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .expect("request")
                .text()
                .await
                .expect("body")
        }
    };
    assert_eq!(get("/visit").await, "1 1");
    assert_eq!(get("/visit").await, "2 2");
    // A route whose handler never touches the session still counts: the
    // middleware loaded and wrote it.
    assert_eq!(get("/plain").await, "no handler session");
    assert_eq!(get("/visit").await, "4 3");
}
