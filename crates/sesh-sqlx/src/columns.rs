//! Between sesh's types and the columns': BIGINT milliseconds and
//! versions, the encoded record, the hex store key.

use std::time::SystemTime;

use sesh_core::{Error, ErrorKind, Record, StoreKey, from_unix_millis, unix_millis};

use crate::driver::{Driver, Param};

/// A time as BIGINT milliseconds; times past year 292 million saturate.
pub(crate) fn millis(t: SystemTime) -> i64 {
    i64::try_from(unix_millis(t)).unwrap_or(i64::MAX)
}

/// A version as BIGINT.
pub(crate) fn version(v: u64) -> Result<i64, Error> {
    i64::try_from(v).map_err(Error::store)
}

/// The columns written from a record, bound in this order by every
/// statement that writes one (see `Queries` in `queries.rs`).
#[derive(Debug)]
pub(crate) struct Columns {
    data: Vec<u8>,
    version: i64,
    user_id: Option<String>,
    absolute_at: i64,
    expires_at: i64,
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

    /// The columns as binds, in their order.
    pub(crate) fn params(&self) -> [Param<'_>; 5] {
        [
            Param::Bytes(&self.data),
            Param::Int(self.version),
            Param::NullableText(self.user_id.as_deref()),
            Param::Int(self.absolute_at),
            Param::Int(self.expires_at),
        ]
    }
}

/// The record in a loaded row's columns `data, version, expires_at`,
/// starting at column `first`. The version and deadline columns, which
/// `touch` and `save` keep current, win over the copies inside the blob.
pub(crate) fn record<DB: Driver>(row: &DB::Row, first: usize) -> Result<Record, Error> {
    let data = DB::bytes(row, first).map_err(Error::decode)?;
    let version = DB::int(row, first + 1).map_err(Error::decode)?;
    let expires_at = DB::int(row, first + 2).map_err(Error::decode)?;
    let mut record = Record::decode(&data)?;
    record.version = u64::try_from(version).map_err(Error::decode)?;
    record.expires_at = from_unix_millis(u64::try_from(expires_at).map_err(Error::decode)?);
    Ok(record)
}

/// A store key from its hex column.
pub(crate) fn key(id: &str) -> Result<StoreKey, Error> {
    StoreKey::from_hex(id).ok_or_else(|| Error::msg(ErrorKind::Decode, "stored session id is not a key"))
}
