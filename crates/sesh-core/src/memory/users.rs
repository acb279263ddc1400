//! The memory store's per-user index: sessions listed and ended by user.

use std::time::SystemTime;

use async_trait::async_trait;

use super::{MemoryStore, entry::nanos};
use crate::{Error, StoreKey, UserIndex, UserSession};

#[async_trait]
impl UserIndex for MemoryStore {
    async fn user_sessions(&self, user: &str) -> Result<Vec<UserSession>, Error> {
        let now = nanos(SystemTime::now());
        let mut users = self.inner.users();
        let Some(keys) = users.get_mut(user) else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        keys.retain(|key| match self.read(key).get(key) {
            Some(e) if !e.is_expired(now) => {
                if e.user() == Some(user) {
                    found.push(UserSession::new(*key, e.to_record()));
                }
                true
            }
            _ => false,
        });
        if keys.is_empty() {
            users.remove(user);
        }
        drop(users);
        found.sort_by_key(|s| (s.record.created_at, s.key));
        Ok(found)
    }

    async fn delete_user_sessions(&self, user: &str, keep: Option<&StoreKey>) -> Result<u64, Error> {
        let now = nanos(SystemTime::now());
        let keys: Vec<StoreKey> = self
            .inner
            .users()
            .get(user)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        let mut deleted = 0;
        for key in keys.iter().filter(|k| Some(*k) != keep) {
            let mut shard = self.write(key);
            if MemoryStore::live_mut(&mut shard, key, now).is_some_and(|e| e.user() == Some(user)) {
                shard.remove(key);
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}
