use sesh_core::Error;
use sqlx::postgres::{PgPoolOptions, PgQueryResult, Postgres};

crate::store_impl::sql_store!(
    /// Sessions in a PostgreSQL table. Every operation is one statement;
    /// `create` is an upsert that replaces only an expired row.
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
    /// if no connection is made within [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT).
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let pool = PgPoolOptions::new()
            .acquire_timeout(crate::DEFAULT_TIMEOUT)
            .connect(url)
            .await
            .map_err(crate::convert::db_error)?;
        Ok(Self::from_pool(pool))
    }
}

impl crate::store_ops::InsertOutcome for PgQueryResult {
    fn created(&self) -> bool {
        self.rows_affected() == 1
    }
}
