//! Failover under load (#25): a primary of a 6-node Redis Cluster of this
//! test's own (ports 7411-7416, `cluster-node-timeout` 1 s) is killed while
//! clients write their sessions through the layer. Requests on its slots
//! fail fast (503 within the store limit) while its replica is promoted,
//! then succeed again on the same app. Redis replicates asynchronously, so
//! the promoted replica may lack the last acknowledged writes: here it lags
//! 400 ms behind (frozen, its link cut) when its primary dies. With
//! `RedisStore::with_replica_ack` none of the acknowledged writes may be lost. Both runs happen on the
//! one cluster, one after the other (a new node, 7417 then 7418, replaces
//! each killed one as a replica), and their numbers are printed side by
//! side; run with `--nocapture` to see them.

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
/// Enough sessions that some are on the killed primary (all but certainly:
/// none of 24 is on one of three primaries once in 10,000 runs).
const CLIENTS: usize = 24;
/// How far the killed primary's replica lags behind when it dies.
const LAG: Duration = Duration::from_millis(400);

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

    let (without, promoted_without) =
        kill_a_primary_under_load(&mut cluster, plain, FIRST_PORT + 6, false).await;
    let (with, promoted_with) = kill_a_primary_under_load(&mut cluster, acked, FIRST_PORT + 7, true).await;

    println!(
        "failover without replica ack: replica promoted {promoted_without:.2?} after the kill; {without}"
    );
    println!(
        "failover with replica ack ({ACK_WITHIN:?}): replica promoted {promoted_with:.2?} after the kill; {with}"
    );
    println!(
        "acknowledged writes lost: {} without replica ack, {} with",
        without.lost, with.lost
    );
    for report in [&without, &with] {
        assert_eq!(report.other, 0, "answers neither 2xx nor 503: {report}");
        assert!(
            report.unavailable > 0,
            "no request met the dead primary: {report}"
        );
        assert!(report.slowest_unavailable < FAIL_WITHIN, "a slow 503: {report}");
    }
    assert_eq!(
        with.lost, 0,
        "acknowledged writes lost despite the replica ack: {with}"
    );
}

/// Kills a primary while clients write through the app at `addr`, waits
/// until its replica serves its slots and every client has written again,
/// and adds a new node on `spare` as the promoted replica's own replica,
/// so that the cluster is whole for what follows. Returns what the clients
/// saw and how long after the kill the cluster served every slot again.
///
/// With `replica_needed` (the app's store asks for a replica's ack) the new
/// replica is added *before* the clients are expected to write again: the
/// promoted replica has none of its own until then, so every write to its
/// slots is refused (503), as it should be.
async fn kill_a_primary_under_load(
    cluster: &mut RedisCluster,
    addr: SocketAddr,
    spare: u16,
    replica_needed: bool,
) -> (LoadReport, Duration) {
    let load = WriteLoad::start(addr, CLIENTS, Duration::from_millis(10));
    assert!(
        load.wait_all_acked_since(&[0; CLIENTS], Duration::from_secs(30))
            .await,
        "no start"
    );
    // Some writes in flight everywhere before the kill.
    assert!(
        load.wait_all_acked_since(&load.acked(), Duration::from_secs(30))
            .await,
        "no load"
    );

    let victim = cluster.primaries().expect("primaries")[0].clone();
    let replica = cluster
        .nodes()
        .expect("nodes")
        .into_iter()
        .find(|n| !n.failed && n.replica_of.as_deref() == Some(victim.id.as_str()))
        .expect("the victim's replica")
        .port;
    // The replica falls behind (frozen, under the node timeout, its link
    // cut so that not even its socket's buffer gets the primary's writes)
    // and the primary dies with writes it acknowledged that the replica
    // never got.
    cluster.freeze(replica);
    cluster
        .cut_replication(victim.port)
        .expect("cut the replication link");
    tokio::time::sleep(LAG).await;
    cluster.kill(victim.port);
    cluster.thaw(replica);
    let killed = Instant::now();
    tokio::task::block_in_place(|| cluster.wait_serving(Duration::from_secs(30))).expect("failover");
    let promoted = killed.elapsed();
    if replica_needed {
        replace(cluster, spare);
    }
    // Every client writes again, on the same app.
    let since = load.acked();
    let recovered = load.wait_all_acked_since(&since, Duration::from_secs(30)).await;
    let after = load.acked();
    let report = load.stop().await;
    assert!(
        recovered,
        "some clients had no write acknowledged within 30 s of the failover (acknowledged per client: \
         {since:?}, then {after:?}): {report}"
    );

    if !replica_needed {
        replace(cluster, spare);
    }
    (report, promoted)
}

/// Adds a new node on `port` as the replica of the primary that has none,
/// and waits until the cluster is whole: every primary with a replica in sync.
fn replace(cluster: &mut RedisCluster, port: u16) {
    tokio::task::block_in_place(|| {
        cluster.add_replica(port).expect("add a replica");
        cluster.wait_healthy(Duration::from_secs(60))
    })
    .expect("whole again");
}
