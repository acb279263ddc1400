//! [`Inspect`] for Redis: `SCAN` with `MATCH` and `COUNT`, never `KEYS`;
//! on a cluster, one primary after the other, each by its own `SCAN`.
//!
//! The cursor is `s:<SCAN cursor>` on one server and
//! `c:<SCAN cursor>@<host>:<port>` on a cluster, naming the primary being
//! walked. A cluster's primaries come from `CLUSTER SLOTS` on every page,
//! in address order, so a scan goes on from the node it left even if
//! another page of the same scan is served by another process.

use async_trait::async_trait;
use futures_util::future::join_all;
use redis::{
    Value,
    cluster_routing::{RoutingInfo, SingleNodeRoutingInfo},
};
use sesh_core::{
    Error, ErrorKind, Inspect, RecordSummary, ScanCursor, ScanPage, SessionStore as _, StoreKey,
    foreign_cursor,
};

use crate::{RedisStore, conn::Conn};

/// Where a scan is: the `SCAN` cursor, and on a cluster the primary.
struct Position {
    cursor: u64,
    node: Option<(String, u16)>,
}

impl RedisStore {
    /// One `SCAN` on `node` (or the single server): the next cursor and
    /// the store keys it named.
    async fn scan_once(
        &self,
        node: Option<&(String, u16)>,
        cursor: u64,
        limit: usize,
    ) -> Result<(u64, Vec<StoreKey>), Error> {
        let mut command = redis::cmd("SCAN");
        command
            .arg(cursor)
            .arg("MATCH")
            .arg(session_pattern(self.prefix()))
            .arg("COUNT")
            .arg(limit);
        let reply: Value = match (self.conn(), node) {
            (Conn::Cluster(mut conn), Some((host, port))) => {
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
                    host: host.clone(),
                    port: *port,
                });
                self.run(conn.route_command(command, routing)).await?
            }
            (mut conn, _) => self.run(command.query_async(&mut conn)).await?,
        };
        let (next, names): (String, Vec<String>) = redis::from_redis_value(reply).map_err(Error::store)?;
        let next = next.parse().map_err(Error::store)?;
        let keys = names
            .iter()
            .filter_map(|name| StoreKey::from_hex(name.strip_prefix(self.prefix())?))
            .collect();
        Ok((next, keys))
    }

    /// A cluster's primaries, in address order.
    async fn primaries(&self) -> Result<Vec<(String, u16)>, Error> {
        let Conn::Cluster(mut conn) = self.conn() else {
            return Ok(Vec::new());
        };
        let slots: Value = self
            .run(conn.route_command(
                redis::cmd("CLUSTER").arg("SLOTS").clone(),
                RoutingInfo::SingleNode(SingleNodeRoutingInfo::Random),
            ))
            .await?;
        // Each range: start, end, then the primary as [host, port, id, ...].
        let ranges: Vec<Vec<Value>> = redis::from_redis_value(slots).map_err(Error::store)?;
        let mut nodes = Vec::new();
        for range in ranges {
            if let Some(Value::Array(primary)) = range.into_iter().nth(2) {
                let (host, port): (String, u16) =
                    redis::from_redis_value(Value::Array(primary.into_iter().take(2).collect()))
                        .map_err(Error::store)?;
                nodes.push((host, port));
            }
        }
        nodes.sort();
        nodes.dedup();
        Ok(nodes)
    }

    fn parse_cursor(&self, cursor: &ScanCursor) -> Result<Position, Error> {
        let token = cursor.as_str();
        let parsed = match (self.is_cluster(), token.split_once(':')) {
            (false, Some(("s", n))) => n.parse().ok().map(|cursor| Position { cursor, node: None }),
            (true, Some(("c", rest))) => rest.split_once('@').and_then(|(n, addr)| {
                let (host, port) = addr.rsplit_once(':')?;
                Some(Position {
                    cursor: n.parse().ok()?,
                    node: Some((host.to_owned(), port.parse().ok()?)),
                })
            }),
            _ => None,
        };
        parsed.ok_or_else(|| foreign_cursor(cursor))
    }

    /// The summaries of `keys`' live records, loaded at once (one round
    /// trip on a multiplexed connection), and the keys that do not decode.
    async fn summaries(
        &self,
        keys: &[StoreKey],
    ) -> Result<(Vec<(StoreKey, RecordSummary)>, Vec<StoreKey>), Error> {
        let loads = join_all(keys.iter().map(|key| self.load(key))).await;
        let (mut sessions, mut undecodable) = (Vec::with_capacity(keys.len()), Vec::new());
        for (key, loaded) in keys.iter().zip(loads) {
            match loaded {
                Ok(Some(record)) => sessions.push((*key, RecordSummary::of(&record))),
                Ok(None) => {}
                Err(e) if e.kind() == ErrorKind::Decode => undecodable.push(*key),
                Err(e) => return Err(e),
            }
        }
        Ok((sessions, undecodable))
    }
}

/// `SCAN`'s `MATCH` pattern for the session keys under `prefix`: the
/// prefix (its glob characters escaped) and 64 hex digits, so user indexes
/// and other applications' keys are filtered out by Redis.
fn session_pattern(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 64 * 8);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    for _ in 0..64 {
        pattern.push_str("[0-9a-f]");
    }
    pattern
}

#[async_trait]
impl Inspect for RedisStore {
    /// One `SCAN ... MATCH <prefix><64 hex digits> COUNT limit` (on a
    /// cluster, on one primary), then an `HGETALL` of each key it named,
    /// all sent at once. `COUNT` is a hint: a page may hold somewhat more
    /// than `limit` sessions, or none while the scan goes on.
    async fn scan(&self, cursor: Option<&ScanCursor>, limit: usize) -> Result<ScanPage, Error> {
        let limit = limit.max(1);
        let position = cursor.map(|c| self.parse_cursor(c)).transpose()?;
        let nodes = self.primaries().await?;
        let position = match position {
            Some(position) => position,
            None => Position {
                cursor: 0,
                node: nodes.first().cloned(),
            },
        };
        if self.is_cluster() && position.node.is_none() {
            return Err(Error::msg(
                ErrorKind::Store,
                "the cluster answered CLUSTER SLOTS with no primary",
            ));
        }
        let (next, keys) = self
            .scan_once(position.node.as_ref(), position.cursor, limit)
            .await?;
        let next = match (next, &position.node) {
            (0, None) => None,
            (n, None) => Some(ScanCursor::new(format!("s:{n}"))),
            (0, Some(node)) => {
                let at = nodes.iter().position(|n| n == node).ok_or_else(|| {
                    Error::msg(
                        ErrorKind::Store,
                        "the cluster's primaries changed during the scan: start it again",
                    )
                })?;
                nodes
                    .get(at + 1)
                    .map(|(host, port)| ScanCursor::new(format!("c:0@{host}:{port}")))
            }
            (n, Some((host, port))) => Some(ScanCursor::new(format!("c:{n}@{host}:{port}"))),
        };
        let (sessions, undecodable) = self.summaries(&keys).await?;
        Ok(ScanPage::new(sessions, next).with_undecodable(undecodable))
    }

    /// `None`: Redis counts keys (`DBSIZE`), the user indexes and other
    /// applications' keys among them, not sessions.
    async fn count(&self) -> Result<Option<u64>, Error> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_the_prefix_and_match_only_hex_keys() {
        let pattern = session_pattern("app*[1]?\\:");
        assert!(pattern.starts_with("app\\*\\[1\\]\\?\\\\:[0-9a-f]"));
        assert_eq!(pattern.matches("[0-9a-f]").count(), 64);
    }
}
