//! What differs between the databases a `SqlStore` runs on, as one sealed trait; everything else is generic code.

use std::{future::Future, time::Duration};

use sesh_core::{Changes, Error, StoreKey};
use sqlx::Pool;

use crate::{dialect::Dialect, driver::Driver, queries::Queries};

/// A database a `SqlStore` keeps sessions in: sqlx's
/// `Postgres`, `MySql` (MySQL and MariaDB) or `Sqlite`, each behind the
/// crate feature of its name.
///
/// Sealed: only this crate implements it. Its items are the parts of the
/// store that differ between databases; the sqlx calls themselves, and the
/// trait bounds sqlx asks for them, come with its crate-private supertrait.
pub trait Backend: Driver + sealed::Sealed {
    /// The store's name in `Debug` output.
    const STORE_NAME: &'static str;

    /// Where this database's SQL differs from the others'.
    const DIALECT: Dialect;

    /// Whether the result of `create`'s statement says the record was
    /// written (inserted, or an expired row replaced) rather than refused
    /// for a live row under the same key.
    fn created(result: &Self::QueryResult) -> bool;

    /// How many rows an `UPDATE` or `DELETE` changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// `apply` in one statement, bounded by `limit`, where the database
    /// can merge natively. The default has no native merge and answers
    /// `NativeApply::Unsupported` at once, so the store takes the
    /// trait's compare-and-swap way.
    ///
    /// # Errors
    /// As any store call: the driver's error or a timeout.
    fn apply_natively<'a>(
        pool: &'a Pool<Self>,
        queries: &'a Queries,
        limit: Duration,
        key: &'a StoreKey,
        changes: &'a Changes,
    ) -> impl Future<Output = Result<NativeApply, Error>> + Send + 'a {
        let _ = (pool, queries, limit, key, changes);
        std::future::ready(Ok(NativeApply::Unsupported))
    }
}

/// What [`Backend::apply_natively`] did. `pub` in a private module:
/// reachable through `Backend`, nameable nowhere outside the crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeApply {
    /// The changes are stored.
    Applied,
    /// Nothing changed: the record is gone or expired, or is of another
    /// format version than the statement merges; the store reloads it to
    /// tell which.
    Missed,
    /// No native merge here, for this database or this record: the store
    /// merges by compare-and-swap.
    Unsupported,
}

pub(crate) mod sealed {
    /// Implemented by the databases this crate supports, and by no other
    /// type: nameable nowhere outside the crate.
    pub trait Sealed {}
}
