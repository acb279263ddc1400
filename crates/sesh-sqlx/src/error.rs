//! sqlx's errors as sesh's.

use sesh_core::{Error, ErrorKind};

/// A driver error, as a timeout when no connection came free in time.
pub(crate) fn from_sqlx(e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::PoolTimedOut => Error::new(ErrorKind::Timeout, e),
        e => Error::store(e),
    }
}
