//! Writes, and with [`RedisStore::with_replica_ack`] on, the replicas'
//! acknowledgement of each: the script and a `WAIT` in one pipeline, which
//! a cluster connection routes by the script's key to the node that takes
//! the write (following `MOVED` and `ASK` for both together), so the
//! `WAIT` counts the replicas of that node, on the connection that wrote.

use redis::{FromRedisValue, ScriptInvocation};
use sesh_core::{Error, ErrorKind};

use crate::RedisStore;

impl RedisStore {
    /// Runs a script that writes; with replica acknowledgement on, fails
    /// unless enough replicas hold the write (see
    /// [`with_replica_ack`](RedisStore::with_replica_ack)).
    pub(crate) async fn write<T: FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Result<T, Error> {
        let mut conn = self.conn();
        let Some(ack) = self.replica_ack() else {
            return self.run(invocation.invoke_async(&mut conn)).await;
        };
        let mut pipe = redis::pipe();
        pipe.invoke_script(invocation)
            .cmd("WAIT")
            .arg(ack.replicas)
            .arg(ack.timeout_ms);
        let (reply, acked): (T, usize) = self
            .run(async {
                match pipe.query_async(&mut conn).await {
                    // A node that has not run the script yet (a replica
                    // just promoted, a restarted node): load it, then again.
                    Err(e) if e.code() == Some("NOSCRIPT") => {
                        invocation.load_async(&mut conn).await?;
                        pipe.query_async(&mut conn).await
                    }
                    other => other,
                }
            })
            .await?;
        if acked < ack.replicas {
            return Err(Error::msg(
                ErrorKind::Store,
                format!(
                    "the write reached {acked} of the {} replicas asked for within {} ms, so it is \
                     not acknowledged: check the replicas' links (INFO replication on the \
                     primary), or lower with_replica_ack's count or raise its timeout",
                    ack.replicas, ack.timeout_ms
                ),
            ));
        }
        Ok(reply)
    }
}
