//! A cluster node as `redis-cli` sees it, and the `redis-cli` calls the
//! cluster of [`RedisCluster`](crate::RedisCluster) is driven by.

use std::{
    io,
    process::{Command, Stdio},
    time::Duration,
};

use crate::redis_server::wait_until;

/// One node as `CLUSTER NODES` reports it.
#[derive(Clone, Debug)]
pub struct ClusterNode {
    /// The node's ID, as `redis-cli --cluster reshard` takes it.
    pub id: String,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Whether it is a primary.
    pub primary: bool,
    /// Whether the cluster considers it failed (`fail` or `fail?`).
    pub failed: bool,
    /// The primary it replicates, for a replica.
    pub replica_of: Option<String>,
    /// How many slots it serves.
    pub slots: usize,
}

/// One line of `CLUSTER NODES`: `<id> <ip:port@cport> <flags> <primary>
/// <ping> <pong> <epoch> <link> <slot ranges...>`.
pub(crate) fn parse_node(line: &str) -> Option<ClusterNode> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let port = fields
        .get(1)?
        .split(['@', ','])
        .next()?
        .rsplit(':')
        .next()?
        .parse()
        .ok()?;
    let flags = fields.get(2)?;
    let slots = fields
        .iter()
        .skip(8)
        .filter(|range| !range.starts_with('['))
        .map(|range| match range.split_once('-') {
            Some((a, b)) => b.parse::<usize>().unwrap_or(0) + 1 - a.parse::<usize>().unwrap_or(0),
            None => 1,
        })
        .sum();
    Some(ClusterNode {
        id: (*fields.first()?).to_owned(),
        port,
        primary: flags.contains("master"),
        failed: flags.contains("fail"),
        replica_of: Some(*fields.get(3)?).filter(|p| *p != "-").map(str::to_owned),
        slots,
    })
}

/// `redis-cli -p <port> <args>`: its output, trimmed.
pub(crate) fn cli(port: u16, args: &[&str]) -> io::Result<String> {
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if out.status.success() && !text.starts_with("Could not connect") {
        Ok(text)
    } else {
        Err(io::Error::other(format!("node {port} does not answer")))
    }
}

/// Shuts down a server left on `port` by an earlier, killed run.
pub(crate) fn shut_down_stale(port: u16) {
    if cli(port, &["ping"]).is_ok_and(|r| r == "PONG") {
        eprintln!("shutting down a stale redis-server on port {port}");
        let _ = cli(port, &["shutdown", "nosave"]);
        wait_until(Duration::from_secs(5), || cli(port, &["ping"]).is_err());
    }
}
