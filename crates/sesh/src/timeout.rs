//! A time limit on every store call the layer makes, so a hung store gives
//! a fast error instead of a hung request.

use std::{future::Future, sync::Arc, time::Duration, time::SystemTime};

use async_trait::async_trait;
use sesh_core::{
    Applied, Changes, Created, Error, ErrorKind, Record, Saved, SessionKey, SessionStore, UserIndex,
    UserSession,
};

/// The default limit on one store call (an `apply` with its retries counts
/// as one call).
pub(crate) const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(3);

/// The layer's store, each call bounded by `limit`.
#[derive(Clone)]
pub(crate) struct TimedStore {
    inner: Arc<dyn SessionStore>,
    pub(crate) limit: Duration,
}

impl TimedStore {
    pub(crate) fn new(inner: Arc<dyn SessionStore>) -> Self {
        Self {
            inner,
            limit: DEFAULT_STORE_TIMEOUT,
        }
    }

    async fn bounded<T>(&self, what: &str, call: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        match tokio::time::timeout(self.limit, call).await {
            Ok(result) => result,
            Err(_) => Err(Error::msg(
                ErrorKind::Timeout,
                format!("session store {what} took longer than {:?}", self.limit),
            )),
        }
    }

    fn index(&self) -> Result<&dyn UserIndex, Error> {
        self.inner.user_index().ok_or_else(|| {
            Error::msg(
                ErrorKind::Unsupported,
                "the session store keeps no per-user index",
            )
        })
    }
}

#[async_trait]
impl SessionStore for TimedStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<Record>, Error> {
        self.bounded("load", self.inner.load(key)).await
    }

    async fn create(&self, key: &SessionKey, record: &Record) -> Result<Created, Error> {
        self.bounded("create", self.inner.create(key, record)).await
    }

    async fn save(&self, key: &SessionKey, record: &Record, expected: u64) -> Result<Saved, Error> {
        self.bounded("save", self.inner.save(key, record, expected)).await
    }

    async fn touch(&self, key: &SessionKey, expires_at: SystemTime) -> Result<(), Error> {
        self.bounded("touch", self.inner.touch(key, expires_at)).await
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), Error> {
        self.bounded("delete", self.inner.delete(key)).await
    }

    async fn apply(&self, key: &SessionKey, merged: Record, changes: &Changes) -> Result<Applied, Error> {
        self.bounded("apply", self.inner.apply(key, merged, changes))
            .await
    }

    fn user_index(&self) -> Option<&dyn UserIndex> {
        // Offered only when the wrapped store has one, and then timed too.
        self.inner.user_index().map(|_| self as &dyn UserIndex)
    }
}

#[async_trait]
impl UserIndex for TimedStore {
    async fn user_sessions(&self, user: &str) -> Result<Vec<UserSession>, Error> {
        self.bounded("user_sessions", self.index()?.user_sessions(user))
            .await
    }

    async fn delete_user_sessions(&self, user: &str, keep: Option<&SessionKey>) -> Result<u64, Error> {
        self.bounded(
            "delete_user_sessions",
            self.index()?.delete_user_sessions(user, keep),
        )
        .await
    }
}
