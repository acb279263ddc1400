//! SQLite: the store's alias and `connect`.

use std::str::FromStr as _;

use sesh_core::Error;
use sqlx::sqlite::{Sqlite, SqliteConnectOptions, SqlitePoolOptions, SqliteQueryResult};

use crate::{
    backend::{Backend, sealed::Sealed},
    dialect::Dialect,
    error::from_sqlx,
    store::SqlStore,
};

/// Sessions in a SQLite table. Every operation is one statement (but
/// `apply`, the trait's compare-and-swap, which adds two per lost version
/// race); `create` is an upsert that replaces only an expired row.
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub type SqliteStore = SqlStore<Sqlite>;

impl Sealed for Sqlite {}

#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
impl Backend for Sqlite {
    const STORE_NAME: &'static str = "SqliteStore";
    const DIALECT: Dialect = Dialect::Sqlite;

    /// The upsert changes no row for a live collision.
    fn created(result: &SqliteQueryResult) -> bool {
        result.rows_affected() == 1
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
impl SqlStore<Sqlite> {
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
        let pool = pool.connect_with(options).await.map_err(from_sqlx)?;
        Ok(Self::from_pool(pool))
    }
}
