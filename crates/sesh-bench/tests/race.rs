//! The lost-updates race (`sesh_bench::race`): sesh keeps every racing key
//! over both stores, and the routes count what a session holds on both
//! libraries, so the numbers `sesh-bench-lost-updates` prints mean what
//! they say.
#![allow(clippy::unwrap_used)]

use sesh_bench::{
    Impl, Store, race,
    stores::{self, RedisOptions},
};

fn redis() -> RedisOptions {
    RedisOptions {
        url: std::env::var("SESH_BENCH_REDIS_URL").unwrap_or_else(|_| stores::DEFAULT_REDIS_URL.to_owned()),
        pool: 1,
    }
}

async fn sesh_keeps_every_key(store: Store) {
    let app = match race::app(Impl::Sesh, store, &redis()).await {
        Ok(app) => app,
        Err(e) => return sesh_store_tests::server_unreachable("Redis", &redis().url, &*e),
    };
    let addr = race::serve(app).await.unwrap();
    for _ in 0..5 {
        assert_eq!(race::trial(addr, 32).await.unwrap(), 32, "sesh over {store}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sesh_keeps_every_racing_key_in_memory() {
    sesh_keeps_every_key(Store::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sesh_keeps_every_racing_key_in_redis() {
    sesh_keeps_every_key(Store::Redis).await;
}

/// One writer at a time never loses a key on either library: a count below
/// the writers in the race is the race, not the routes.
#[tokio::test]
async fn sequential_writers_keep_their_keys_on_both_libraries() {
    for implementation in [Impl::Sesh, Impl::TowerSessions] {
        let app = race::app(implementation, Store::Memory, &redis()).await.unwrap();
        let addr = race::serve(app).await.unwrap();
        assert_eq!(race::trial(addr, 1).await.unwrap(), 1, "{implementation}");
    }
}

#[tokio::test]
async fn the_race_refuses_what_it_does_not_cover() {
    let error = race::app(Impl::Floor, Store::Memory, &redis()).await.unwrap_err();
    assert!(error.to_string().contains("floor over memory"), "{error}");
}
