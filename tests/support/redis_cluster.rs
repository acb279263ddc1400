//! A throwaway 6-node Redis Cluster of a test's own (3 primaries, each
//! with one replica, `cluster-node-timeout` 1000 ms) on six consecutive
//! loopback ports, for tests that kill primaries and move slots. Every node
//! is a child of the test, killed by PID on drop (also when it panics); the
//! nodes' files live in a temporary directory removed then.

use std::{
    fs, io,
    path::PathBuf,
    process::{Child, Command, Stdio},
    thread::sleep,
    time::{Duration, Instant},
};

use crate::{
    cluster_node::{ClusterNode, cli, parse_node, shut_down_stale},
    redis_server::wait_until,
};

/// How long a primary may be unreachable before the cluster fails it over.
pub const NODE_TIMEOUT: Duration = Duration::from_millis(1000);

/// A running 6-node cluster this process started.
#[derive(Debug)]
pub struct RedisCluster {
    dir: PathBuf,
    ports: Vec<u16>,
    /// Each node's server, by the index of its port; `None` once killed.
    children: Vec<Option<Child>>,
}

impl RedisCluster {
    /// Starts six nodes on `first_port`..`first_port + 5`, joins them
    /// into a cluster with one replica per primary and waits until every
    /// node agrees on the slots and every replica is in sync. Servers left
    /// on these ports by an earlier, killed run are shut down first.
    ///
    /// # Errors
    /// When `redis-server` or `redis-cli` cannot be run, or the cluster is
    /// not healthy within 60 s.
    pub fn start(first_port: u16) -> io::Result<Self> {
        let key = sesh_core::SessionId::generate().key().to_hex();
        let dir = std::env::temp_dir().join(format!("sesh-cluster-{first_port}-{}", &key[..8]));
        fs::create_dir_all(&dir)?;
        let ports: Vec<u16> = (first_port..first_port + 6).collect();
        let mut cluster = Self {
            dir,
            children: ports.iter().map(|_| None).collect(),
            ports,
        };
        for index in 0..cluster.ports.len() {
            shut_down_stale(cluster.ports[index]);
            cluster.spawn(index)?;
        }
        let nodes: Vec<String> = cluster.ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let out = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&nodes)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "redis-cli --cluster create failed: {}",
                String::from_utf8_lossy(&out.stdout)
            )));
        }
        cluster.wait_healthy(Duration::from_secs(60))?;
        Ok(cluster)
    }

    /// Starts the node at `index`.
    fn spawn(&mut self, index: usize) -> io::Result<()> {
        let port = self.ports[index];
        let log = fs::File::create(self.dir.join(format!("{port}.log")))?;
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--cluster-enabled", "yes"])
            .args(["--cluster-config-file", &format!("nodes-{port}.conf")])
            .args(["--cluster-node-timeout", &NODE_TIMEOUT.as_millis().to_string()])
            // A replica whose link went quiet still takes over: the point
            // of these tests is what happens when one does.
            .args(["--cluster-replica-validity-factor", "0"])
            .args(["--save", "", "--appendonly", "no"])
            // A replica's full sync lands in its RDB file: one per node, or
            // a node started later would load another's keys.
            .args(["--dbfilename", &format!("dump-{port}.rdb")])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()?;
        self.children[index] = Some(child);
        if wait_until(Duration::from_secs(10), || {
            cli(port, &["ping"]).is_ok_and(|r| r == "PONG")
        }) {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "redis-server on port {port} did not answer"
            )))
        }
    }

    /// `redis://127.0.0.1:<port>` of every node.
    pub fn urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect()
    }

    /// The nodes as a live node sees them.
    ///
    /// # Errors
    /// When no node answers.
    pub fn nodes(&self) -> io::Result<Vec<ClusterNode>> {
        let mut last = io::Error::other("no node is running");
        for port in self.live_ports() {
            match cli(port, &["cluster", "nodes"]) {
                Ok(text) => return Ok(text.lines().filter_map(parse_node).collect()),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The primaries serving slots, by port.
    ///
    /// # Errors
    /// When no node answers.
    pub fn primaries(&self) -> io::Result<Vec<ClusterNode>> {
        let mut primaries: Vec<_> = self
            .nodes()?
            .into_iter()
            .filter(|n| n.primary && !n.failed && n.slots > 0)
            .collect();
        primaries.sort_by_key(|n| n.port);
        Ok(primaries)
    }

    /// How many keys the node on `port` holds (`DBSIZE`).
    ///
    /// # Errors
    /// When the node does not answer.
    pub fn keys_on(&self, port: u16) -> io::Result<usize> {
        cli(port, &["dbsize"])?
            .parse()
            .map_err(|e| io::Error::other(format!("DBSIZE of {port}: {e}")))
    }

    /// Freezes the node on `port` (SIGSTOP): a replica stops taking its
    /// primary's writes, as one lagging behind would.
    ///
    /// # Panics
    /// When `port` is not one of this cluster's running nodes.
    pub fn freeze(&self, port: u16) {
        self.signal(port, "-STOP");
    }

    /// Lets a frozen node run again (SIGCONT).
    ///
    /// # Panics
    /// As [`freeze`](Self::freeze).
    pub fn thaw(&self, port: u16) {
        self.signal(port, "-CONT");
    }

    /// Closes the primary on `port`'s connections to its replicas
    /// (`CLIENT KILL TYPE replica`): until they reconnect, it acknowledges
    /// writes they never see. With the replicas frozen, they cannot.
    ///
    /// # Errors
    /// When the node does not answer.
    pub fn cut_replication(&self, port: u16) -> io::Result<()> {
        cli(port, &["client", "kill", "type", "replica"]).map(drop)
    }

    fn signal(&self, port: u16, signal: &str) {
        let child = self.children[self.index(port)].as_ref();
        let pid = child.unwrap_or_else(|| panic!("node {port} is not running")).id();
        let status = Command::new("kill").args([signal, &pid.to_string()]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill {signal} {pid} failed");
    }

    /// Kills the node on `port` (SIGKILL, as a crash would) and waits for it to be gone.
    ///
    /// # Panics
    /// When `port` is not one of this cluster's.
    pub fn kill(&mut self, port: u16) {
        let index = self.index(port);
        if let Some(mut child) = self.children[index].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a new, empty node on `port` and adds it to the cluster as
    /// the replica of a primary that has none (the replica promoted in a
    /// killed primary's place), as an operator replaces a dead node.
    ///
    /// A killed node is never started again instead: without persistence
    /// it comes back empty yet, until gossip tells it otherwise, sure it
    /// still owns its slots, and a client whose slot map is not refreshed
    /// yet reads its sessions there as missing.
    ///
    /// # Errors
    /// When no primary lacks a replica, or the node does not start or join.
    pub fn add_replica(&mut self, port: u16) -> io::Result<()> {
        let nodes = self.nodes()?;
        let orphan = nodes
            .iter()
            .filter(|n| n.primary && !n.failed && n.slots > 0)
            .find(|p| {
                !nodes
                    .iter()
                    .any(|n| !n.failed && n.replica_of.as_deref() == Some(p.id.as_str()))
            })
            .ok_or_else(|| io::Error::other("every primary has a replica"))?
            .clone();
        shut_down_stale(port);
        self.ports.push(port);
        self.children.push(None);
        self.spawn(self.ports.len() - 1)?;
        let out = Command::new("redis-cli")
            .args(["--cluster", "add-node", &format!("127.0.0.1:{port}")])
            .arg(format!("127.0.0.1:{}", orphan.port))
            .args(["--cluster-slave", "--cluster-master-id", &orphan.id])
            .stdin(Stdio::null())
            .output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "redis-cli --cluster add-node failed: {}",
                String::from_utf8_lossy(&out.stdout)
            )))
        }
    }

    /// Moves `slots` slots from the primary `from` to the primary `to` (node
    /// IDs) with `redis-cli --cluster reshard`, keys and all; blocks until done.
    ///
    /// # Errors
    /// When `redis-cli` fails; the error holds its output.
    pub fn reshard(&self, from: &str, to: &str, slots: usize) -> io::Result<()> {
        let entry = format!("127.0.0.1:{}", self.live_ports()[0]);
        let out = Command::new("redis-cli")
            .args(["--cluster", "reshard", &entry])
            .args(["--cluster-from", from, "--cluster-to", to])
            .args(["--cluster-slots", &slots.to_string(), "--cluster-yes"])
            .stdin(Stdio::null())
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        if out.status.success() && !text.contains("[ERR]") {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "redis-cli --cluster reshard failed: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )))
        }
    }

    /// Polls until every running node reports `cluster_state:ok`, all of
    /// them agree on who serves all 16384 slots, and every primary
    /// serving slots has a replica whose link is up.
    ///
    /// # Errors
    /// When that does not happen within `limit`; the error says what was
    /// still missing.
    pub fn wait_healthy(&self, limit: Duration) -> io::Result<()> {
        self.wait(limit, true)
    }

    /// Polls until every running node reports `cluster_state:ok` and all
    /// of them agree on who serves all 16384 slots: after a primary is
    /// killed, its replica has taken over.
    ///
    /// # Errors
    /// When that does not happen within `limit`.
    pub fn wait_serving(&self, limit: Duration) -> io::Result<()> {
        self.wait(limit, false)
    }

    fn wait(&self, limit: Duration, replicas_too: bool) -> io::Result<()> {
        let started = Instant::now();
        loop {
            let missing = match self.unhealthy(replicas_too) {
                Ok(None) => return Ok(()),
                Ok(Some(missing)) => missing,
                Err(e) => e.to_string(),
            };
            if started.elapsed() > limit {
                return Err(io::Error::other(format!(
                    "the cluster is not healthy after {limit:?}: {missing} (logs in {})",
                    self.dir.display()
                )));
            }
            sleep(Duration::from_millis(100));
        }
    }

    /// What keeps the cluster from being healthy, if anything.
    fn unhealthy(&self, replicas_too: bool) -> io::Result<Option<String>> {
        for port in self.live_ports() {
            if !cli(port, &["cluster", "info"])?.contains("cluster_state:ok") {
                return Ok(Some(format!("node {port} is not in cluster_state:ok")));
            }
        }
        let views: Vec<Vec<(u16, usize)>> = self
            .live_ports()
            .into_iter()
            .map(|port| {
                let text = cli(port, &["cluster", "nodes"])?;
                let mut owners: Vec<(u16, usize)> = text
                    .lines()
                    .filter_map(parse_node)
                    .filter(|n| n.slots > 0)
                    .map(|n| (n.port, n.slots))
                    .collect();
                owners.sort_unstable();
                Ok(owners)
            })
            .collect::<io::Result<_>>()?;
        let live = self.live_ports();
        if let Some((dead, _)) = views.iter().flatten().find(|(port, _)| !live.contains(port)) {
            return Ok(Some(format!("the killed node on {dead} still serves slots")));
        }
        if views.windows(2).any(|w| w[0] != w[1]) {
            return Ok(Some("the nodes disagree about the slots".to_owned()));
        }
        if views
            .first()
            .is_none_or(|v| v.iter().map(|o| o.1).sum::<usize>() != 16384)
        {
            return Ok(Some("not every slot is served".to_owned()));
        }
        if !replicas_too {
            return Ok(None);
        }
        let nodes = self.nodes()?;
        for primary in nodes.iter().filter(|n| n.primary && !n.failed && n.slots > 0) {
            let linked = nodes
                .iter()
                .filter(|n| n.replica_of.as_deref() == Some(primary.id.as_str()) && !n.failed)
                .any(|n| {
                    cli(n.port, &["info", "replication"]).is_ok_and(|i| i.contains("master_link_status:up"))
                });
            if !linked {
                return Ok(Some(format!(
                    "the primary on {} has no replica in sync",
                    primary.port
                )));
            }
        }
        Ok(None)
    }

    fn live_ports(&self) -> Vec<u16> {
        self.ports
            .iter()
            .zip(&self.children)
            .filter(|(_, child)| child.is_some())
            .map(|(port, _)| *port)
            .collect()
    }

    fn index(&self, port: u16) -> usize {
        self.ports
            .iter()
            .position(|p| *p == port)
            .unwrap_or_else(|| panic!("port {port} is not one of this cluster's {:?}", self.ports))
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        // SIGKILL also ends a frozen (SIGSTOPped) node.
        for child in self.children.iter_mut().filter_map(Option::take) {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}
