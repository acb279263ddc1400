//! A time limit on every call the layer makes to a store that goes
//! through futures, so a hung store gives a fast error instead of a hung
//! request.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use sesh_core::{
    Applied, Changes, Created, Error, ErrorKind, Record, Saved, SessionStore, StoreKey, UserIndex,
    UserSession,
};
use tracing::Instrument as _;

/// The default limit on one store call (an `apply` with its retries counts
/// as one call).
pub(crate) const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(3);

/// The layer's store: each call through a future bounded by `limit`.
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

    /// Runs one store call within the limit, in a `sesh.store` span naming
    /// the operation and the session's salted hash, and records its time.
    async fn bounded<T>(
        &self,
        what: &'static str,
        key: Option<&StoreKey>,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let span = tracing::debug_span!(target: "sesh", "sesh.store", operation = what, session = tracing::field::Empty);
        // The salted hash costs a SHA-256: only for a span someone records.
        if let (Some(key), false) = (key, span.is_disabled()) {
            span.record("session", tracing::field::display(key.log_id()));
        }
        let started = crate::metrics::Started::now();
        // Entering and leaving a span on every poll costs even when nobody
        // listens: the plain call then.
        let result = if span.is_disabled() {
            tokio::time::timeout(self.limit, call).await
        } else {
            tokio::time::timeout(self.limit, call.instrument(span)).await
        };
        let outcome = match &result {
            Ok(Ok(_)) => "ok",
            Ok(Err(_)) => "error",
            Err(_) => "timeout",
        };
        crate::metrics::store_call(what, &started, outcome);
        result.map_err(|_| {
            Error::msg(
                ErrorKind::Timeout,
                format!("session store {what} took longer than {:?}", self.limit),
            )
        })?
    }

    /// The wrapped store itself: called through the `Arc`, a call would go
    /// through the `Arc`'s own forwarding impl, one more boxed future each.
    fn store(&self) -> &dyn SessionStore {
        self.inner.as_ref()
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

/// The calls the layer makes, each within the limit.
impl TimedStore {
    pub(crate) async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        self.bounded("load", Some(key), self.store().load(key)).await
    }

    pub(crate) async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
        self.bounded("create", Some(key), self.store().create(key, record))
            .await
    }

    pub(crate) async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
        self.bounded("touch", Some(key), self.store().touch(key, expires_at))
            .await
    }

    pub(crate) async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        self.bounded("delete", Some(key), self.store().delete(key)).await
    }

    pub(crate) async fn apply(
        &self,
        key: &StoreKey,
        merged: &Record,
        changes: &Changes,
    ) -> Result<Applied, Error> {
        self.bounded("apply", Some(key), self.store().apply(key, merged, changes))
            .await
    }
}

/// `UserIndex` needs `SessionStore` as its supertrait; the layer itself
/// calls the inherent methods above.
#[async_trait]
impl SessionStore for TimedStore {
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        TimedStore::load(self, key).await
    }

    async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
        TimedStore::create(self, key, record).await
    }

    async fn save(&self, key: &StoreKey, record: &Record, expected: u64) -> Result<Saved, Error> {
        self.bounded("save", Some(key), self.store().save(key, record, expected))
            .await
    }

    async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
        TimedStore::touch(self, key, expires_at).await
    }

    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        TimedStore::delete(self, key).await
    }

    async fn apply(&self, key: &StoreKey, merged: &Record, changes: &Changes) -> Result<Applied, Error> {
        TimedStore::apply(self, key, merged, changes).await
    }

    fn user_index(&self) -> Option<&dyn UserIndex> {
        // Offered only when the wrapped store has one, and then timed too.
        self.inner.user_index().map(|_| self as &dyn UserIndex)
    }
}

#[async_trait]
impl UserIndex for TimedStore {
    async fn user_sessions(&self, user: &str) -> Result<Vec<UserSession>, Error> {
        self.bounded("user_sessions", None, self.index()?.user_sessions(user))
            .await
    }

    async fn delete_user_sessions(&self, user: &str, keep: Option<&StoreKey>) -> Result<u64, Error> {
        self.bounded(
            "delete_user_sessions",
            None,
            self.index()?.delete_user_sessions(user, keep),
        )
        .await
    }
}
