//! The counter example on Redis: `GET /` answers 1, 2, 3… for each browser,
//! and the count survives restarts of the app because it lives in Redis;
//! `GET /health` answers without touching the session (no Redis traffic).
//!
//! `cargo run --example redis`, then open <http://localhost:3000>. Redis is
//! at `REDIS_URL` (default `redis://127.0.0.1:6379`); the port comes from
//! `PORT`.

use std::time::Duration;

use axum::{Router, routing::get};
use sesh::{Session, SessionLayer};
use sesh_redis::RedisStore;

async fn count(session: Session) -> Result<String, sesh::Error> {
    let n: u64 = session.get("n")?.unwrap_or(0) + 1;
    session.insert("n", n)?;
    Ok(n.to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let store = RedisStore::connect(&url)
        .await?
        .with_prefix("example:sess:")?
        .with_timeout(Duration::from_secs(1));
    let app = Router::new()
        .route("/", get(count))
        .route("/health", get(|| async { "ok" }))
        .layer(SessionLayer::new(store));
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    tracing::info!("redis counter listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
