//! The conformance suite and the per-user index checks against a real
//! 3-node Redis Cluster on 127.0.0.1:7301-7303.
//!
//! `scripts/redis-cluster.sh` starts the cluster once per test binary (or
//! reuses a healthy one, for example the one CI starts) and registers this
//! process as an owner; its watchdog stops the nodes once every owner has
//! exited, however it exited (a panic, an abort, Ctrl-C). Without
//! `redis-server` the suite is skipped with a notice, unless
//! `SESH_REQUIRE_SERVERS=1`.

use std::{path::PathBuf, process::Command, sync::OnceLock};

use sesh_redis::RedisStore;

const NODES: [&str; 3] = [
    "redis://127.0.0.1:7301",
    "redis://127.0.0.1:7302",
    "redis://127.0.0.1:7303",
];

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/redis-cluster.sh")
}

/// Starts (or joins) the cluster once per process; later calls return the
/// first outcome.
fn cluster() -> Result<&'static (), &'static std::io::Error> {
    static STARTED: OnceLock<Result<(), std::io::Error>> = OnceLock::new();
    STARTED
        .get_or_init(|| {
            let out = Command::new("bash")
                .arg(script())
                .args(["start", "--owner", &std::process::id().to_string()])
                .output()?;
            if out.status.success() {
                Ok(())
            } else {
                Err(std::io::Error::other(format!(
                    "redis-cluster.sh start failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )))
            }
        })
        .as_ref()
}

async fn store() -> Option<RedisStore> {
    let nodes = NODES.join(",");
    if let Err(e) = cluster() {
        sesh_store_tests::server_unreachable("redis cluster", &nodes, e);
        return None;
    }
    match RedisStore::connect_cluster(NODES).await {
        Ok(store) => Some(store.with_prefix("sesh-cluster-test:").expect("valid prefix")),
        Err(e) => {
            sesh_store_tests::server_unreachable("redis cluster", &nodes, &e);
            None
        }
    }
}

sesh_store_tests::conformance_suite!(server: store());

mod user_index {
    use super::store;

    sesh_store_tests::user_index_suite!(server: store());
}

/// Store keys really are spread over the nodes, so the suites above
/// exercised cross-slot work (a session and its user's index on different
/// nodes), not one node by luck.
#[tokio::test]
async fn sessions_spread_over_all_nodes() {
    use sesh_core::{Created, Expiry, Record, SessionId, SessionStore};
    let Some(store) = store().await else { return };
    let record = Record::new(std::time::SystemTime::now(), &Expiry::new());
    let mut keys = Vec::new();
    for _ in 0..30 {
        let key = SessionId::generate().key();
        assert_eq!(
            store.create(&key, &record).await.expect("create"),
            Created::Created
        );
        keys.push(key);
    }
    for port in [7301, 7302, 7303] {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).expect("url");
        let mut node = client.get_multiplexed_async_connection().await.expect("node");
        let held: usize = redis::cmd("DBSIZE").query_async(&mut node).await.expect("dbsize");
        assert!(held > 0, "node {port} holds no key");
    }
    for key in &keys {
        store.delete(key).await.expect("delete");
    }
}

mod inspect {
    use super::store;

    sesh_store_tests::inspect_suite!(server: store());
}
