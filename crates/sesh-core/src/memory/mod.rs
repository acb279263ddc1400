mod entry;
mod inspect;
mod key;
mod users;

use std::{
    collections::{HashMap, HashSet, hash_map},
    fmt,
    hash::{BuildHasherDefault, Hasher},
    sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak},
    time::{Duration, SystemTime},
};

use async_trait::async_trait;

use crate::{
    Applied, Changes, Created, Error, Record, Saved, SessionStore, StoreKey, SweepExpired, UserIndex,
};
use entry::{Entry, nanos};

const SHARDS: usize = 64;
const DEFAULT_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Sessions in this process's memory: the embedded default.
///
/// Sharded 64 ways by key, each shard behind its own lock, so requests for
/// different sessions do not contend. Expired records are never returned;
/// a background task (started when the store is created inside a Tokio
/// runtime) sweeps them every minute and stops when the store is dropped.
///
/// Sessions are lost on restart and are not shared between processes; use
/// a Redis or SQL store for that.
///
/// ```
/// use std::time::Duration;
/// use sesh_core::MemoryStore;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// // Inside a Tokio runtime, so the sweeper starts; in an app, hand it to
/// // the layer: `SessionLayer::new(store.clone())`.
/// let store = MemoryStore::with_sweep_interval(Duration::from_secs(30));
/// assert!(store.is_empty());
/// # }
/// ```
///
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

// Boxed: a table keeps a quarter or more of its slots empty, and an empty
// slot then costs 40 bytes, not the entry's 160.
type Shard = HashMap<StoreKey, Box<Entry>, BuildHasherDefault<KeyHasher>>;

/// User name to the keys of sessions that were bound to that user: a
/// superset of the user's live sessions, pruned lazily.
type Users = HashMap<String, HashSet<StoreKey>>;

struct Inner {
    shards: Box<[RwLock<Shard>]>,
    // Lock order: `users` before any shard, never the other way.
    users: Mutex<Users>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store, sweeping expired records every 60 seconds.
    #[must_use]
    pub fn new() -> Self {
        Self::with_sweep_interval(DEFAULT_SWEEP_INTERVAL)
    }

    /// An empty store sweeping expired records every `interval`. Without a
    /// Tokio runtime at hand no task is started; expired records are then
    /// still never returned, and [`sweep`](Self::sweep) frees them.
    #[must_use]
    pub fn with_sweep_interval(interval: Duration) -> Self {
        let shards = (0..SHARDS).map(|_| RwLock::default()).collect();
        let inner = Arc::new(Inner {
            shards,
            users: Mutex::default(),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(sweep_forever(Arc::downgrade(&inner), interval));
        }
        Self { inner }
    }

    /// How many records are held, expired ones not yet swept included.
    #[must_use]
    pub fn len(&self) -> usize {
        (0..SHARDS).map(|i| self.inner.read(i).len()).sum()
    }

    /// Whether no record is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every record expired at `now`; returns how many.
    pub fn sweep(&self, now: SystemTime) -> usize {
        self.inner.sweep(now)
    }

    fn shard_of(key: &StoreKey) -> usize {
        // The key is a SHA-256, so any of its bytes is uniformly random.
        usize::from(key.as_bytes()[31]) % SHARDS
    }

    fn read(&self, key: &StoreKey) -> RwLockReadGuard<'_, Shard> {
        self.inner.read(Self::shard_of(key))
    }

    fn write(&self, key: &StoreKey) -> RwLockWriteGuard<'_, Shard> {
        self.inner.write(Self::shard_of(key))
    }

    /// The entry under `key` unless it expired at `now` (from [`nanos`]).
    fn live_mut<'a>(shard: &'a mut Shard, key: &StoreKey, now: u64) -> Option<&'a mut Entry> {
        shard.get_mut(key).map(Box::as_mut).filter(|e| !e.is_expired(now))
    }
}

impl Inner {
    // A panic while a shard is locked leaves its map intact (every write is
    // a single insert, remove or field store), so a poisoned lock is usable.
    fn read(&self, shard: usize) -> RwLockReadGuard<'_, Shard> {
        self.shards[shard]
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self, shard: usize) -> RwLockWriteGuard<'_, Shard> {
        self.shards[shard]
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn users(&self) -> MutexGuard<'_, Users> {
        self.users
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn remember(&self, user: Option<&str>, key: &StoreKey) {
        if let Some(user) = user {
            self.users().entry(user.to_owned()).or_default().insert(*key);
        }
    }

    fn is_live(&self, key: &StoreKey, now: u64) -> bool {
        self.read(MemoryStore::shard_of(key))
            .get(key)
            .is_some_and(|e| !e.is_expired(now))
    }

    /// Drops index entries whose session is gone for good (deleted or
    /// expired: neither ever comes back).
    fn prune_users(&self, now: u64) {
        let mut users = self.users();
        users.retain(|_, keys| {
            keys.retain(|key| self.is_live(key, now));
            !keys.is_empty()
        });
    }

    fn sweep(&self, now: SystemTime) -> usize {
        let now = nanos(now);
        let mut removed = 0;
        for i in 0..SHARDS {
            // One shard at a time, so requests wait for one shard's sweep at most.
            let mut shard = self.write(i);
            let before = shard.len();
            shard.retain(|_, e| !e.is_expired(now));
            removed += before - shard.len();
            // Give memory back once a shard holds under a quarter of what it
            // has room for; the slack keeps a busy shard from shrinking and
            // regrowing every sweep.
            let (len, capacity) = (shard.len(), shard.capacity());
            if len < capacity / 4 {
                shard.shrink_to(len * 2);
            }
        }
        if removed > 0 {
            self.prune_users(now);
        }
        removed
    }
}

async fn sweep_forever(inner: Weak<Inner>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        let removed = inner.sweep(SystemTime::now());
        if removed > 0 {
            tracing::debug!(removed, "swept expired sessions from memory");
        }
    }
}

// Nothing here ever waits: every call takes a shard lock for a moment.
#[async_trait]
impl SessionStore for MemoryStore {
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        let now = nanos(SystemTime::now());
        let shard = self.read(key);
        Ok(shard
            .get(key)
            .filter(|e| !e.is_expired(now))
            .map(|e| e.to_record()))
    }

    async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
        // Built before any lock is taken, so the locks are held for the
        // insert alone.
        let entry = Box::new(Entry::new(record));
        // Indexed and inserted under the index lock, so a listing that
        // prunes dead keys cannot run between the two and drop this one.
        let users = record.user.is_some().then(|| self.inner.users());
        let mut shard = self.write(key);
        // One probe of the table for the check and the insert: in a store
        // of millions of sessions each probe is a cache miss.
        match shard.entry(*key) {
            // The clock is read only here: a fresh key is almost never
            // taken, and a read cost about 100 instructions a new session.
            hash_map::Entry::Occupied(stored) if !stored.get().is_expired(nanos(SystemTime::now())) => {
                return Ok(Created::Collision);
            }
            hash_map::Entry::Occupied(mut expired) => drop(expired.insert(entry)),
            hash_map::Entry::Vacant(slot) => drop(slot.insert(entry)),
        }
        if let (Some(mut users), Some(user)) = (users, &record.user) {
            users.entry(user.clone()).or_default().insert(*key);
        }
        Ok(Created::Created)
    }

    async fn save(&self, key: &StoreKey, record: &Record, expected: u64) -> Result<Saved, Error> {
        self.inner.remember(record.user.as_deref(), key);
        let mut shard = self.write(key);
        match Self::live_mut(&mut shard, key, nanos(SystemTime::now())) {
            Some(stored) if stored.version() == expected => {
                stored.assign(record);
                Ok(Saved::Saved)
            }
            _ => Ok(Saved::Conflict),
        }
    }

    async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
        let mut shard = self.write(key);
        if let Some(stored) = Self::live_mut(&mut shard, key, nanos(SystemTime::now())) {
            stored.touch(expires_at);
        }
        Ok(())
    }

    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        self.write(key).remove(key);
        Ok(())
    }

    async fn apply(&self, key: &StoreKey, _merged: &Record, changes: &Changes) -> Result<Applied, Error> {
        // Merging under the shard lock makes every apply atomic: no version
        // race, no retry.
        self.inner
            .remember(changes.user.as_ref().and_then(Option::as_deref), key);
        let mut shard = self.write(key);
        match Self::live_mut(&mut shard, key, nanos(SystemTime::now())) {
            Some(stored) => {
                stored.apply(changes);
                Ok(Applied::Applied)
            }
            None => Ok(Applied::Gone),
        }
    }

    fn user_index(&self) -> Option<&dyn UserIndex> {
        Some(self)
    }
}

#[async_trait]
impl SweepExpired for MemoryStore {
    async fn delete_expired(&self, now: SystemTime) -> Result<u64, Error> {
        Ok(self.sweep(now) as u64)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore").field("len", &self.len()).finish()
    }
}

/// Keys are SHA-256 digests already: hashing them again would be wasted work.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(word);
        }
    }
}
