use async_trait::async_trait;

use crate::{Error, Record, SessionStore, StoreKey};

/// One live session found through a [`UserIndex`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UserSession {
    /// The store key: a hash of the session ID, safe to show and to send
    /// back to name this session (it cannot be used as a cookie).
    pub key: StoreKey,
    /// The session's record, including whatever the application stored in
    /// it (a user agent or IP address, for example).
    pub record: Record,
}

impl UserSession {
    /// Pairs a key with its record.
    #[must_use]
    pub fn new(key: StoreKey, record: Record) -> Self {
        Self { key, record }
    }
}

/// The per-user session index: which live sessions a user has.
///
/// A store maintains it from [`Record::user`] on every `create`, `save`,
/// `apply`, `touch`, `delete` and expiry, so that
/// [`user_sessions`](Self::user_sessions) never lists a deleted or
/// expired session and never misses a live one. Stores offer it through
/// [`SessionStore::user_index`].
#[async_trait]
pub trait UserIndex: SessionStore {
    /// The live sessions bound to `user`, oldest first (by `created_at`).
    async fn user_sessions(&self, user: &str) -> Result<Vec<UserSession>, Error>;

    /// Deletes every live session bound to `user` except the one under
    /// `keep`; returns how many it deleted. A session under `keep` that
    /// belongs to another user is not touched either.
    async fn delete_user_sessions(&self, user: &str, keep: Option<&StoreKey>) -> Result<u64, Error>;
}
