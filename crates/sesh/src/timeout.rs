//! A time limit on every call the layer makes to a store that goes
//! through futures, so a hung store gives a fast error instead of a hung
//! request. An [`ImmediateStore`] is called in place, with no limit.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use sesh_core::{
    Applied, Changes, Created, Error, ErrorKind, ImmediateStore, Record, Saved, SessionStore, StoreKey,
    UserIndex, UserSession,
};

use crate::calls::Calls;

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

    async fn bounded<T>(&self, what: &str, call: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
        tokio::time::timeout(self.limit, call).await.map_err(|_| {
            Error::msg(
                ErrorKind::Timeout,
                format!("session store {what} took longer than {:?}", self.limit),
            )
        })?
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

impl TimedStore {
    /// The load: in place from an immediate store (nothing to box, so no
    /// separate path is needed in the caller), else through its future,
    /// bounded.
    pub(crate) async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        match self.inner.immediate() {
            Some(store) => store.load_now(key),
            None => self.bounded("load", self.inner.as_ref().load(key)).await,
        }
    }
}

/// The calls the layer makes, as plain futures: calling the trait object
/// directly (not through `Arc`'s forwarding impl) and not boxing again
/// here saves two allocations per store call on every request.
impl Calls for TimedStore {
    fn create<'a>(
        &'a self,
        key: &'a StoreKey,
        record: &'a Record,
    ) -> impl Future<Output = Result<Created, Error>> + Send + 'a {
        self.bounded("create", self.inner.as_ref().create(key, record))
    }

    fn touch<'a>(
        &'a self,
        key: &'a StoreKey,
        expires_at: SystemTime,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'a {
        self.bounded("touch", self.inner.as_ref().touch(key, expires_at))
    }

    fn delete<'a>(&'a self, key: &'a StoreKey) -> impl Future<Output = Result<(), Error>> + Send + 'a {
        self.bounded("delete", self.inner.as_ref().delete(key))
    }

    fn apply<'a>(
        &'a self,
        key: &'a StoreKey,
        merged: Record,
        changes: &'a Changes,
    ) -> impl Future<Output = Result<Applied, Error>> + Send + 'a {
        self.bounded("apply", self.inner.as_ref().apply(key, merged, changes))
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
        Calls::create(self, key, record).await
    }

    async fn save(&self, key: &StoreKey, record: &Record, expected: u64) -> Result<Saved, Error> {
        self.bounded("save", self.inner.as_ref().save(key, record, expected))
            .await
    }

    async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
        Calls::touch(self, key, expires_at).await
    }

    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        Calls::delete(self, key).await
    }

    async fn apply(&self, key: &StoreKey, merged: Record, changes: &Changes) -> Result<Applied, Error> {
        Calls::apply(self, key, merged, changes).await
    }

    fn user_index(&self) -> Option<&dyn UserIndex> {
        // Offered only when the wrapped store has one, and then timed too.
        self.inner.user_index().map(|_| self as &dyn UserIndex)
    }

    /// The wrapped store's calls as plain functions, when it has them:
    /// they return before a limit could fire, so none is set.
    fn immediate(&self) -> Option<&dyn ImmediateStore> {
        self.inner.immediate()
    }
}

#[async_trait]
impl UserIndex for TimedStore {
    async fn user_sessions(&self, user: &str) -> Result<Vec<UserSession>, Error> {
        self.bounded("user_sessions", self.index()?.user_sessions(user))
            .await
    }

    async fn delete_user_sessions(&self, user: &str, keep: Option<&StoreKey>) -> Result<u64, Error> {
        self.bounded(
            "delete_user_sessions",
            self.index()?.delete_user_sessions(user, keep),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use sesh_core::MemoryStore;

    use super::*;

    /// The memory store's calls reach the layer in place, behind an `Arc`
    /// too; a store without them goes through futures.
    #[test]
    fn offers_the_wrapped_stores_immediate_calls() {
        let memory = TimedStore::new(Arc::new(MemoryStore::new()));
        assert!(memory.immediate().is_some());
        assert!(SessionStore::immediate(&memory).is_some());
        let behind_arc = TimedStore::new(Arc::new(Arc::new(MemoryStore::new())));
        assert!(behind_arc.immediate().is_some());
        let client_side = TimedStore::new(Arc::new(crate::client::NoStore));
        assert!(client_side.immediate().is_none());
    }
}
