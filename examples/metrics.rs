//! sesh's metrics served on `/metrics` by a Prometheus exporter.
//!
//! `cargo run --example metrics --features metrics`, then send traffic and
//! scrape:
//!
//! ```text
//! curl -c jar -b jar localhost:3000/          # a session: 1, 2, 3...
//! curl -c jar -b jar -X POST localhost:3000/login/ada
//! curl -c jar -b jar -X POST localhost:3000/logout
//! curl localhost:3000/metrics
//! ```
//!
//! The sessions live in memory, or in Redis with `REDIS_URL` (the live
//! sessions gauge is filled where the store counts cheaply: the memory
//! store's length). The port comes from `PORT`.

use std::sync::Arc;

use axum::{
    Router,
    extract::Path,
    routing::{get, post},
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sesh::{MemoryStore, Session, SessionLayer};

async fn count(session: Session) -> Result<String, sesh::Error> {
    let n: u64 = session.update("n", |n: Option<u64>| n.unwrap_or(0) + 1)?;
    Ok(n.to_string())
}

async fn login(session: Session, Path(user): Path<String>) -> Result<String, sesh::Error> {
    session.login(&user).await?;
    Ok(format!("signed in as {user}"))
}

async fn logout(session: Session) -> &'static str {
    session.destroy();
    "signed out"
}

/// Renders every metric; the live-sessions gauge first, where the store
/// gives a count.
async fn scrape(handle: Arc<PrometheusHandle>, memory: Option<MemoryStore>) -> String {
    if let Some(store) = memory {
        sesh::metrics::record_live_sessions(store.len() as u64);
    }
    handle.render()
}

async fn layer_from_env(memory: &MemoryStore) -> Result<SessionLayer, Box<dyn std::error::Error>> {
    let audit = |event: sesh::hooks::SessionEvent| async move {
        tracing::info!(
            target: "audit",
            event = event.kind.as_str(),
            user = event.user.as_deref().unwrap_or("-"),
            key = %event.key.to_hex(),
            "session event"
        );
    };
    let layer = match std::env::var("REDIS_URL") {
        #[cfg(feature = "redis")]
        Ok(url) => SessionLayer::new(sesh_redis::RedisStore::connect(&url).await?),
        #[cfg(not(feature = "redis"))]
        Ok(_) => return Err("REDIS_URL needs `--features metrics,redis`".into()),
        Err(_) => SessionLayer::new(memory.clone()),
    };
    Ok(layer.secure(false).on_event(audit))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let handle = Arc::new(PrometheusBuilder::new().install_recorder()?);
    let memory = MemoryStore::new();
    let counted = std::env::var("REDIS_URL").is_err().then(|| memory.clone());
    let layer = layer_from_env(&memory).await?;
    let app = Router::new()
        .route("/", get(count))
        .route("/login/{user}", post(login))
        .route("/logout", post(logout))
        .layer(layer)
        .route(
            "/metrics",
            get(move || scrape(Arc::clone(&handle), counted.clone())),
        )
        .route("/health", get(|| async { "ok" }));
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    tracing::info!("metrics example listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
