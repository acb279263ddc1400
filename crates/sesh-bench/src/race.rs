//! Concurrent writes of different keys to one session, on sesh and on
//! tower-sessions: how many of the writes survive.
//!
//! This is what sesh's Redis write and new pay for (`BENCHMARKS.md`,
//! "Targets"): tower-sessions saves a session by writing the whole record
//! it loaded, so two requests that load one session, change different
//! keys and save both leave only the later save's keys. sesh merges each
//! request's changes key by key (in Redis, in a script), so every key stays.
//!
//! | route | what the handler does |
//! |-------|-----------------------|
//! | `POST /start` | inserts `started` into a fresh session |
//! | `POST /put/{key}` | reads `started` (410 without it), yields, inserts `key` |
//! | `GET /count/{n}` | how many of `k0` … `k{n-1}` the session holds |
//!
//! The yield between the read and the insert stands for a handler's own
//! work: the window in which another request can load the same record.

use std::net::SocketAddr;

use axum::{
    Router,
    extract::Path,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use futures_util::future::join_all;
use tokio::net::TcpListener;

use crate::{
    Impl, Store, apps,
    stores::{BoxError, RedisOptions, sesh_redis_store, tower_redis_store},
};

/// The marker `/start` inserts and `/put` reads first.
const STARTED: &str = "started";

/// The name of the `i`th writer's key.
#[must_use]
pub fn writer_key(i: usize) -> String {
    format!("k{i}")
}

/// The race routes of `implementation` (sesh or tower-sessions) over a
/// fresh `store` (memory or Redis).
///
/// # Errors
/// When Redis is unreachable, or for an implementation or store the race
/// does not cover.
pub async fn app(implementation: Impl, store: Store, redis: &RedisOptions) -> Result<Router, BoxError> {
    Ok(match (implementation, store) {
        (Impl::Sesh, Store::Memory) => sesh_routes().layer(apps::sesh_layer(sesh::MemoryStore::new())),
        (Impl::Sesh, Store::Redis) => sesh_routes().layer(apps::sesh_layer(sesh_redis_store(redis).await?)),
        (Impl::TowerSessions, Store::Memory) => tower_routes(tower_sessions::MemoryStore::default()),
        (Impl::TowerSessions, Store::Redis) => tower_routes(tower_redis_store(redis).await?),
        (implementation, store) => {
            return Err(format!(
                "the race runs sesh and tower-sessions over memory or redis, not {implementation} over {store}"
            )
            .into());
        }
    })
}

fn sesh_routes() -> Router {
    use sesh::Session;
    Router::new()
        .route(
            "/start",
            post(|session: Session| async move { session.insert(STARTED, true) }),
        )
        .route(
            "/put/{key}",
            post(|session: Session, Path(key): Path<String>| async move {
                if session.get::<bool>(STARTED)?.is_none() {
                    return Ok(StatusCode::GONE);
                }
                tokio::task::yield_now().await;
                session.insert(&key, 1_u32)?;
                Ok::<_, sesh::Error>(StatusCode::OK)
            }),
        )
        .route(
            "/count/{n}",
            get(|session: Session, Path(n): Path<usize>| async move {
                let mut kept = 0;
                for i in 0..n {
                    kept += usize::from(session.get::<u32>(&writer_key(i))?.is_some());
                }
                Ok::<_, sesh::Error>(kept.to_string())
            }),
        )
}

fn tower_routes<S>(store: S) -> Router
where
    S: tower_sessions::SessionStore + Clone,
{
    use tower_sessions::Session;
    fn failed(error: &tower_sessions::session::Error) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
    }
    Router::new()
        .route(
            "/start",
            post(
                |session: Session| async move { session.insert(STARTED, true).await.map_err(|e| failed(&e)) },
            ),
        )
        .route(
            "/put/{key}",
            post(|session: Session, Path(key): Path<String>| async move {
                if session
                    .get::<bool>(STARTED)
                    .await
                    .map_err(|e| failed(&e))?
                    .is_none()
                {
                    return Ok(StatusCode::GONE);
                }
                tokio::task::yield_now().await;
                session.insert(&key, 1_u32).await.map_err(|e| failed(&e))?;
                Ok::<_, Response>(StatusCode::OK)
            }),
        )
        .route(
            "/count/{n}",
            get(|session: Session, Path(n): Path<usize>| async move {
                let mut kept = 0;
                for i in 0..n {
                    let value = session.get::<u32>(&writer_key(i)).await.map_err(|e| failed(&e))?;
                    kept += usize::from(value.is_some());
                }
                Ok::<_, Response>(kept.to_string())
            }),
        )
        .layer(tower_sessions::SessionManagerLayer::new(store).with_secure(false))
}

/// Serves `app` on a free loopback port, on the current runtime.
///
/// # Errors
/// When no port can be bound.
pub async fn serve(app: Router) -> Result<SocketAddr, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("race server stopped: {e}");
        }
    });
    Ok(addr)
}

/// One trial: a fresh session on the server at `addr`, then `writers`
/// requests at once, each inserting its own key; returns how many keys the
/// session holds afterwards.
///
/// # Errors
/// When a request fails or a writer is refused.
pub async fn trial(addr: SocketAddr, writers: usize) -> Result<usize, BoxError> {
    // A cookie jar per trial: each trial races on its own session.
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let base = format!("http://{addr}");
    client
        .post(format!("{base}/start"))
        .send()
        .await?
        .error_for_status()?;
    let puts = (0..writers).map(|i| {
        let (client, url) = (client.clone(), format!("{base}/put/{}", writer_key(i)));
        async move { client.post(url).send().await?.error_for_status() }
    });
    for answer in join_all(puts).await {
        answer?;
    }
    let count = client
        .get(format!("{base}/count/{writers}"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    Ok(count.parse()?)
}
