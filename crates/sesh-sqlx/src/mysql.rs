use std::time::Duration;

use sesh_core::Error;
use sqlx::mysql::{MySql, MySqlPoolOptions};

crate::store_impl::sql_store!(
    /// Sessions in a MySQL or MariaDB table. `create` takes two round trips
    /// (delete an expired row, then insert); the rest take one.
    MySqlStore,
    MySql,
    crate::sql::Dialect::MySql
);

impl MySqlStore {
    /// Connects a pool to `url` (`mysql://user@host:port/db`). Call
    /// [`migrate`](Self::migrate) before first use.
    ///
    /// # Errors
    /// [`ErrorKind::Store`](sesh_core::ErrorKind::Store) if the database
    /// cannot be reached, [`ErrorKind::Timeout`](sesh_core::ErrorKind::Timeout)
    /// if no connection is made within 5 s.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let pool = MySqlPoolOptions::new()
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(crate::convert::db_error)?;
        Ok(Self::from_pool(pool))
    }
}
