use std::{
    fmt,
    sync::{
        Arc, Mutex, MutexGuard, OnceLock, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::SystemTime,
};

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use sesh_core::{Error, ErrorKind, Record, SessionId, StoreKey};

use crate::config::Shared;

/// One request's session: the axum extractor and the handle the layer
/// commits after the response.
///
/// Extracting it loads the record (one store read, only if the request
/// carried a session cookie). After that every method is synchronous: the
/// internal lock is never held across an `.await`. Clones share state.
///
/// Writes are tracked per key. When two requests of one session change
/// different keys at the same time, both changes are kept; when they change
/// the same key, the last one stored wins.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    incoming: Option<SessionId>,
    /// `incoming`'s store key, hashed once: the load and the commit of a
    /// write both need it.
    incoming_key: OnceLock<StoreKey>,
    /// Set, under the state lock, once `state` holds what the store had:
    /// a plain flag rather than an async once-cell, whose semaphore cost
    /// more than the memory store's whole read.
    loaded: AtomicBool,
    /// When the request arrived: one clock read serves the fresh record
    /// and the expiry check after loading.
    started: SystemTime,
    state: Mutex<State>,
}

/// The working copy of a session inside one request.
pub(crate) struct State {
    /// The stored record with this request's changes applied, or a fresh one.
    pub(crate) record: Record,
    /// The ID `record` is stored under; `None` until a new session is created.
    pub(crate) stored: Option<SessionId>,
    /// A stored session to delete at commit: destroyed, or rotated away from.
    pub(crate) retire: Option<SessionId>,
    /// What this request changed, for the per-key merge.
    pub(crate) changes: ChangeLog,
}

/// Which keys and flags one request changed; values are read from the
/// working record at commit.
#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    pub(crate) cleared: bool,
    /// The changed keys, each with `None` until the commit fills in its
    /// value: already in the shape of [`Changes::entries`](sesh_core::Changes),
    /// so the commit hands this vector over rather than building another.
    pub(crate) entries: Vec<(String, Option<Value>)>,
    pub(crate) persistent: Option<bool>,
    /// A new user binding (`Some(None)` unbinds).
    pub(crate) user: Option<Option<String>>,
}

impl ChangeLog {
    pub(crate) fn is_empty(&self) -> bool {
        !self.cleared && self.entries.is_empty() && self.persistent.is_none() && self.user.is_none()
    }

    fn mark(&mut self, key: &str) {
        if !self.entries.iter().any(|(k, _)| k == key) {
            self.entries.push((key.to_owned(), None));
        }
    }
}

impl State {
    /// Notes a changed key. Only a stored session's keys are noted: a new
    /// one is created whole at commit, so its log would go unread.
    fn note_change(&mut self, key: &str) {
        if self.stored.is_some() {
            self.changes.mark(key);
        }
    }
}

impl Session {
    pub(crate) fn new(shared: Arc<Shared>, incoming: Option<SessionId>) -> Self {
        let started = shared.clock.now();
        let record = Record::new(started, &shared.expiry);
        let state = State {
            record,
            stored: None,
            retire: None,
            changes: ChangeLog::default(),
        };
        Self {
            inner: Arc::new(Inner {
                shared,
                incoming,
                incoming_key: OnceLock::new(),
                loaded: AtomicBool::new(false),
                started,
                state: Mutex::new(state),
            }),
        }
    }

    /// Loads the record once per request; later calls return at once.
    ///
    /// Two clones extracted at the same moment (from spawned tasks) may
    /// both read the store; the first result to arrive is kept, so a later
    /// one never overwrites changes made since. A failed read loads
    /// nothing, and the next call tries again.
    pub(crate) async fn load(&self) -> Result<(), Error> {
        if self.is_loaded() {
            return Ok(());
        }
        let found = match &self.inner.incoming {
            // Another extraction that loaded meanwhile is as good.
            Some(id) => match self.fetch(id).await {
                Err(_) if self.is_loaded() => return Ok(()),
                fetched => fetched?,
            },
            None => None,
        };
        let mut state = self.lock();
        if !self.is_loaded() {
            if let Some(record) = found {
                state.record = record;
                state.stored.clone_from(&self.inner.incoming);
            }
            self.inner.loaded.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// The live record stored under `id`, if any.
    async fn fetch(&self, id: &SessionId) -> Result<Option<Record>, Error> {
        let found = match self.inner.shared.store.load(&self.key_of(id)).await {
            Ok(found) => found,
            Err(e) if e.kind() == ErrorKind::Decode => {
                // Corrupt, or written by an incompatible version: a request
                // must not fail for it, so it starts afresh under a new ID.
                tracing::warn!(session = %id.log_id(), error = %e, "stored session is unreadable; treating it as no session");
                None
            }
            Err(e) => {
                tracing::error!(session = %id.log_id(), error = %e, source = ?std::error::Error::source(&e), "loading the session failed");
                return Err(e);
            }
        };
        match found {
            Some(record) if !record.is_expired(self.inner.started) => Ok(Some(record)),
            Some(_) => {
                tracing::debug!(session = %id.log_id(), "session cookie names an expired session");
                Ok(None)
            }
            None => {
                tracing::debug!(session = %id.log_id(), "session cookie names no live session");
                Ok(None)
            }
        }
    }

    pub(crate) fn is_loaded(&self) -> bool {
        self.inner.loaded.load(Ordering::Acquire)
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    pub(crate) fn incoming(&self) -> Option<&SessionId> {
        self.inner.incoming.as_ref()
    }

    /// The store key of `id`, reusing the hash of the request's own ID.
    pub(crate) fn key_of(&self, id: &SessionId) -> StoreKey {
        match &self.inner.incoming {
            // The pointer test spares the constant-time compare when `id`
            // is the incoming ID itself, as on every load.
            Some(incoming) if std::ptr::eq(incoming, id) || incoming == id => {
                *self.inner.incoming_key.get_or_init(|| id.key())
            }
            _ => id.key(),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // Every mutation below completes before it can panic (serialization
        // happens before the lock is taken), so a poisoned state is whole.
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value under `key`, deserialized as `T`.
    ///
    /// # Errors
    /// [`ErrorKind::Serialization`](crate::ErrorKind::Serialization) if the
    /// stored value is not a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        let state = self.lock();
        match state.record.data.get(key) {
            Some(value) => Ok(Some(T::deserialize(value)?)),
            None => Ok(None),
        }
    }

    /// The raw JSON value under `key`.
    #[must_use]
    pub fn get_value(&self, key: &str) -> Option<Value> {
        self.lock().record.data.get(key).cloned()
    }

    /// Stores `value` under `key`. Storing what is already there is not a
    /// change and causes no write.
    ///
    /// # Errors
    /// [`ErrorKind::Serialization`](crate::ErrorKind::Serialization) if
    /// `value` has no JSON form (a map with non-string keys, say);
    /// [`ErrorKind::CookieTooLarge`](crate::ErrorKind::CookieTooLarge) if a
    /// client-side session would no longer fit its cookie (the session is
    /// then left as it was).
    pub fn insert<T: Serialize>(&self, key: &str, value: T) -> Result<(), Error> {
        let value = serde_json::to_value(value)?;
        let mut state = self.lock();
        let record = &mut state.record;
        // Overwriting in place: the usual write replaces a key that is
        // there, and needs no new copy of its name.
        let previous = match record.data.get_mut(key) {
            Some(slot) if *slot == value => return Ok(()),
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => {
                record.data.insert(key.to_owned(), value);
                None
            }
        };
        if let Err(too_large) = crate::client::check_fits(&self.inner.shared, record) {
            match (previous, record.data.get_mut(key)) {
                (Some(previous), Some(slot)) => *slot = previous,
                _ => drop(record.data.remove(key)),
            }
            return Err(too_large);
        }
        state.note_change(key);
        Ok(())
    }

    /// Removes `key`; says whether it was there.
    pub fn remove(&self, key: &str) -> bool {
        let mut state = self.lock();
        let existed = state.record.data.remove(key).is_some();
        if existed {
            state.note_change(key);
        }
        existed
    }

    /// Removes every key and the user binding (the session and its ID stay).
    pub fn clear(&self) {
        let mut state = self.lock();
        if !state.record.data.is_empty() {
            state.record.data.clear();
            state.changes.cleared = true;
            state.changes.entries.clear();
        }
        if state.record.user.is_some() {
            state.record.user = None;
            state.changes.user = Some(None);
        }
    }

    /// The keys present, in order (by their UTF-8 bytes).
    #[must_use]
    pub fn keys(&self) -> Vec<String> {
        self.lock().record.data.keys().map(str::to_owned).collect()
    }

    /// Whether the session holds no data.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lock().record.data.is_empty()
    }

    /// The ID the session is stored under: `None` for a session that is new
    /// in this request (its ID is chosen when it is stored), or whose ID is
    /// being rotated or destroyed. Treat it as a secret.
    #[must_use]
    pub fn id(&self) -> Option<SessionId> {
        self.lock().stored.clone()
    }

    /// Gives the session a new ID, keeping its data; the old ID stops
    /// working when the response is sent. Call it on login and on any
    /// privilege change, to defeat session fixation. The absolute deadline
    /// is not extended.
    pub fn cycle_id(&self) {
        let mut state = self.lock();
        if let Some(old) = state.stored.take() {
            state.retire = Some(old);
        }
    }

    /// Ends the session: its record is deleted and the browser told to drop
    /// the cookie; the user binding goes with it. Data inserted afterwards
    /// starts a new session, with a new ID.
    pub fn destroy(&self) {
        let shared = &self.inner.shared;
        let fresh = Record::new(shared.clock.now(), &shared.expiry);
        let mut state = self.lock();
        if let Some(old) = state.stored.take() {
            state.retire = Some(old);
        }
        state.record = fresh;
        state.changes = ChangeLog::default();
    }

    /// Makes the cookie outlive the browser ("remember me"), or go back to
    /// a browser-session cookie. A persistent cookie expires with the
    /// session: its `Max-Age` follows the idle deadline, within the
    /// absolute one.
    pub fn set_persistent(&self, persistent: bool) {
        let mut state = self.lock();
        if state.record.persistent != persistent {
            state.record.persistent = persistent;
            state.changes.persistent = Some(persistent);
        }
    }

    /// Whether the cookie outlives the browser.
    #[must_use]
    pub fn is_persistent(&self) -> bool {
        self.lock().record.persistent
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Session")
            .field("stored", &state.stored.as_ref().map(SessionId::log_id))
            .field("record", &state.record)
            .field("changes", &state.changes)
            .finish()
    }
}
