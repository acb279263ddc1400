//! The floor under any Redis-backed session layer: the four routes doing
//! the round trips a session needs and nothing else.
//!
//! | route | Redis commands |
//! |-------|----------------|
//! | `GET /untouched` | none |
//! | `GET /read` | `GET` |
//! | `GET /write` | `GET`, then `SET … PX` |
//! | `GET /new` | `SET … PX` of a fresh random ID, sent back in `Set-Cookie` |
//!
//! The cookie's value is the Redis key's suffix. It uses
//! the client sesh-redis uses (a redis-rs `ConnectionManager` over one
//! multiplexed connection), so a library on that client cannot be faster
//! than this; the benchmark reports how close each library comes.

use axum::{
    Router,
    extract::{Request, State},
    response::Response,
    routing::get,
};
use redis::{
    AsyncCommands as _,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use sesh::SessionId;

use super::{cookie_value, created, failed};
use crate::{
    BoxError, KEY,
    apps::{counted, routes},
};

/// Where the floor keeps its values, apart from the libraries' keys.
const PREFIX: &str = "sesh-bench-floor:";

/// As long as sesh's default idle timeout, so the `SET`s carry an expiry
/// as every session store's do.
const TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// The four routes over a fresh connection to `url`.
///
/// # Errors
/// When Redis is unreachable.
pub async fn redis_floor(url: &str) -> Result<Router, BoxError> {
    let client = redis::Client::open(url)?;
    // Configured as `RedisStore::connect` configures its manager.
    let config = ConnectionManagerConfig::new().set_response_timeout(None);
    let conn = ConnectionManager::new_with_config(client, config).await?;
    Ok(routes(get(read), get(write), get(new)).with_state(conn))
}

/// The Redis key of session `id`'s value.
fn redis_key(id: &str) -> String {
    format!("{PREFIX}{id}:{KEY}")
}

/// The Redis key named by the request's `floor` cookie, if it has one.
fn key_of(headers: &axum::http::HeaderMap) -> Option<String> {
    cookie_value(headers).map(redis_key)
}

async fn read(State(mut conn): State<ConnectionManager>, request: Request) -> Response {
    let Some(key) = key_of(request.headers()) else {
        return counted(None);
    };
    match conn.get::<_, Option<u64>>(&key).await {
        Ok(n) => counted(n),
        Err(e) => failed(&e),
    }
}

async fn write(State(mut conn): State<ConnectionManager>, request: Request) -> Response {
    let Some(key) = key_of(request.headers()) else {
        return counted(None);
    };
    let n = match conn.get::<_, Option<u64>>(&key).await {
        Ok(Some(n)) => n + 1,
        Ok(None) => return counted(None),
        Err(e) => return failed(&e),
    };
    match conn.pset_ex::<_, _, ()>(&key, n, TTL_MS).await {
        Ok(()) => counted(Some(n)),
        Err(e) => failed(&e),
    }
}

async fn new(State(mut conn): State<ConnectionManager>) -> Response {
    let id = SessionId::generate().encode();
    if let Err(e) = conn.pset_ex::<_, _, ()>(redis_key(&id), 1_u64, TTL_MS).await {
        return failed(&e);
    }
    created(&id)
}
