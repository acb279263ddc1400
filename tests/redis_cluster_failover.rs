//! Failover under load (#25): a primary of a 6-node Redis Cluster of this
//! test's own (ports 7411-7416, `cluster-node-timeout` 1 s) is killed while
//! clients write their sessions through the layer. Requests on its slots
//! fail fast (503 within the store limit) while its replica is promoted,
//! then succeed again on the same app. Redis replicates asynchronously, so
//! the promoted replica may lack the last acknowledged writes; with
//! `RedisStore::with_replica_ack` none may be lost. Both runs happen on the
//! one cluster, one after the other (the killed node rejoins as a replica
//! in between), and their numbers are printed side by side; run with
//! `--nocapture` to see them.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use sesh_redis::RedisStore;
use sesh_tests::{LoadReport, RedisCluster, WriteLoad, serve_writer};

const FIRST_PORT: u16 = 7411;
/// The layer's limit on each store call, and the store's own.
const STORE_LIMIT: Duration = Duration::from_secs(1);
/// How long a 503 may take: the limit plus a margin for a noisy machine.
const FAIL_WITHIN: Duration = Duration::from_millis(3500);
/// How long a write waits for its replica with `with_replica_ack`.
const ACK_WITHIN: Duration = Duration::from_millis(250);
const CLIENTS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_primary_fails_requests_fast_and_loses_no_write_with_replica_ack() {
    let mut cluster = match RedisCluster::start(FIRST_PORT) {
        Ok(cluster) => cluster,
        Err(e) => {
            let ports = format!("ports {FIRST_PORT}-{}", FIRST_PORT + 5);
            return sesh_store_tests::server_unreachable("redis cluster (own nodes)", &ports, &e);
        }
    };
    let connect = || async {
        RedisStore::connect_cluster(cluster.urls())
            .await
            .expect("connect")
            .with_timeout(STORE_LIMIT)
    };
    let plain = serve_writer(connect().await, STORE_LIMIT).await;
    let acked = serve_writer(connect().await.with_replica_ack(1, ACK_WITHIN), STORE_LIMIT).await;

    let (without, promoted_without) = kill_a_primary_under_load(&mut cluster, plain).await;
    let (with, promoted_with) = kill_a_primary_under_load(&mut cluster, acked).await;

    println!("failover without replica ack: replica promoted {promoted_without:.2?} after the kill; {without}");
    println!("failover with replica ack ({ACK_WITHIN:?}): replica promoted {promoted_with:.2?} after the kill; {with}");
    println!(
        "acknowledged writes lost: {} without replica ack, {} with",
        without.lost, with.lost
    );
    for report in [&without, &with] {
        assert_eq!(report.other, 0, "answers neither 2xx nor 503: {report}");
        assert!(report.unavailable > 0, "no request met the dead primary: {report}");
        assert!(report.slowest_unavailable < FAIL_WITHIN, "a slow 503: {report}");
    }
    assert_eq!(with.lost, 0, "acknowledged writes lost despite the replica ack: {with}");
}

/// Kills a primary while clients write through the app at `addr`, waits
/// until its replica serves its slots and every client has written again,
/// then starts the node again (it rejoins as a replica) and waits until the
/// cluster is whole. Returns what the clients saw and how long after the
/// kill the cluster served every slot again.
async fn kill_a_primary_under_load(cluster: &mut RedisCluster, addr: SocketAddr) -> (LoadReport, Duration) {
    let load = WriteLoad::start(addr, CLIENTS, Duration::from_millis(5));
    load.wait_all_acked_since(&[0; CLIENTS], Duration::from_secs(30)).await;
    // Some writes in flight everywhere before the kill.
    load.wait_all_acked_since(&load.acked(), Duration::from_secs(30)).await;

    let victim = cluster.primaries().expect("primaries")[0].port;
    cluster.kill(victim);
    let killed = Instant::now();
    tokio::task::block_in_place(|| cluster.wait_serving(Duration::from_secs(30))).expect("failover");
    let promoted = killed.elapsed();
    // Every client writes again, on the same app.
    load.wait_all_acked_since(&load.acked(), Duration::from_secs(30)).await;
    let report = load.stop().await;

    cluster.restart(victim).expect("restart the killed node");
    tokio::task::block_in_place(|| cluster.wait_healthy(Duration::from_secs(60))).expect("whole again");
    (report, promoted)
}
