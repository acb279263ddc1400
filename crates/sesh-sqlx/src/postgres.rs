//! PostgreSQL: the store's alias, `connect`, and running the native
//! `apply` that `merge.rs` writes.

use std::time::{Duration, SystemTime};

use sesh_core::{Changes, Error, StoreKey};
use sqlx::{
    Pool,
    postgres::{PgPoolOptions, PgQueryResult, Postgres},
};

use crate::{
    backend::{Backend, NativeApply, sealed::Sealed},
    columns::millis,
    dialect::Dialect,
    error::from_sqlx,
    limit::{DEFAULT_TIMEOUT, timed},
    merge::{self, MergeArgs},
    queries::Queries,
    store::SqlStore,
};

/// Sessions in a PostgreSQL table. Every operation is one statement:
/// `create` is an upsert that replaces only an expired row, and `apply`
/// merges the changes into the stored JSON in SQL, so racing requests
/// never retry.
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub type PostgresStore = SqlStore<Postgres>;

impl Sealed for Postgres {}

#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
impl Backend for Postgres {
    const STORE_NAME: &'static str = "PostgresStore";
    const DIALECT: Dialect = Dialect::Postgres;

    /// The upsert changes no row for a live collision.
    fn created(result: &PgQueryResult) -> bool {
        result.rows_affected() == 1
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    fn apply_natively<'a>(
        pool: &'a Pool<Self>,
        queries: &'a Queries,
        limit: Duration,
        key: &'a StoreKey,
        changes: &'a Changes,
    ) -> impl Future<Output = Result<NativeApply, Error>> + Send + 'a {
        apply_natively(pool, queries, limit, key, changes)
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
impl SqlStore<Postgres> {
    /// Connects a pool to `url` (`postgres://user@host:port/db`). Call
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
        let pool = PgPoolOptions::new()
            .acquire_timeout(DEFAULT_TIMEOUT)
            .connect(url)
            .await
            .map_err(from_sqlx)?;
        Ok(Self::from_pool(pool))
    }
}

/// `apply` in one `UPDATE` (see `merge.rs`); records PostgreSQL's JSON
/// functions refuse (holding `\u0000`) take the trait's default way.
async fn apply_natively(
    pool: &Pool<Postgres>,
    queries: &Queries,
    limit: Duration,
    key: &StoreKey,
    changes: &Changes,
) -> Result<NativeApply, Error> {
    let Some(statement) = &queries.apply else {
        return Ok(NativeApply::Unsupported);
    };
    let args = MergeArgs::of(changes)?;
    let now = millis(SystemTime::now());
    let query = sqlx::query(statement)
        .bind(args.cleared)
        .bind(args.keys)
        .bind(args.patch)
        .bind(args.now)
        .bind(args.expires_at)
        .bind(args.user_changed)
        .bind(args.user.clone())
        .bind(args.persistent_changed)
        .bind(args.persistent)
        .bind(args.expires_at)
        .bind(args.user_changed)
        .bind(args.user)
        .bind(key.to_hex())
        .bind(now)
        .bind(now);
    match timed(limit, query.execute(pool)).await? {
        Ok(done) if done.rows_affected() == 1 => Ok(NativeApply::Applied),
        Ok(_) => Ok(NativeApply::Missed),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(merge::UNTRANSLATABLE) => {
            Ok(NativeApply::Unsupported)
        }
        Err(e) => Err(from_sqlx(e)),
    }
}
