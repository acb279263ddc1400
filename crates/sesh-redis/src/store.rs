use std::{fmt, future::Future, time::Duration, time::SystemTime};

use async_trait::async_trait;
use sesh_core::{
    Applied, Changes, Created, Error, ErrorKind, Record, Saved, SessionStore, StoreKey, UserIndex,
    apply_by_compare_and_swap, unix_millis,
};

use crate::{codec, conn::Conn, prefix, scripts};

/// The key prefix used unless [`RedisStore::with_prefix`] sets another.
pub const DEFAULT_PREFIX: &str = "sesh:";

/// How long one operation may take unless [`RedisStore::with_timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Sessions in Redis or Redis Cluster, one hash each, expired by
/// Redis itself.
///
/// Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct RedisStore {
    conn: Conn,
    prefix: String,
    timeout: Duration,
    replica_ack: Option<ReplicaAck>,
}

/// How many replicas must hold each write before it counts as done
/// ([`RedisStore::with_replica_ack`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReplicaAck {
    /// `WAIT`'s first argument.
    pub(crate) replicas: usize,
    /// `WAIT`'s second argument, in milliseconds (at least 1: 0 would
    /// wait forever).
    pub(crate) timeout_ms: u64,
}

impl RedisStore {
    pub(crate) fn from_conn(conn: Conn) -> Self {
        Self {
            conn,
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            replica_ack: None,
        }
    }

    /// Keys become `prefix` followed by 64 hex digits.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] if `prefix` is empty, longer than 64 bytes or
    /// contains whitespace or control characters.
    pub fn with_prefix(mut self, prefix: &str) -> Result<Self, Error> {
        prefix::validate(prefix)?;
        prefix.clone_into(&mut self.prefix);
        Ok(self)
    }

    /// Each operation fails with [`ErrorKind::Timeout`] after `timeout`.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Makes every write wait until `replicas` replicas of the node that
    /// took it hold it too, for at most `timeout`; a write that fewer
    /// replicas acknowledged in time fails with [`ErrorKind::Store`], so the
    /// layer answers 503 instead of telling the client it was saved. Off by
    /// default.
    ///
    /// Redis replicates asynchronously: when a primary dies, the replica
    /// promoted in its place may lack the last writes the primary
    /// acknowledged, and those sessions silently lose them. With this on,
    /// a write is only acknowledged once it is on `replicas` replicas, so
    /// a failover loses none of the acknowledged ones (unless every one of
    /// those replicas dies too).
    ///
    /// Cost: each write (create, save, apply, touch, delete and the user
    /// index's additions) is sent together with a `WAIT replicas timeout`
    /// in one pipeline to the same node, so no extra connection, but one
    /// more round trip from that node to its replicas before the answer.
    /// Reads send no `WAIT`, but `WAIT` blocks the connection it is sent
    /// on, and the store shares one multiplexed connection per node: while
    /// a node's replicas are slow or gone, every command to that node,
    /// reads included, queues for up to `timeout`. Keep `timeout` well
    /// under [`with_timeout`](Self::with_timeout) (and the layer's
    /// `store_timeout`) so that such a write fails with its own message,
    /// not a timeout. If a primary has fewer replicas than `replicas` (one
    /// just promoted in a dead primary's place has none until one is
    /// attached), every write to its slots fails: ask for no more than
    /// each primary keeps.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), sesh_core::Error> {
    /// use std::time::Duration;
    ///
    /// let store = sesh_redis::RedisStore::connect_cluster(["redis://10.0.0.1:6379"])
    ///     .await?
    ///     .with_replica_ack(1, Duration::from_millis(100));
    /// // then `sesh::SessionLayer::new(store)` as with any store
    /// # let _ = store; Ok(()) }
    /// ```
    #[must_use]
    pub fn with_replica_ack(mut self, replicas: usize, timeout: Duration) -> Self {
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX).max(1);
        self.replica_ack = Some(ReplicaAck { replicas, timeout_ms });
        self
    }

    /// What [`with_replica_ack`](Self::with_replica_ack) asked for, if anything.
    pub(crate) fn replica_ack(&self) -> Option<ReplicaAck> {
        self.replica_ack
    }

    /// The Redis key of a session.
    pub(crate) fn redis_key(&self, key: &StoreKey) -> String {
        key_name(&self.prefix, key)
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Whether this store is on a Redis Cluster.
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self.conn, Conn::Cluster(_))
    }

    /// A handle for one operation; clones share the connection.
    pub(crate) fn conn(&self) -> Conn {
        self.conn.clone()
    }

    /// `HGETALL` of a session's key: one plain command, the cheapest read
    /// Redis has for a hash. A key holding another type was not written by
    /// this store: [`ErrorKind::Decode`], which the layer treats as no session.
    async fn fetch(&self, redis_key: &str) -> Result<redis::Value, Error> {
        let mut conn = self.conn();
        let reply = self
            .run(async move {
                let reply = redis::cmd("HGETALL").arg(redis_key).query_async(&mut conn).await;
                match reply {
                    Err(e) if e.code() == Some("WRONGTYPE") => Ok(None),
                    other => other.map(Some),
                }
            })
            .await?;
        reply.ok_or_else(|| Error::msg(ErrorKind::Decode, "stored session is not a hash"))
    }

    /// Runs one Redis exchange under the store's timeout.
    pub(crate) async fn run<T>(&self, op: impl Future<Output = redis::RedisResult<T>>) -> Result<T, Error> {
        within(self.timeout, op).await
    }
}

/// `prefix` followed by the 64 hex digits of `key`, in one allocation:
/// every store call names its key.
fn key_name(prefix: &str, key: &StoreKey) -> String {
    let mut name = String::with_capacity(prefix.len() + 64);
    name.push_str(prefix);
    key.write_hex(&mut name);
    name
}

pub(crate) async fn within<T>(
    limit: Duration,
    op: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, Error> {
    tokio::time::timeout(limit, op).await?.map_err(Error::store)
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("replica_ack", &self.replica_ack)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl SessionStore for RedisStore {
    /// One `HGETALL`. Every script that sets a session's TTL writes the
    /// same deadline into its header, so the header's idle deadline is the
    /// key's TTL and Redis need not be asked for it.
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        let Some(record) = codec::decode(self.fetch(&self.redis_key(key)).await?)? else {
            return Ok(None);
        };
        // Redis expires at the millisecond; this guards against clock skew
        // between this host and the server.
        Ok((!record.is_expired(SystemTime::now())).then_some(record))
    }

    async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
        let fields = codec::fields(record)?;
        if let Some(user) = &record.user {
            self.index(key, user, record.absolute_deadline).await?;
        }
        let created: i64 = self
            .write(
                scripts::CREATE
                    .key(self.redis_key(key))
                    .arg(codec::ttl_deadline(record))
                    .arg(fields),
            )
            .await?;
        Ok(if created == 1 {
            Created::Created
        } else {
            Created::Collision
        })
    }

    async fn save(&self, key: &StoreKey, record: &Record, expected_version: u64) -> Result<Saved, Error> {
        let fields = codec::fields(record)?;
        let mut unindexed = record.user.as_deref();
        loop {
            let outcome: i64 = self
                .write(
                    scripts::SAVE
                        .key(self.redis_key(key))
                        .arg(expected_version.to_string())
                        .arg(codec::ttl_deadline(record))
                        .arg(unindexed.unwrap_or_default())
                        .arg(unix_millis(record.absolute_deadline))
                        .arg(&fields),
                )
                .await?;
            match (outcome, unindexed) {
                (1, _) => return Ok(Saved::Saved),
                (2, Some(user)) => {
                    // The record binds a user the key may not be indexed
                    // under yet: index first, then write (once more).
                    self.index(key, user, record.absolute_deadline).await?;
                    unindexed = None;
                }
                _ => return Ok(Saved::Conflict),
            }
        }
    }

    async fn apply(&self, key: &StoreKey, merged: &Record, changes: &Changes) -> Result<Applied, Error> {
        if !changes.is_plain() {
            // Read-modify-writes run in this process, not in a script.
            return apply_by_compare_and_swap(self, key, merged, changes).await;
        }
        if let Some(Some(user)) = &changes.user {
            self.index(key, user, merged.absolute_deadline).await?;
        }
        let applied: i64 = self
            .write(
                scripts::APPLY
                    .key(self.redis_key(key))
                    .arg(codec::apply_args(changes)?),
            )
            .await?;
        Ok(if applied == 1 {
            Applied::Applied
        } else {
            Applied::Gone
        })
    }

    async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
        let _: i64 = self
            .write(
                scripts::TOUCH
                    .key(self.redis_key(key))
                    .arg(codec::deadline_millis(expires_at)),
            )
            .await?;
        Ok(())
    }

    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        let user: Option<String> = self.write(&scripts::DELETE.key(self.redis_key(key))).await?;
        if let Some(user) = user {
            self.forget(&user, &[*key]).await;
        }
        Ok(())
    }

    fn user_index(&self) -> Option<&dyn UserIndex> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use sesh_core::SessionId;

    use super::*;

    #[test]
    fn key_names_are_prefix_and_hex_in_one_allocation() {
        let key = SessionId::generate().key();
        let name = key_name("sesh:", &key);
        assert_eq!(name, format!("sesh:{}", key.to_hex()));
        assert_eq!(name.capacity(), name.len(), "one allocation of the right size");
    }
}
