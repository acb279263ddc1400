//! Resharding under load (#25): slots move between the primaries of a
//! 6-node Redis Cluster of this test's own (ports 7401-7406) while clients
//! write their sessions through the layer without pause. The store follows
//! `MOVED` and `ASK` on its own: every request is answered 2xx, or 503 fast
//! (within the layer's store limit), the app is never restarted, and no
//! acknowledged write is lost. The numbers are printed; run with
//! `--nocapture` to see them.

use std::{sync::Arc, time::Duration, time::Instant};

use sesh_redis::RedisStore;
use sesh_tests::{RedisCluster, WriteLoad, serve_writer};

const FIRST_PORT: u16 = 7401;
/// The layer's limit on each store call, and the store's own.
const STORE_LIMIT: Duration = Duration::from_secs(1);
/// How long a 503 may take: the limit plus a margin for a noisy machine.
const FAIL_WITHIN: Duration = Duration::from_millis(3500);
/// Enough sessions that some are in the slots each move takes (all but
/// certainly: none of 24 is in 4000 of 16384 slots once in a thousand runs).
const CLIENTS: usize = 24;
/// How many slots each move takes: most of a primary's 5461.
const SLOTS: usize = 4000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_slots_under_load_loses_no_acknowledged_write() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let cluster = match RedisCluster::start(FIRST_PORT) {
        Ok(cluster) => Arc::new(cluster),
        Err(e) => {
            let ports = format!("ports {FIRST_PORT}-{}", FIRST_PORT + 5);
            return sesh_store_tests::server_unreachable("redis cluster (own nodes)", &ports, &e);
        }
    };
    let store = RedisStore::connect_cluster(cluster.urls())
        .await
        .expect("connect")
        .with_timeout(STORE_LIMIT);
    let addr = serve_writer(store, STORE_LIMIT).await;
    let load = WriteLoad::start(addr, CLIENTS, Duration::from_millis(10));
    assert!(
        load.wait_all_acked_since(&[0; CLIENTS], Duration::from_secs(30))
            .await,
        "no start"
    );

    let primaries = cluster.primaries().expect("primaries");
    assert_eq!(primaries.len(), 3, "{primaries:?}");
    let sessions_on = |port| cluster.keys_on(port).expect("dbsize");
    let mut moved = 0;
    // The second move takes the slots the first brought, sessions and all.
    for (from, to) in [(0, 1), (1, 2)] {
        let (from, to) = (primaries[from].clone(), primaries[to].clone());
        let before = sessions_on(from.port);
        let started = Instant::now();
        let moving = cluster.clone();
        tokio::task::spawn_blocking(move || moving.reshard(&from.id, &to.id, SLOTS))
            .await
            .expect("reshard thread")
            .expect("reshard");
        let took = started.elapsed();
        cluster
            .wait_healthy(Duration::from_secs(30))
            .expect("healthy after the move");
        let after: Vec<_> = cluster
            .primaries()
            .expect("primaries")
            .iter()
            .map(|p| (p.port, p.slots))
            .collect();
        let sessions = before.saturating_sub(sessions_on(from.port));
        moved += sessions;
        println!(
            "moved {SLOTS} slots ({sessions} sessions) from {} to {} in {took:.1?} under load; \
             (port, slots) now {after:?}",
            from.port, to.port
        );
        // Every client writes again after the move, on the same app.
        let since = load.acked();
        if !load.wait_all_acked_since(&since, Duration::from_secs(30)).await {
            panic!(
                "some clients had no write acknowledged within 30 s: {}",
                load.stop().await
            );
        }
    }

    let report = load.stop().await;
    println!("resharding under load ({moved} sessions moved): {report}");
    assert!(moved > 0, "no session was in the slots moved");
    assert_eq!(report.other, 0, "answers neither 2xx nor 503: {report}");
    assert!(report.slowest_unavailable < FAIL_WITHIN, "a slow 503: {report}");
    assert_eq!(report.lost, 0, "acknowledged writes lost: {report}");
}
