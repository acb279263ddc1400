use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use async_trait::async_trait;
use rand::Rng as _;

use crate::{Changes, Error, ErrorKind, Record, StoreKey};

/// The outcome of [`SessionStore::create`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Created {
    /// The record was inserted.
    Created,
    /// A live record already has this key; nothing was written.
    Collision,
}

/// The outcome of [`SessionStore::save`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Saved {
    /// The stored version matched and the record was replaced.
    Saved,
    /// The stored version differed, or there is no live record (it was
    /// deleted or expired); nothing was written.
    Conflict,
}

/// The outcome of [`SessionStore::apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Applied {
    /// The changes are stored.
    Applied,
    /// There is no live record to change: it was deleted (logout wins) or
    /// expired. Nothing was written.
    Gone,
}

/// How many conflicting saves [`SessionStore::apply`]'s default gives up after.
pub const MAX_SAVE_ATTEMPTS: u32 = 64;

/// Where sessions live. Implement this to add a backend; run
/// `sesh-store-tests` against it to check it keeps every promise below.
///
/// Records are addressed by [`StoreKey`] (a hash of the session ID); a
/// store never sees the ID itself.
///
/// No method may ever bring back a deleted or expired record except
/// `create`, and the layer only calls `create` with a fresh random ID: that
/// is what makes "logout wins" hold for requests still in flight.
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// The live record under `key`, or `None`. Never returns an expired record.
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error>;

    /// Inserts `record` if no live record has `key`, atomically.
    async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error>;

    /// Replaces the live record under `key` with `record` if its version is
    /// still `expected_version` (compare-and-swap); `record.version` is
    /// already the new version. Never inserts.
    async fn save(&self, key: &StoreKey, record: &Record, expected_version: u64) -> Result<Saved, Error>;

    /// Moves the idle deadline of the live record under `key` to
    /// `expires_at` without rewriting its data; a missing record stays missing.
    async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error>;

    /// Deletes the record under `key`. Deleting a missing record succeeds.
    async fn delete(&self, key: &StoreKey) -> Result<(), Error>;

    /// Stores one request's `changes`, merging them per key with whatever
    /// other requests stored meanwhile.
    ///
    /// `merged` is the record the request loaded with `changes` already
    /// applied and its loaded version unchanged. The default is
    /// [`apply_by_compare_and_swap`]. Stores that can merge atomically in
    /// one round trip should override it, and fall back to the default for
    /// changes that are not [plain](Changes::is_plain) (they run the
    /// application's read-modify-writes, which only this process can).
    async fn apply(&self, key: &StoreKey, merged: &Record, changes: &Changes) -> Result<Applied, Error> {
        apply_by_compare_and_swap(self, key, merged, changes).await
    }

    /// The store's per-user index, if it keeps one. Stores that implement
    /// [`UserIndex`] return `Some(self)`; the layer's user-session methods
    /// answer [`ErrorKind::Unsupported`] for stores that return `None`.
    fn user_index(&self) -> Option<&dyn UserIndex> {
        None
    }
}

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

/// Stores `changes` under `key` by compare-and-swap on the version:
/// `merged` (the record the request loaded, `changes` applied, its loaded
/// version unchanged) is saved if the stored version is still the loaded
/// one; on a conflict the record is loaded again, `changes` applied to it
/// (read-modify-writes run again, on the newer values) and saved again,
/// with jittered backoff, up to [`MAX_SAVE_ATTEMPTS`] times.
///
/// The default of [`SessionStore::apply`], and what a store with a merge of
/// its own calls for changes that are not [plain](Changes::is_plain).
///
/// # Errors
/// The store's errors; [`ErrorKind::Store`] after [`MAX_SAVE_ATTEMPTS`]
/// conflicts in a row.
pub async fn apply_by_compare_and_swap<S: SessionStore + ?Sized>(
    store: &S,
    key: &StoreKey,
    merged: &Record,
    changes: &Changes,
) -> Result<Applied, Error> {
    let mut record = merged.clone();
    for attempt in 0..MAX_SAVE_ATTEMPTS {
        let expected = record.version;
        record.version = expected.wrapping_add(1);
        if store.save(key, &record, expected).await? == Saved::Saved {
            return Ok(Applied::Applied);
        }
        #[cfg(feature = "metrics")]
        metrics::counter!("sesh_store_conflicts_total").increment(1);
        tokio::time::sleep(backoff(attempt)).await;
        match store.load(key).await? {
            Some(newer) => record = newer,
            None => return Ok(Applied::Gone),
        }
        changes.apply_to(&mut record);
    }
    Err(Error::msg(
        ErrorKind::Store,
        format!("{MAX_SAVE_ATTEMPTS} saves in a row lost a version race"),
    ))
}

/// Jittered exponential backoff: up to 0.25 ms doubling to a 16 ms cap, so
/// racing writers spread out instead of colliding again in lockstep.
fn backoff(attempt: u32) -> Duration {
    let cap_micros = 250u64 << attempt.min(6);
    Duration::from_micros(rand::rng().random_range(0..=cap_micros))
}

/// Stores that can delete all expired records in one pass, for backends
/// without native expiry (SQL). The memory store sweeps on its own.
#[async_trait]
pub trait SweepExpired: SessionStore {
    /// Deletes every record that has expired at `now`; returns how many.
    async fn delete_expired(&self, now: SystemTime) -> Result<u64, Error>;
}

macro_rules! forward_store {
    ($ty:ty) => {
        #[async_trait]
        impl<T: SessionStore + ?Sized> SessionStore for $ty {
            async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
                (**self).load(key).await
            }
            async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
                (**self).create(key, record).await
            }
            async fn save(&self, key: &StoreKey, record: &Record, expected: u64) -> Result<Saved, Error> {
                (**self).save(key, record, expected).await
            }
            async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
                (**self).touch(key, expires_at).await
            }
            async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
                (**self).delete(key).await
            }
            async fn apply(
                &self,
                key: &StoreKey,
                merged: &Record,
                changes: &Changes,
            ) -> Result<Applied, Error> {
                (**self).apply(key, merged, changes).await
            }
            fn user_index(&self) -> Option<&dyn UserIndex> {
                (**self).user_index()
            }
        }
    };
}

forward_store!(Arc<T>);
forward_store!(Box<T>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded() {
        for attempt in 0..100 {
            assert!(backoff(attempt) <= Duration::from_millis(16));
        }
    }
}
