use sesh_core::Error;
use sqlx::mysql::{MySql, MySqlPoolOptions, MySqlQueryResult};

crate::store_impl::sql_store!(
    /// Sessions in a MySQL or MariaDB table. Every operation is one
    /// statement; `create` is an `INSERT ... ON DUPLICATE KEY UPDATE` that
    /// replaces only an expired row.
    MySqlStore,
    MySql,
    crate::dialect::Dialect::MySql
);

impl MySqlStore {
    /// Connects a pool to `url` (`mysql://user@host:port/db`). Call
    /// [`migrate`](Self::migrate) before first use.
    ///
    /// # Errors
    /// [`ErrorKind::Store`](sesh_core::ErrorKind::Store) if the database
    /// cannot be reached, [`ErrorKind::Timeout`](sesh_core::ErrorKind::Timeout)
    /// if no connection is made within [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT).
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let pool = MySqlPoolOptions::new()
            .acquire_timeout(crate::DEFAULT_TIMEOUT)
            .connect(url)
            .await
            .map_err(crate::convert::db_error)?;
        Ok(Self::from_pool(pool))
    }
}

impl crate::store_ops::InsertOutcome for MySqlQueryResult {
    /// Inserted: 1 row, replaced an expired row: 2; a live row reports
    /// its kept deadline as the insert id (see `sql::insert`). The table
    /// has no `AUTO_INCREMENT` column, so a write reports insert id 0.
    fn created(&self) -> bool {
        self.rows_affected() > 0 && self.last_insert_id() == 0
    }
}
