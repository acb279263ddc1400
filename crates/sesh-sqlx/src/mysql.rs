//! MySQL and MariaDB: the store's alias, `connect`, and how `create`'s
//! upsert reports a live collision.

use sesh_core::Error;
use sqlx::mysql::{MySql, MySqlPoolOptions, MySqlQueryResult};

use crate::{
    backend::{Backend, sealed::Sealed},
    dialect::Dialect,
    error::from_sqlx,
    limit::DEFAULT_TIMEOUT,
    store::SqlStore,
};

/// Sessions in a MySQL or MariaDB table. Every operation is one statement
/// (but `apply`, the trait's compare-and-swap, which adds two per lost
/// version race); `create` is an `INSERT ... ON DUPLICATE KEY UPDATE` that
/// replaces only an expired row.
#[cfg_attr(docsrs, doc(cfg(feature = "mysql")))]
pub type MySqlStore = SqlStore<MySql>;

impl Sealed for MySql {}

#[cfg_attr(docsrs, doc(cfg(feature = "mysql")))]
impl Backend for MySql {
    const STORE_NAME: &'static str = "MySqlStore";
    const DIALECT: Dialect = Dialect::MySql;

    /// Inserted: 1 row, replaced an expired row: 2; a live row reports
    /// its kept deadline as the insert id (see `queries::insert`). The
    /// table has no `AUTO_INCREMENT` column, so a write reports insert id 0.
    fn created(result: &MySqlQueryResult) -> bool {
        result.rows_affected() > 0 && result.last_insert_id() == 0
    }

    fn rows_affected(result: &MySqlQueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "mysql")))]
impl SqlStore<MySql> {
    /// Connects a pool to `url` (`mysql://user@host:port/db`). Call
    /// [`migrate`](Self::migrate) before first use.
    ///
    /// # Errors
    /// [`ErrorKind::Store`](sesh_core::ErrorKind::Store) if the database
    /// cannot be reached,
    /// [`ErrorKind::StoreRefused`](sesh_core::ErrorKind::StoreRefused) if it
    /// refuses the connection for good (a wrong password, no such
    /// database), [`ErrorKind::Timeout`](sesh_core::ErrorKind::Timeout) if
    /// no connection is made within [`DEFAULT_TIMEOUT`].
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let pool = MySqlPoolOptions::new()
            .acquire_timeout(DEFAULT_TIMEOUT)
            .connect(url)
            .await
            .map_err(from_sqlx)?;
        Ok(Self::from_pool(pool))
    }
}
