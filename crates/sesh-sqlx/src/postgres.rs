use std::time::Duration;

use sesh_core::Error;
use sqlx::postgres::{PgPoolOptions, Postgres};

crate::store_impl::sql_store!(
    /// Sessions in a PostgreSQL table. `create` is one upsert that replaces
    /// only an expired row; every operation is one round trip.
    PostgresStore,
    Postgres,
    crate::sql::Dialect::Postgres
);

impl PostgresStore {
    /// Connects a pool to `url` (`postgres://user@host:port/db`). Call
    /// [`migrate`](Self::migrate) before first use.
    ///
    /// # Errors
    /// [`ErrorKind::Store`](sesh_core::ErrorKind::Store) if the database
    /// cannot be reached, [`ErrorKind::Timeout`](sesh_core::ErrorKind::Timeout)
    /// if no connection is made within 5 s.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let pool = PgPoolOptions::new()
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(crate::convert::db_error)?;
        Ok(Self::from_pool(pool))
    }
}
