//! Between sesh's types and the columns' (BIGINT milliseconds, BIGINT versions).

use std::time::SystemTime;

use sesh_core::{Error, Record, from_unix_millis, unix_millis};

/// A time as BIGINT milliseconds; times past year 292 million saturate.
pub(crate) fn millis(t: SystemTime) -> i64 {
    i64::try_from(unix_millis(t)).unwrap_or(i64::MAX)
}

/// A version as BIGINT.
pub(crate) fn version(v: u64) -> Result<i64, Error> {
    i64::try_from(v).map_err(Error::store)
}

/// The record from a loaded row: the columns, which `touch` and `save`
/// keep current, win over the copies inside the blob.
pub(crate) fn record(data: &[u8], version: i64, expires_at: i64) -> Result<Record, Error> {
    let mut record = Record::decode(data)?;
    record.version = u64::try_from(version).map_err(Error::decode)?;
    record.expires_at = from_unix_millis(u64::try_from(expires_at).map_err(Error::decode)?);
    Ok(record)
}

/// A driver error, as a timeout when no connection came free in time.
pub(crate) fn db_error(e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::PoolTimedOut => Error::new(sesh_core::ErrorKind::Timeout, e),
        e => Error::store(e),
    }
}
