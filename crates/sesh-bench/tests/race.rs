//! The lost-updates race (`sesh_bench::race`): sesh keeps every racing key
//! over both stores while the requests do overlap, and the routes count
//! what a session holds on both libraries, so the numbers
//! `sesh-bench-lost-updates` prints mean what they say.
#![allow(clippy::unwrap_used)]

use sesh_bench::{
    Impl, Store,
    race::{self, Overlap, Race, Writers},
    stores::RedisOptions,
};

/// Five races of 32 writers, on distinct keys and on one counter, on sesh over `app`'s store, the first two of
/// each held until both have read the session: every key kept, and in
/// every race at least two handlers were between their read and their
/// insert at the same moment, so the race took place.
async fn sesh_keeps_every_key(app: axum::Router, overlap: &Overlap, store: Store) {
    let addr = race::serve(app).await.unwrap();
    for race in [Race::DistinctKeys, Race::SameKey] {
        for trial in 1..=5 {
            overlap.reset();
            let kept = race::trial(addr, 32, Writers::AtOnce, race).await.unwrap();
            assert_eq!(kept, 32, "sesh over {store}, {race:?}, trial {trial}");
            assert!(
                overlap.max() >= 2,
                "sesh over {store}, {race:?}, trial {trial}: no two writers overlapped"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sesh_keeps_every_racing_key_in_memory() {
    let overlap = Overlap::meeting(2);
    let app = race::app(Impl::Sesh, Store::Memory, &RedisOptions::default(), &overlap)
        .await
        .unwrap();
    sesh_keeps_every_key(app, &overlap, Store::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sesh_keeps_every_racing_key_in_redis() {
    let overlap = Overlap::meeting(2);
    let redis = RedisOptions::from_env();
    let app = match race::app(Impl::Sesh, Store::Redis, &redis, &overlap).await {
        Ok(app) => app,
        Err(e) => return sesh_store_tests::server_unreachable("Redis", &redis.url, &*e),
    };
    sesh_keeps_every_key(app, &overlap, Store::Redis).await;
}

/// Without a race, both libraries keep every key, and `/count` counts
/// them: a count below the writers in a race is the race, not the routes.
#[tokio::test]
async fn writers_one_by_one_keep_every_key_on_both_libraries() {
    for implementation in [Impl::Sesh, Impl::TowerSessions] {
        let overlap = Overlap::default();
        let app = race::app(implementation, Store::Memory, &RedisOptions::default(), &overlap)
            .await
            .unwrap();
        let addr = race::serve(app).await.unwrap();
        for race in [Race::DistinctKeys, Race::SameKey] {
            overlap.reset();
            let kept = race::trial(addr, 8, Writers::OneByOne, race).await.unwrap();
            assert_eq!(kept, 8, "{implementation}, {race:?}");
            assert_eq!(overlap.max(), 1, "{implementation}: one writer at a time");
        }
    }
}

#[tokio::test]
async fn the_race_refuses_what_it_does_not_cover() {
    let error = race::app(
        Impl::Floor,
        Store::Memory,
        &RedisOptions::from_env(),
        &Overlap::default(),
    )
    .await
    .unwrap_err();
    assert!(error.to_string().contains("floor over memory"), "{error}");
}
