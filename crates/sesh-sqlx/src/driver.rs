//! Running a statement through sqlx, for any database the stores support.
//!
//! sqlx 0.8 states what a generic caller needs (an executor for the pool,
//! arguments it can send, column types it can bind and decode) as
//! higher-ranked bounds, and Rust does not imply such bounds from a trait's
//! where clause: every generic function would have to repeat them. They are
//! written once here instead, on the blanket impl of [`Driver`], whose
//! methods do the sqlx calls; the rest of the crate needs only
//! `DB: Driver` (through `Backend`).
//!
//! `pub` items in a private module: reachable through `Backend`'s bounds,
//! nameable nowhere outside the crate.

use std::future::Future;

use sqlx::{ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Row as _, Type, query::Query};

/// A value bound to one placeholder. The stores bind no other types, so
/// these four are all a database must encode.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    /// A BIGINT: versions and Unix milliseconds.
    Int(i64),
    /// A text value: the hex store key, a user.
    Text(&'a str),
    /// A text value or NULL: a record's user.
    NullableText(Option<&'a str>),
    /// A BLOB: the encoded record.
    Bytes(&'a [u8]),
}

/// The sqlx calls the stores make, with the binds and column reads they
/// need. Implemented for every sqlx database that supports them.
pub trait Driver: sqlx::Database {
    /// `sql` with `params` bound in order.
    fn query<'a>(sql: &'a str, params: &'a [Param<'a>]) -> Query<'a, Self, Self::Arguments<'a>>;

    /// Runs `sql` with `params` bound in order.
    fn execute<'a>(
        pool: &'a Pool<Self>,
        sql: &'a str,
        params: &'a [Param<'a>],
    ) -> impl Future<Output = Result<Self::QueryResult, sqlx::Error>> + Send + 'a;

    /// Runs `sql` with `params` bound in order; its first row, if any.
    fn fetch_optional<'a>(
        pool: &'a Pool<Self>,
        sql: &'a str,
        params: &'a [Param<'a>],
    ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send + 'a;

    /// Runs `sql` with `params` bound in order; all its rows.
    fn fetch_all<'a>(
        pool: &'a Pool<Self>,
        sql: &'a str,
        params: &'a [Param<'a>],
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send + 'a;

    /// Column `index` of `row` as a BIGINT.
    ///
    /// # Errors
    /// If the column is missing or not an integer.
    fn int(row: &Self::Row, index: usize) -> Result<i64, sqlx::Error>;

    /// Column `index` of `row` as text.
    ///
    /// # Errors
    /// If the column is missing or not text.
    fn text(row: &Self::Row, index: usize) -> Result<String, sqlx::Error>;

    /// Column `index` of `row` as bytes.
    ///
    /// # Errors
    /// If the column is missing or not a BLOB.
    fn bytes(row: &Self::Row, index: usize) -> Result<Vec<u8>, sqlx::Error>;
}

impl<DB> Driver for DB
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'r> i64: Decode<'r, DB>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    for<'r> Vec<u8>: Decode<'r, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    fn query<'a>(sql: &'a str, params: &'a [Param<'a>]) -> Query<'a, Self, Self::Arguments<'a>> {
        params.iter().fold(sqlx::query(sql), |query, param| match *param {
            Param::Int(value) => query.bind(value),
            Param::Text(value) => query.bind(value),
            Param::NullableText(value) => query.bind(value),
            Param::Bytes(value) => query.bind(value),
        })
    }

    fn execute<'a>(
        pool: &'a Pool<Self>,
        sql: &'a str,
        params: &'a [Param<'a>],
    ) -> impl Future<Output = Result<Self::QueryResult, sqlx::Error>> + Send + 'a {
        pool.execute(Self::query(sql, params))
    }

    fn fetch_optional<'a>(
        pool: &'a Pool<Self>,
        sql: &'a str,
        params: &'a [Param<'a>],
    ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send + 'a {
        pool.fetch_optional(Self::query(sql, params))
    }

    fn fetch_all<'a>(
        pool: &'a Pool<Self>,
        sql: &'a str,
        params: &'a [Param<'a>],
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send + 'a {
        pool.fetch_all(Self::query(sql, params))
    }

    fn int(row: &Self::Row, index: usize) -> Result<i64, sqlx::Error> {
        row.try_get(index)
    }

    fn text(row: &Self::Row, index: usize) -> Result<String, sqlx::Error> {
        row.try_get(index)
    }

    fn bytes(row: &Self::Row, index: usize) -> Result<Vec<u8>, sqlx::Error> {
        row.try_get(index)
    }
}
