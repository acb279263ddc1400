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
//! The sessions live in memory, in Redis with `REDIS_URL` (`--features
//! metrics,redis`; several URLs, comma separated, for a Redis Cluster), or in
//! SQL with `DATABASE_URL` (`--features metrics,sql`: `postgres://`,
//! `mysql://`, `sqlite:`). The port comes from `PORT`.

use std::sync::Arc;

use axum::{
    Router,
    extract::Path,
    routing::{get, post},
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sesh::{MemoryStore, Session, SessionLayer, store::Inspect};

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
/// counts cheaply (memory exactly, PostgreSQL and MySQL by estimate).
async fn scrape(handle: Arc<PrometheusHandle>, store: Arc<dyn Inspect>) -> String {
    if let Ok(Some(count)) = store.count().await {
        sesh::metrics::record_live_sessions(count);
    }
    handle.render()
}

type Opened = (SessionLayer, Arc<dyn Inspect>);

fn opened<S: Inspect + Clone>(store: S) -> Opened {
    (SessionLayer::new(store.clone()), Arc::new(store))
}

/// The store named by the environment: `REDIS_URL` (several, comma
/// separated: a Redis Cluster), `DATABASE_URL` (`postgres://`, `mysql://`,
/// `sqlite:`), or memory.
async fn store_from_env() -> Result<Opened, Box<dyn std::error::Error>> {
    if let Ok(urls) = std::env::var("REDIS_URL") {
        return redis(&urls).await;
    }
    match std::env::var("DATABASE_URL") {
        Ok(url) => sql(&url).await,
        Err(_) => Ok(opened(MemoryStore::new())),
    }
}

#[cfg(feature = "redis")]
async fn redis(urls: &str) -> Result<Opened, Box<dyn std::error::Error>> {
    use sesh_redis::RedisStore;
    let urls: Vec<&str> = urls.split(',').map(str::trim).collect();
    Ok(opened(match urls.as_slice() {
        [one] => RedisStore::connect(one).await?,
        nodes => RedisStore::connect_cluster(nodes.to_vec()).await?,
    }))
}

#[cfg(not(feature = "redis"))]
async fn redis(_: &str) -> Result<Opened, Box<dyn std::error::Error>> {
    Err("REDIS_URL needs `--features metrics,redis`".into())
}

#[cfg(feature = "sql")]
async fn sql(url: &str) -> Result<Opened, Box<dyn std::error::Error>> {
    use sesh_sqlx::{MySqlStore, PostgresStore, SqliteStore};
    Ok(if url.starts_with("postgres") {
        let store = PostgresStore::connect(url).await?;
        store.migrate().await?;
        opened(store)
    } else if url.starts_with("mysql") {
        let store = MySqlStore::connect(url).await?;
        store.migrate().await?;
        opened(store)
    } else if url.starts_with("sqlite") {
        let store = SqliteStore::connect(url).await?;
        store.migrate().await?;
        opened(store)
    } else {
        return Err("DATABASE_URL must start with postgres://, mysql:// or sqlite:".into());
    })
}

#[cfg(not(feature = "sql"))]
async fn sql(_: &str) -> Result<Opened, Box<dyn std::error::Error>> {
    Err("DATABASE_URL needs `--features metrics,sql`".into())
}

fn audited(layer: SessionLayer) -> SessionLayer {
    layer.secure(false).on_event(|event| async move {
        tracing::info!(
            target: "audit",
            event = event.kind.as_str(),
            user = event.user.as_deref().unwrap_or("-"),
            key = %event.key.to_hex(),
            "session event"
        );
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let handle = Arc::new(PrometheusBuilder::new().install_recorder()?);
    let (layer, store) = store_from_env().await?;
    let app = Router::new()
        .route("/", get(count))
        .route("/login/{user}", post(login))
        .route("/logout", post(logout))
        .layer(audited(layer))
        .route(
            "/metrics",
            get(move || scrape(Arc::clone(&handle), Arc::clone(&store))),
        )
        .route("/health", get(|| async { "ok" }));
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    tracing::info!("metrics example listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
