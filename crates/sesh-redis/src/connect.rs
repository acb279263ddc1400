//! Constructors: a single server or a cluster, from a URL or from a
//! connection the application already has.

use redis::{
    Client, IntoConnectionInfo,
    aio::{ConnectionManager, ConnectionManagerConfig},
    cluster::ClusterClient,
    cluster_async::ClusterConnection,
};
use sesh_core::Error;

use crate::{DEFAULT_TIMEOUT, RedisStore, conn::Conn, store::within};

impl RedisStore {
    /// Connects to the Redis at `url` (`redis://host:port/db`).
    ///
    /// The connection is multiplexed and reconnects on its own when the
    /// server comes back after a restart.
    ///
    /// # Errors
    /// [`ErrorKind::Store`](sesh_core::ErrorKind::Store) for a malformed URL
    /// or a refused connection, [`ErrorKind::Timeout`](sesh_core::ErrorKind::Timeout)
    /// if connecting takes longer than [`DEFAULT_TIMEOUT`].
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let client = Client::open(url).map_err(Error::store)?;
        // Fail fast: the manager's own retries would outlast the timeout anyway.
        // No response timeout of the manager's own (redis-rs defaults to
        // 500 ms): the store's (`with_timeout`) is the one that applies, and
        // one timer per operation is enough.
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_connection_timeout(Some(DEFAULT_TIMEOUT))
            .set_response_timeout(None);
        let conn = within(DEFAULT_TIMEOUT, async {
            ConnectionManager::new_with_config(client, config).await
        })
        .await?;
        Ok(Self::from_manager(conn))
    }

    /// A store on an existing connection manager.
    ///
    /// The manager's own response timeout (redis-rs sets 500 ms unless told
    /// otherwise) still cuts each command short beneath the store's
    /// [`with_timeout`](Self::with_timeout); build the manager with
    /// `ConnectionManagerConfig::set_response_timeout(None)` to leave the
    /// limit to the store, as [`connect`](Self::connect) does.
    #[must_use]
    pub fn from_manager(conn: ConnectionManager) -> Self {
        Self::from_conn(Conn::Single(conn))
    }

    /// Connects to the Redis Cluster that `nodes` belong to (one reachable
    /// node is enough; the others are found from its slot map).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), sesh_core::Error> {
    /// let store = sesh_redis::RedisStore::connect_cluster([
    ///     "redis://10.0.0.1:6379",
    ///     "redis://10.0.0.2:6379",
    /// ])
    /// .await?;
    /// # let _ = store; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Store`](sesh_core::ErrorKind::Store) for a malformed node
    /// address or when no node answers,
    /// [`ErrorKind::Timeout`](sesh_core::ErrorKind::Timeout) if connecting
    /// takes longer than [`DEFAULT_TIMEOUT`].
    pub async fn connect_cluster<N: IntoConnectionInfo>(
        nodes: impl IntoIterator<Item = N>,
    ) -> Result<Self, Error> {
        let client = ClusterClient::builder(nodes)
            .connection_timeout(DEFAULT_TIMEOUT)
            .build()
            .map_err(Error::store)?;
        Self::from_cluster_client(&client).await
    }

    /// A store on a new connection from an existing cluster client (built
    /// with the TLS, credentials or routing settings the application needs).
    ///
    /// # Errors
    /// As [`connect_cluster`](Self::connect_cluster).
    pub async fn from_cluster_client(client: &ClusterClient) -> Result<Self, Error> {
        let conn = within(DEFAULT_TIMEOUT, client.get_async_connection()).await?;
        Ok(Self::from_cluster_connection(conn))
    }

    /// A store on an existing cluster connection.
    #[must_use]
    pub fn from_cluster_connection(conn: ClusterConnection) -> Self {
        Self::from_conn(Conn::Cluster(conn))
    }
}
