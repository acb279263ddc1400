use std::str::FromStr as _;

use sesh_core::Error;
use sqlx::sqlite::{Sqlite, SqliteConnectOptions, SqlitePoolOptions, SqliteQueryResult};

crate::store_impl::sql_store!(
    /// Sessions in a SQLite table. Every operation is one statement;
    /// `create` is an upsert that replaces only an expired row.
    SqliteStore,
    Sqlite,
    crate::dialect::Dialect::Sqlite
);

impl SqliteStore {
    /// Opens `url` (`sqlite://path/to/file.db`, created if missing, or
    /// `sqlite::memory:`). Call [`migrate`](Self::migrate) before first use.
    ///
    /// An in-memory database lives in one connection, so its pool holds
    /// exactly one that is never closed.
    ///
    /// # Errors
    /// [`ErrorKind::Store`](sesh_core::ErrorKind::Store) for a malformed URL
    /// or a file that cannot be opened.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(Error::store)?
            .create_if_missing(true);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool = if in_memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new()
        };
        let pool = pool
            .connect_with(options)
            .await
            .map_err(crate::convert::db_error)?;
        Ok(Self::from_pool(pool))
    }
}

impl crate::store_ops::InsertOutcome for SqliteQueryResult {
    fn created(&self) -> bool {
        self.rows_affected() == 1
    }
}
