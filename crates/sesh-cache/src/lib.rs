//! An in-process cache in front of any sesh [`SessionStore`]: reads of a
//! recently seen session cost no round trip to Redis or SQL.
//!
//! ```
//! use sesh_cache::CachingStore;
//! use sesh_core::MemoryStore; // stands in for RedisStore or PostgresStore
//! use std::time::Duration;
//!
//! let store = CachingStore::new(MemoryStore::new())
//!     .time_to_live(Duration::from_secs(5))
//!     .max_capacity(100_000);
//! # let _ = store;
//! ```
//!
//! # What it keeps correct
//! Every write goes to the wrapped store first, with its version checks, so
//! concurrent writers still merge per key and nothing is lost. On this
//! process, a read after a write sees the write, and a deleted session
//! (logout, rotation, "log out everywhere") is remembered as gone, so it
//! cannot be served from the cache again.
//!
//! # Its limits across several app servers
//! Each process has its own cache and hears nothing of the others' writes.
//! For up to the time to live (default 5 seconds) another server may:
//! - serve a session's older data (a read that misses a write made
//!   elsewhere; the write itself is never lost);
//! - keep accepting a session that was logged out or rotated elsewhere.
//!
//! So use a short time to live, keep a load balancer's sticky sessions if
//! you have them, and do not cache when a logout must take effect
//! everywhere at once (a bank, an admin console).
//!
//! # Round trips
//! A hit costs none; a miss costs the wrapped store's `load` (a new
//! session's first read is a miss). `apply` costs the wrapped store's
//! `apply` alone: when the cache holds the very version the request
//! loaded, the same changes are applied to it, so the next read is a hit;
//! otherwise (nothing cached, or a concurrent write on this process landed
//! in between) the next read asks the store, and a load already in flight
//! cannot put the older record back.

// The README's example, compiled and run with the doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};

use async_trait::async_trait;
use moka::{Expiry, ops::compute::Op, sync::Cache};
use sesh_core::{
    Applied, Changes, Created, Error, Record, Saved, SessionStore, StoreKey, UserIndex, UserSession,
};

/// A cached entry.
#[derive(Clone)]
enum Cached {
    /// A record as the wrapped store returned or stored it.
    Live(Arc<Record>),
    /// A cached record with this process's own write (or touch) applied.
    /// It keeps the expiry of the entry it replaced: the cache never serves
    /// an entry longer than the time to live after it last asked the store.
    Advanced(Arc<Record>),
    /// A write landed whose result this cache does not know: a miss, and a
    /// load that read version `after` or older (one already in flight when
    /// the write landed) must not fill it.
    Pending { after: u64 },
    /// The session is known to be gone.
    Gone,
}

impl Cached {
    fn record(&self) -> Option<&Arc<Record>> {
        match self {
            Self::Live(record) | Self::Advanced(record) => Some(record),
            Self::Pending { .. } | Self::Gone => None,
        }
    }
}

/// Entries live `ttl` from when they were last filled from the wrapped
/// store; advancing one with a local write does not extend it.
struct Lifetime {
    ttl: Duration,
}

impl Expiry<StoreKey, Cached> for Lifetime {
    fn expire_after_create(&self, _: &StoreKey, _: &Cached, _: Instant) -> Option<Duration> {
        Some(self.ttl)
    }

    fn expire_after_update(
        &self,
        _: &StoreKey,
        value: &Cached,
        _: Instant,
        duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        match value {
            Cached::Advanced(_) => duration_until_expiry,
            _ => Some(self.ttl),
        }
    }
}

/// Caches the records of any [`SessionStore`] in process memory (with
/// [moka](https://docs.rs/moka)); see the [crate docs](crate) for what
/// stays correct across several app servers and what does not.
pub struct CachingStore<S> {
    inner: S,
    cache: Cache<StoreKey, Cached>,
    /// Bumped by every bulk delete: a load that started before one must not
    /// fill the cache with what it read.
    epoch: AtomicU64,
    ttl: Duration,
    capacity: u64,
}

const DEFAULT_TTL: Duration = Duration::from_secs(5);
const DEFAULT_CAPACITY: u64 = 100_000;

impl<S: SessionStore> CachingStore<S> {
    /// Caches `inner`'s records for 5 seconds, at most 100 000 of them.
    pub fn new(inner: S) -> Self {
        Self::build(inner, DEFAULT_TTL, DEFAULT_CAPACITY)
    }

    fn build(inner: S, ttl: Duration, capacity: u64) -> Self {
        let cache = Cache::builder()
            .expire_after(Lifetime { ttl })
            .max_capacity(capacity)
            .build();
        Self {
            inner,
            cache,
            epoch: AtomicU64::new(0),
            ttl,
            capacity,
        }
    }

    /// How long an entry may be served without asking the wrapped store:
    /// the window in which other app servers' writes go unseen.
    #[must_use]
    pub fn time_to_live(self, ttl: Duration) -> Self {
        Self::build(self.inner, ttl, self.capacity)
    }

    /// How many sessions to keep cached at most (least recently used go first).
    #[must_use]
    pub fn max_capacity(self, capacity: u64) -> Self {
        Self::build(self.inner, self.ttl, capacity)
    }

    /// The wrapped store.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Caches `record` unless the cache knows better: the session is gone,
    /// or a newer version is cached, or a bulk delete ran since `epoch`.
    fn fill(&self, key: &StoreKey, record: &Record, epoch: u64) {
        self.cache.entry(*key).and_compute_with(|current| {
            if self.epoch.load(Ordering::Acquire) != epoch {
                return Op::Nop;
            }
            match current.map(moka::Entry::into_value) {
                Some(Cached::Gone) => Op::Nop,
                Some(Cached::Pending { after }) if record.version <= after => Op::Nop,
                Some(cached) if cached.record().is_some_and(|c| c.version >= record.version) => Op::Nop,
                _ => Op::Put(Cached::Live(Arc::new(record.clone()))),
            }
        });
    }

    fn forget(&self, key: &StoreKey) {
        self.cache.insert(*key, Cached::Gone);
    }

    /// After the wrapped store applied `changes` to the version `loaded`:
    /// the cached record advances to that write's result if it is still the
    /// version the request loaded. Otherwise the result is unknown here, so
    /// the entry becomes [`Cached::Pending`]: the next read asks the store,
    /// and a load already in flight cannot put the older record back. A
    /// reload instead would cost a second round trip on every write.
    fn advance(&self, key: &StoreKey, loaded: u64, changes: &Changes) {
        self.cache
            .entry(*key)
            .and_compute_with(|current| match current.map(moka::Entry::into_value) {
                Some(Cached::Gone) => Op::Nop,
                // A read-modify-write may have run on a newer record than
                // the one cached: only the store knows what it wrote.
                Some(Cached::Live(cached) | Cached::Advanced(cached))
                    if cached.version == loaded && changes.is_plain() =>
                {
                    let mut record = Record::clone(&cached);
                    changes.apply_to(&mut record);
                    record.version = loaded.wrapping_add(1);
                    Op::Put(Cached::Advanced(Arc::new(record)))
                }
                Some(Cached::Live(cached) | Cached::Advanced(cached)) => Op::Put(Cached::Pending {
                    after: cached.version.max(loaded),
                }),
                Some(Cached::Pending { after }) => Op::Put(Cached::Pending {
                    after: after.max(loaded),
                }),
                None => Op::Put(Cached::Pending { after: loaded }),
            });
    }
}

#[async_trait]
impl<S: SessionStore> SessionStore for CachingStore<S> {
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        match self.cache.get(key) {
            Some(Cached::Gone) => return Ok(None),
            Some(cached) => {
                if let Some(record) = cached.record().filter(|r| !r.is_expired(SystemTime::now())) {
                    return Ok(Some(Record::clone(record)));
                }
            }
            None => {}
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let found = self.inner.load(key).await?;
        if let Some(record) = &found {
            self.fill(key, record, epoch);
        }
        Ok(found)
    }

    async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
        let created = self.inner.create(key, record).await?;
        if created == Created::Created {
            // Not cached until it is read back: most new sessions (bots,
            // one-off visits) never are, and caching each one made moka
            // evict inline under bursts of new sessions (p99 reads of 200 ms
            // in the HTTP benchmark). A fresh key may replace an expired
            // record cached as gone.
            self.cache.invalidate(key);
        }
        Ok(created)
    }

    async fn save(&self, key: &StoreKey, record: &Record, expected: u64) -> Result<Saved, Error> {
        let epoch = self.epoch.load(Ordering::Acquire);
        let saved = self.inner.save(key, record, expected).await?;
        match saved {
            Saved::Saved => self.fill(key, record, epoch),
            // The cache held an older version: drop it, so the retry reads the store.
            Saved::Conflict => self.cache.invalidate(key),
        }
        Ok(saved)
    }

    async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
        self.inner.touch(key, expires_at).await?;
        self.cache
            .entry(*key)
            .and_compute_with(|current| match current.map(moka::Entry::into_value) {
                Some(Cached::Live(record) | Cached::Advanced(record)) => {
                    let mut record = Record::clone(&record);
                    record.expires_at = expires_at.min(record.absolute_deadline);
                    Op::Put(Cached::Advanced(Arc::new(record)))
                }
                _ => Op::Nop,
            });
        Ok(())
    }

    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        self.inner.delete(key).await?;
        self.forget(key);
        Ok(())
    }

    async fn apply(&self, key: &StoreKey, merged: &Record, changes: &Changes) -> Result<Applied, Error> {
        let loaded = merged.version;
        let applied = self.inner.apply(key, merged, changes).await?;
        match applied {
            Applied::Applied => self.advance(key, loaded, changes),
            Applied::Gone => self.forget(key),
        }
        Ok(applied)
    }

    fn user_index(&self) -> Option<&dyn UserIndex> {
        self.inner.user_index().map(|_| self as &dyn UserIndex)
    }
}

#[async_trait]
impl<S: SessionStore> UserIndex for CachingStore<S> {
    async fn user_sessions(&self, user: &str) -> Result<Vec<UserSession>, Error> {
        // Always from the wrapped store: its index is the truth.
        index_of(&self.inner)?.user_sessions(user).await
    }

    async fn delete_user_sessions(&self, user: &str, keep: Option<&StoreKey>) -> Result<u64, Error> {
        let deleted = index_of(&self.inner)?.delete_user_sessions(user, keep).await?;
        // Loads in flight must not refill what was just deleted.
        self.epoch.fetch_add(1, Ordering::AcqRel);
        for (key, cached) in &self.cache {
            if let Some(record) = cached.record()
                && record.user.as_deref() == Some(user)
                && Some(&*key) != keep
            {
                self.forget(&key);
            }
        }
        Ok(deleted)
    }
}

fn index_of<S: SessionStore>(store: &S) -> Result<&dyn UserIndex, Error> {
    store.user_index().ok_or_else(|| {
        Error::msg(
            sesh_core::ErrorKind::Unsupported,
            "the wrapped session store keeps no per-user index",
        )
    })
}

impl<S: fmt::Debug> fmt::Debug for CachingStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingStore")
            .field("inner", &self.inner)
            .field("time_to_live", &self.ttl)
            .field("max_capacity", &self.capacity)
            .field("cached", &self.cache.entry_count())
            .finish_non_exhaustive()
    }
}
