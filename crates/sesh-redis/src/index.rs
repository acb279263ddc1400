//! The per-user index: one sorted set per user, `<prefix>user:<name>`,
//! holding the keys of sessions bound to that user, each scored by its
//! absolute deadline (ms).
//!
//! The set is a *superset* of the user's live sessions, kept so by three
//! rules that hold on Redis Cluster too (where the set and a session live
//! in different slots, so no one script may touch both):
//!
//! 1. A key joins the set **before** any record bound to that user is
//!    written under it (`create`; `save` and `apply` when they bind a user
//!    the stored record does not have). If the write then fails or loses a
//!    race, the set merely holds one key too many.
//! 2. The set expires no earlier than its latest member's absolute deadline
//!    plus a skew margin, and members are dropped only once their absolute
//!    deadline lies a skew margin in the past: no record can be live then,
//!    whatever it was touched to.
//! 3. Only `delete` and `delete_user_sessions` remove a key early, and only
//!    one they have just deleted themselves. Store keys are never reused
//!    after a delete (the layer creates every session under a fresh random
//!    ID), so the key cannot be live again.
//!
//! A key that is missing when listed is *not* removed: it may belong to a
//! `create` that has added it but not yet written the record. Listing
//! loads every member and returns the live ones still bound to the user,
//! so keys of expired or rebound sessions are never listed; they cost a
//! few bytes and one load per listing until a skew margin past their
//! absolute deadline.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use futures_util::future::join_all;
use sesh_core::{Error, ErrorKind, SessionStore, StoreKey, UserIndex, UserSession, unix_millis};

use crate::{RedisStore, scripts};

/// How far apart the clocks of application hosts may be: members are
/// pruned, and sets expire, this long after their absolute deadline.
const SKEW_MARGIN: Duration = Duration::from_secs(60);

impl RedisStore {
    fn index_key(&self, user: &str) -> String {
        format!("{}user:{user}", self.prefix())
    }

    /// Rule 1: records `key` under `user`, for a record with `absolute`
    /// as its absolute deadline. Must be awaited before the record is written.
    pub(crate) async fn index(&self, key: &StoreKey, user: &str, absolute: SystemTime) -> Result<(), Error> {
        let absolute = unix_millis(absolute);
        let expires = absolute.saturating_add(millis(SKEW_MARGIN));
        let _: i64 = self
            .write(
                scripts::INDEX_ADD
                    .key(self.index_key(user))
                    .arg(key.to_hex())
                    .arg(absolute)
                    .arg(prune_bound())
                    .arg(expires),
            )
            .await?;
        Ok(())
    }

    /// The keys in `user`'s set, after dropping those dead for good.
    async fn indexed(&self, user: &str) -> Result<Vec<StoreKey>, Error> {
        let mut conn = self.conn();
        let members: Vec<String> = self
            .run(
                scripts::INDEX_LIST
                    .key(self.index_key(user))
                    .arg(prune_bound())
                    .invoke_async(&mut conn),
            )
            .await?;
        members
            .iter()
            .map(|m| {
                StoreKey::from_hex(m).ok_or_else(|| {
                    Error::msg(
                        ErrorKind::Decode,
                        "a user index holds something other than a store key",
                    )
                })
            })
            .collect()
    }

    /// The live sessions among `keys` still bound to `user`. The loads are
    /// issued together, so they share one round trip.
    async fn live_of(&self, user: &str, keys: &[StoreKey]) -> Result<Vec<UserSession>, Error> {
        let loads = join_all(keys.iter().map(|key| self.load(key))).await;
        let mut found = Vec::new();
        for (key, loaded) in keys.iter().zip(loads) {
            if let Some(record) = loaded? {
                if record.user.as_deref() == Some(user) {
                    found.push(UserSession::new(*key, record));
                }
            }
        }
        Ok(found)
    }

    /// Deletes the session under `key` if it is bound to `user` right now.
    async fn delete_if_bound(&self, key: &StoreKey, user: &str) -> Result<bool, Error> {
        let mut conn = self.conn();
        let deleted: i64 = self
            .run(
                scripts::DELETE_IF_USER
                    .key(self.redis_key(key))
                    .arg(user)
                    .invoke_async(&mut conn),
            )
            .await?;
        Ok(deleted == 1)
    }

    /// Rule 3: drops keys whose sessions this store just deleted itself.
    ///
    /// Best effort: the sessions are gone whether or not this succeeds, and
    /// a key left behind only costs a load per listing until its absolute
    /// deadline, so a failure is logged, not returned.
    pub(crate) async fn forget(&self, user: &str, deleted: &[StoreKey]) {
        if deleted.is_empty() {
            return;
        }
        let mut conn = self.conn();
        let members: Vec<String> = deleted.iter().map(StoreKey::to_hex).collect();
        let removed: Result<i64, Error> = self
            .run(
                redis::cmd("ZREM")
                    .arg(self.index_key(user))
                    .arg(members)
                    .query_async(&mut conn),
            )
            .await;
        if let Err(error) = removed {
            tracing::warn!(
                %error,
                keys = deleted.len(),
                "deleted sessions stay in their user's index until their absolute deadline"
            );
        }
    }
}

#[async_trait]
impl UserIndex for RedisStore {
    async fn user_sessions(&self, user: &str) -> Result<Vec<UserSession>, Error> {
        let keys = self.indexed(user).await?;
        let mut found = self.live_of(user, &keys).await?;
        found.sort_by_key(|s| (s.record.created_at, s.key));
        Ok(found)
    }

    async fn delete_user_sessions(&self, user: &str, keep: Option<&StoreKey>) -> Result<u64, Error> {
        let keys: Vec<StoreKey> = self
            .indexed(user)
            .await?
            .into_iter()
            .filter(|k| Some(k) != keep)
            .collect();
        let outcomes = join_all(keys.iter().map(|key| self.delete_if_bound(key, user))).await;
        let mut deleted = Vec::new();
        for (key, outcome) in keys.iter().zip(outcomes) {
            if outcome? {
                deleted.push(*key);
            }
        }
        self.forget(user, &deleted).await;
        Ok(deleted.len() as u64)
    }
}

/// Members whose absolute deadline is before this (ms) are dead for good.
fn prune_bound() -> u64 {
    unix_millis(SystemTime::now()).saturating_sub(millis(SKEW_MARGIN))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
