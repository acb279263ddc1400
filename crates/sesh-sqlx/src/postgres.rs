use async_trait::async_trait;
use sesh_core::{Applied, Changes, Created, Error, Record, Saved, SessionStore, StoreKey};
use sqlx::postgres::{PgPoolOptions, PgQueryResult, Postgres};

use crate::{convert, merge};

crate::store_impl::sql_store!(
    /// Sessions in a PostgreSQL table. Every operation is one statement:
    /// `create` is an upsert that replaces only an expired row, and
    /// `apply` merges the changes into the stored JSON in SQL, so racing
    /// requests never retry.
    PostgresStore,
    Postgres,
    crate::dialect::Dialect::Postgres,
    apply: apply_natively
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

/// `apply` in one `UPDATE` (see `merge.rs`); records PostgreSQL's JSON
/// functions refuse (holding `\u0000`) take the trait's default way.
async fn apply_natively(
    store: &PostgresStore,
    key: &StoreKey,
    merged: Record,
    changes: &Changes,
) -> Result<Applied, Error> {
    let Some(statement) = &store.queries.apply else {
        return ByCompareAndSwap(store.clone()).apply(key, merged, changes).await;
    };
    let args = merge::MergeArgs::of(changes)?;
    let now = convert::millis(std::time::SystemTime::now());
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
    match convert::timed(store.timeout, query.execute(&store.pool)).await? {
        Ok(done) if done.rows_affected() == 1 => Ok(Applied::Applied),
        // Deleted or expired; or, which `load` reports as a decode error,
        // a record of another format version.
        Ok(_) => match store.load(key).await? {
            None => Ok(Applied::Gone),
            Some(_) => ByCompareAndSwap(store.clone()).apply(key, merged, changes).await,
        },
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(merge::UNTRANSLATABLE) => {
            ByCompareAndSwap(store.clone()).apply(key, merged, changes).await
        }
        Err(e) => Err(convert::db_error(e)),
    }
}

/// The store without its native `apply`, so that the trait's default
/// (compare-and-swap, reload, retry) runs.
struct ByCompareAndSwap(PostgresStore);

#[async_trait]
impl SessionStore for ByCompareAndSwap {
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        self.0.load(key).await
    }
    async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
        self.0.create(key, record).await
    }
    async fn save(&self, key: &StoreKey, record: &Record, expected: u64) -> Result<Saved, Error> {
        self.0.save(key, record, expected).await
    }
    async fn touch(&self, key: &StoreKey, expires_at: std::time::SystemTime) -> Result<(), Error> {
        self.0.touch(key, expires_at).await
    }
    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        self.0.delete(key).await
    }
}
