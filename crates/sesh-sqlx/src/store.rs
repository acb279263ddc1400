//! The store type and its configuration. `migrate.rs` adds `migrate`,
//! `session_store.rs` the [`SessionStore`](sesh_core::SessionStore) and
//! [`SweepExpired`](sesh_core::SweepExpired) impls, `user_index.rs` the
//! [`UserIndex`](sesh_core::UserIndex) one, and each database's file its
//! `connect`.

use std::{fmt, sync::Arc, time::Duration};

use sesh_core::Error;
use sqlx::Pool;

use crate::{
    backend::Backend,
    limit::DEFAULT_TIMEOUT,
    queries::Queries,
    table::{self, DEFAULT_TABLE},
};

/// Sessions in a SQL table, on a sqlx pool of database `DB`. Name it by its
/// aliases: `PostgresStore`, `MySqlStore` and `SqliteStore`.
///
/// Every operation is one statement (but `apply` outside PostgreSQL, which
/// adds two per lost version race); the crate docs and README say which.
///
/// Cloning is cheap: the clones share the pool and the statements.
//
// Aliases rather than a newtype per database: the three stores are the
// same code, so aliases give each its name without forwarding every
// method, and `pool()` still returns the database's own pool type.
pub struct SqlStore<DB: Backend> {
    pub(crate) pool: Pool<DB>,
    /// Built once per table name; shared by clones.
    pub(crate) queries: Arc<Queries>,
    pub(crate) timeout: Duration,
}

impl<DB: Backend> SqlStore<DB> {
    /// A store on an existing pool, using the default table name
    /// ([`DEFAULT_TABLE`]) and time limit ([`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn from_pool(pool: Pool<DB>) -> Self {
        Self {
            pool,
            queries: Arc::new(Queries::new(DB::DIALECT, DEFAULT_TABLE)),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Keeps sessions in table `name` instead of the default.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](sesh_core::ErrorKind::Config) unless
    /// `name` matches `^[A-Za-z_][A-Za-z0-9_]{0,62}$`.
    pub fn with_table_name(mut self, name: &str) -> Result<Self, Error> {
        table::validate(name)?;
        self.queries = Arc::new(Queries::new(DB::DIALECT, name));
        Ok(self)
    }

    /// Each session operation (those of
    /// [`SessionStore`](sesh_core::SessionStore) and
    /// [`UserIndex`](sesh_core::UserIndex)), waiting for a pooled
    /// connection included, fails with
    /// [`ErrorKind::Timeout`](sesh_core::ErrorKind::Timeout) after
    /// `timeout` (default [`DEFAULT_TIMEOUT`]). `migrate` and sweeping are
    /// not limited: they may take long on a big table, and no request
    /// waits for them.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The pool this store uses.
    #[must_use]
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }
}

// By hand: a derive would ask for `DB: Clone`, which sqlx's database
// types need not be.
impl<DB: Backend> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            queries: Arc::clone(&self.queries),
            timeout: self.timeout,
        }
    }
}

impl<DB: Backend> fmt::Debug for SqlStore<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(DB::STORE_NAME)
            .field("table", &self.queries.table)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
