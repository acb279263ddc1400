//! Building each implementation's app over each kind of store.

use std::{fmt, str::FromStr};

use axum::Router;
use tower_sessions_redis_store::fred::prelude::{ClientLike as _, Config, Pool};

use crate::{BoxError, Impl, apps, floor};

/// The Redis the benchmarks use: database 9, kept for them, because
/// tower-sessions' store has no key prefix and the load driver empties the
/// database before and after a run.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379/9";

/// The Redis this crate's tests use: database 10, so that a benchmark
/// emptying database 9 while the tests run cannot take their sessions.
pub const TEST_REDIS_URL: &str = "redis://127.0.0.1:6379/10";

/// The key prefix of sesh's sessions in that database.
pub const SESH_PREFIX: &str = "sesh-bench:";

/// Which kind of store keeps the sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// Each library's in-process memory store.
    Memory,
    /// Redis: sesh-redis (redis-rs) and tower-sessions-redis-store (fred).
    Redis,
    /// Redis behind each library's in-process cache: sesh-cache's
    /// `CachingStore` (5 s time to live) and tower-sessions'
    /// `CachingSessionStore` over its `MemoryStore`.
    RedisCached,
}

impl Store {
    /// The name used on the command line and in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Redis => "redis",
            Self::RedisCached => "redis-cached",
        }
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Store {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "memory" => Ok(Self::Memory),
            "redis" => Ok(Self::Redis),
            "redis-cached" => Ok(Self::RedisCached),
            _ => Err(format!(
                "unknown store {s:?}: expected memory, redis or redis-cached"
            )),
        }
    }
}

/// Where Redis is and how tower-sessions connects to it.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// `redis://host:port/db`.
    pub url: String,
    /// Connections in tower-sessions' fred pool. sesh-redis multiplexes
    /// one connection; fred's client pipelines on one connection too, so
    /// 1 compares like with like.
    pub pool: usize,
}

impl RedisOptions {
    /// The options the tests use: `SESH_BENCH_REDIS_URL` if set, else
    /// [`TEST_REDIS_URL`], with one pooled connection.
    #[must_use]
    pub fn from_env() -> Self {
        Self {
            url: std::env::var("SESH_BENCH_REDIS_URL").unwrap_or_else(|_| TEST_REDIS_URL.to_owned()),
            ..Self::default()
        }
    }
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            url: DEFAULT_REDIS_URL.to_owned(),
            pool: 1,
        }
    }
}

/// The four routes of `implementation` over a fresh `store`.
///
/// # Errors
/// When Redis is unreachable, or for the floor over `redis-cached`.
pub async fn app(implementation: Impl, store: Store, redis: &RedisOptions) -> Result<Router, BoxError> {
    Ok(match (implementation, store) {
        (Impl::Bare, _) => apps::bare(),
        (Impl::Floor, Store::Redis) => floor::redis_floor(&redis.url).await?,
        (Impl::Floor, Store::Memory) => floor::memory_floor(),
        (Impl::Floor, Store::RedisCached) => {
            return Err("the floor runs over the memory and redis stores, not redis-cached".into());
        }
        (Impl::Sesh, Store::Memory) => apps::sesh(apps::sesh_layer(sesh::MemoryStore::new())),
        (Impl::Sesh, Store::Redis) => apps::sesh(apps::sesh_layer(sesh_redis_store(redis).await?)),
        (Impl::TowerSessions, Store::Memory) => apps::tower_sessions(tower_sessions::MemoryStore::default()),
        (Impl::TowerSessions, Store::Redis) => apps::tower_sessions(tower_redis_store(redis).await?),
        (Impl::Sesh, Store::RedisCached) => apps::sesh(apps::sesh_layer(sesh_cache::CachingStore::new(
            sesh_redis_store(redis).await?,
        ))),
        (Impl::TowerSessions, Store::RedisCached) => {
            apps::tower_sessions(tower_sessions::CachingSessionStore::new(
                tower_sessions::MemoryStore::default(),
                tower_redis_store(redis).await?,
            ))
        }
    })
}

/// sesh-redis's store, as its README connects it, under [`SESH_PREFIX`].
///
/// # Errors
/// When Redis is unreachable.
pub async fn sesh_redis_store(redis: &RedisOptions) -> Result<sesh_redis::RedisStore, BoxError> {
    Ok(sesh_redis::RedisStore::connect(&redis.url)
        .await?
        .with_prefix(SESH_PREFIX)?)
}

/// tower-sessions-redis-store over a fred pool of `redis.pool` connections.
///
/// # Errors
/// When Redis is unreachable or the URL is malformed.
pub async fn tower_redis_store(
    redis: &RedisOptions,
) -> Result<tower_sessions_redis_store::RedisStore<Pool>, BoxError> {
    let pool = Pool::new(Config::from_url(&redis.url)?, None, None, None, redis.pool)?;
    // fred reconnects forever by default; a bounded wait fails fast instead.
    tokio::time::timeout(std::time::Duration::from_secs(2), pool.init()).await??;
    Ok(tower_sessions_redis_store::RedisStore::new(pool))
}
