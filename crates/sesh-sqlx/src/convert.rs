//! Between sesh's types and the columns' (BIGINT milliseconds, BIGINT
//! versions), and from sqlx's errors and time limits to sesh's errors.

use std::{future::Future, time::Duration, time::SystemTime};

use sesh_core::{Error, ErrorKind, Record, StoreKey, from_unix_millis, unix_millis};

/// A time as BIGINT milliseconds; times past year 292 million saturate.
pub(crate) fn millis(t: SystemTime) -> i64 {
    i64::try_from(unix_millis(t)).unwrap_or(i64::MAX)
}

/// A version as BIGINT.
pub(crate) fn version(v: u64) -> Result<i64, Error> {
    i64::try_from(v).map_err(Error::store)
}

/// The columns written from a record, bound in this order by every
/// statement that writes one (see [`Queries`](crate::sql::Queries)).
#[derive(Debug)]
pub(crate) struct Columns {
    pub(crate) data: Vec<u8>,
    pub(crate) version: i64,
    pub(crate) user_id: Option<String>,
    pub(crate) absolute_at: i64,
    pub(crate) expires_at: i64,
}

impl Columns {
    pub(crate) fn of(record: &Record) -> Result<Self, Error> {
        Ok(Self {
            data: record.encode()?,
            version: version(record.version)?,
            user_id: record.user.clone(),
            absolute_at: millis(record.absolute_deadline),
            // Never past the absolute deadline, so that `expires_at` alone
            // tells whether a row is live (MySQL's create relies on it).
            expires_at: millis(record.expires_at.min(record.absolute_deadline)),
        })
    }
}

/// Binds [`Columns`] to a query, in their order.
macro_rules! bind_columns {
    ($query:expr, $columns:expr) => {{
        let c = $columns;
        $query
            .bind(c.data)
            .bind(c.version)
            .bind(c.user_id)
            .bind(c.absolute_at)
            .bind(c.expires_at)
    }};
}

pub(crate) use bind_columns;

/// The record from a loaded row: the columns, which `touch` and `save`
/// keep current, win over the copies inside the blob.
pub(crate) fn record(data: &[u8], version: i64, expires_at: i64) -> Result<Record, Error> {
    let mut record = Record::decode(data)?;
    record.version = u64::try_from(version).map_err(Error::decode)?;
    record.expires_at = from_unix_millis(u64::try_from(expires_at).map_err(Error::decode)?);
    Ok(record)
}

/// A store key from its hex column.
pub(crate) fn key(id: &str) -> Result<StoreKey, Error> {
    StoreKey::from_hex(id).ok_or_else(|| Error::msg(ErrorKind::Decode, "stored session id is not a key"))
}

/// A driver error, as a timeout when no connection came free in time.
pub(crate) fn db_error(e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::PoolTimedOut => Error::new(ErrorKind::Timeout, e),
        e => Error::store(e),
    }
}

/// Runs `op` for at most `limit`: the outer error is the timeout, the
/// inner result the driver's, for callers that look at its errors.
pub(crate) async fn timed<T>(
    limit: Duration,
    op: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<Result<T, sqlx::Error>, Error> {
    Ok(sesh_core::deadline::within(limit, op).await?)
}

/// Runs `op` for at most `limit`, any failure as sesh's error.
pub(crate) async fn within<T>(
    limit: Duration,
    op: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, Error> {
    timed(limit, op).await?.map_err(db_error)
}
