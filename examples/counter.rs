//! A per-session counter: `GET /` answers 1, 2, 3… for each browser;
//! `GET /health` answers without touching the session (no store I/O).
//!
//! `cargo run --example counter`, then open <http://localhost:3000> (port from
//! `PORT`). Browsers treat `localhost` as a secure origin, so the default
//! `Secure` cookie works there over plain HTTP.

use axum::{Router, routing::get};
use sesh::{MemoryStore, Session, SessionLayer};

async fn count(session: Session) -> Result<String, sesh::Error> {
    let n: u64 = session.get("n")?.unwrap_or(0) + 1;
    session.insert("n", n)?;
    Ok(n.to_string())
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let app = Router::new()
        .route("/", get(count))
        .route("/health", get(|| async { "ok" }))
        .layer(SessionLayer::new(MemoryStore::new()));
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    tracing::info!("counter listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
