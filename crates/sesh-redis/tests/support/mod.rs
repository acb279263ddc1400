//! What the Redis-only tests share: a store on the local Redis with a raw
//! connection beside it, records and keys, and readers of the stored hash.

// Each test file uses a different subset of these helpers.
#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, SystemTime};

use redis::AsyncCommands as _;
use sesh_core::{Created, Expiry, Record, SessionId, SessionStore, StoreKey};
use sesh_redis::RedisStore;

pub const PREFIX: &str = "sesh-test:";

pub fn url() -> String {
    std::env::var("SESH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub async fn store() -> Option<(RedisStore, redis::aio::MultiplexedConnection)> {
    let url = url();
    let store = match RedisStore::connect(&url).await {
        Ok(store) => store.with_prefix(PREFIX).expect("valid prefix"),
        Err(e) => {
            sesh_store_tests::server_unreachable("redis", &url, &e);
            return None;
        }
    };
    let raw = redis::Client::open(url)
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("raw connection");
    Some((store, raw))
}

/// A record created at `now`, idle for 60 s at most and 120 s in all.
pub fn record_at(now: SystemTime) -> Record {
    let mut record = Record::new(now, &Expiry::new());
    record.expires_at = now + Duration::from_secs(60);
    record.absolute_deadline = now + Duration::from_secs(120);
    record
}

/// A fresh store key and the Redis key the store keeps it under.
pub fn fresh_key() -> (StoreKey, String) {
    let key = SessionId::generate().key();
    (key, format!("{PREFIX}{}", key.to_hex()))
}

/// A session created now (see [`record_at`]): its record, key and Redis key.
pub async fn created(store: &RedisStore) -> (Record, StoreKey, String) {
    let record = record_at(SystemTime::now());
    let (key, redis_key) = fresh_key();
    assert_eq!(
        store.create(&key, &record).await.expect("create"),
        Created::Created
    );
    (record, key, redis_key)
}

/// The parts of the packed header (`m`, see the store's `codec`).
pub const ABSOLUTE: usize = 2;
pub const EXPIRES: usize = 3;

pub async fn header_part(
    raw: &mut redis::aio::MultiplexedConnection,
    redis_key: &str,
    part: usize,
) -> String {
    let header: String = raw.hget(redis_key, "m").await.expect("hget m");
    header.split(':').nth(part).expect("a header part").to_owned()
}

pub async fn set_header_part(
    raw: &mut redis::aio::MultiplexedConnection,
    redis_key: &str,
    part: usize,
    value: u64,
) {
    let header: String = raw.hget(redis_key, "m").await.expect("hget m");
    let mut parts: Vec<String> = header.split(':').map(str::to_owned).collect();
    parts[part] = value.to_string();
    let () = raw.hset(redis_key, "m", parts.join(":")).await.expect("hset m");
}

pub async fn pexpiretime(raw: &mut redis::aio::MultiplexedConnection, redis_key: &str) -> u64 {
    let at: i64 = redis::cmd("PEXPIRETIME")
        .arg(redis_key)
        .query_async(raw)
        .await
        .expect("pexpiretime");
    at.unsigned_abs()
}
