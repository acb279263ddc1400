//! The time limit on store calls: every one goes through [`timed`].

use std::{future::Future, time::Duration};

use sesh_core::Error;

use crate::error::from_sqlx;

/// How long one session operation may take unless `with_timeout` says
/// otherwise; also how long `connect` waits for a connection.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs `op` for at most `limit`: the outer error is the timeout, the
/// inner result the driver's, for callers that look at its errors.
///
/// The only place the crate bounds a call's time, so that how it does so
/// can change in one place.
pub(crate) async fn timed<T>(
    limit: Duration,
    op: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<Result<T, sqlx::Error>, Error> {
    Ok(tokio::time::timeout(limit, op).await?)
}

/// Runs `op` for at most `limit`, any failure as sesh's error.
pub(crate) async fn within<T>(
    limit: Duration,
    op: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, Error> {
    timed(limit, op).await?.map_err(from_sqlx)
}
