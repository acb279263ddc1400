//! The counter of `examples/counter.rs` with its sessions in PostgreSQL:
//! `GET /` answers 1, 2, 3… per browser, and keeps counting across
//! restarts of the app; `GET /health` answers without touching the session.
//!
//! `cargo run --example postgres`, then open <http://localhost:3000>. The
//! database comes from `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), the port from `PORT`.

use std::time::Duration;

use axum::{Router, routing::get};
use sesh::{Session, SessionLayer};
use sesh_sqlx::PostgresStore;

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
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let store = PostgresStore::connect(&url).await?;
    store.migrate().await?;
    // SQL has no native expiry: delete expired rows now and then.
    let _sweeper = sesh_sqlx::spawn_sweeper(store.clone(), Duration::from_secs(300));
    let app = Router::new()
        .route("/", get(count))
        .route("/health", get(|| async { "ok" }))
        .layer(SessionLayer::new(store));
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    tracing::info!("postgres counter listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
