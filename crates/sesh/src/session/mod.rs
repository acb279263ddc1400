//! The [`Session`] handle a handler works on: reading and writing its
//! data, rotating and destroying it. Loading lives in `load.rs`, users in
//! `users.rs`, the working state in `state.rs`.

use std::{
    fmt,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::SystemTime,
};

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use sesh_core::{Error, ErrorKind, Record, SessionId, Update};

use crate::{config::Config, transport::Via};

mod commit;
#[cfg(feature = "axum")]
mod extract;
mod lifecycle;
mod load;
mod state;
mod typed;
mod users;

use state::json_len;
pub(crate) use state::{Candidate, ChangeLog, Incoming, Retired, State, Told};
pub use typed::SessionValue;

/// What a session used before it was loaded says, naming the fix.
const NOT_LOADED: &str = "the session was used before it was loaded: call `session.load().await?` \
                          first (the axum extractor does it for you)";

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
///
/// # Outside axum
/// The layer puts a `Session` in every request's extensions, not loaded
/// yet. Any tower service or middleware may take it from there and call
/// [`load`](Self::load); a session used before it is loaded would read
/// nothing and lose its writes, so instead the methods that return a
/// `Result` fail with [`ErrorKind::NotLoaded`], and the others panic with
/// the same message, naming the fix.
///
/// ```
/// use axum::{Router, routing::{get, post}};
/// use sesh::{MemoryStore, Session, SessionLayer};
///
/// async fn show_cart(session: Session) -> Result<String, sesh::Error> {
///     let items: Vec<String> = session.get("cart")?.unwrap_or_default();
///     Ok(items.join(", "))
/// }
///
/// async fn sign_out(session: Session) -> &'static str {
///     session.destroy(); // the record is deleted and the cookie removed after the response
///     "bye"
/// }
///
/// let app: Router = Router::new()
///     .route("/cart", get(show_cart))
///     .route("/sign-out", post(sign_out))
///     .layer(SessionLayer::new(MemoryStore::new()));
/// ```
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    config: Arc<Config>,
    /// The IDs the request offered, in order, at most
    /// `MAX_CANDIDATES` (`request/mod.rs`): the first that
    /// names a live session is loaded.
    candidates: Vec<Candidate>,
    /// Set, under the state lock, once `state` holds what the store had:
    /// a plain flag rather than an async once-cell, whose semaphore cost
    /// more than the memory store's whole read.
    loaded: AtomicBool,
    /// When the request arrived: one clock read serves the fresh record
    /// and the expiry check after loading.
    started: SystemTime,
    state: Mutex<State>,
}

impl Session {
    /// A session for a request that offered `candidates` (none: a new visitor).
    pub(crate) fn new(config: Arc<Config>, candidates: Vec<Candidate>, via: Via) -> Self {
        let started = config.clock.now();
        let record = Record::new(started, &config.expiry);
        Self::with_state(config, candidates, started, record, None, via)
    }

    /// A client-side session, already opened from its cookie: nothing to load.
    pub(crate) fn client_side(
        config: Arc<Config>,
        id: SessionId,
        record: Record,
        reissue: bool,
        via: Via,
    ) -> Self {
        let started = config.clock.now();
        let incoming = Incoming {
            key: id.key(),
            id,
            reissue,
            via,
        };
        Self::with_state(config, Vec::new(), started, record, Some(incoming), via)
    }

    /// A new, empty session, already loaded: what a request without a
    /// cookie gets once a handler extracts it.
    pub(crate) fn fresh(config: Arc<Config>) -> Self {
        let session = Self::new(config, Vec::new(), Via::Cookie);
        session.inner.loaded.store(true, Ordering::Release);
        session
    }

    fn with_state(
        config: Arc<Config>,
        candidates: Vec<Candidate>,
        started: SystemTime,
        record: Record,
        incoming: Option<Incoming>,
        via: Via,
    ) -> Self {
        let state = State {
            record: Arc::new(record),
            stored: incoming.as_ref().map(|i| i.id.clone()),
            incoming,
            retire: None,
            changes: ChangeLog::default(),
            size: None,
            told: Told::Nothing,
            via,
        };
        Self {
            inner: Arc::new(Inner {
                config,
                candidates,
                loaded: AtomicBool::new(false),
                started,
                state: Mutex::new(state),
            }),
        }
    }

    /// Whether the loaded session came sealed under a previous key, so the
    /// response re-issues it under the current one.
    pub(crate) fn reissue(&self) -> bool {
        self.lock().incoming.as_ref().is_some_and(|i| i.reissue)
    }

    /// A salted hash of the ID the request came with, for logs.
    pub(crate) fn incoming_log_id(&self) -> Option<sesh_core::LogId> {
        self.lock().incoming.as_ref().map(|i| i.id.log_id())
    }

    pub(crate) fn is_loaded(&self) -> bool {
        self.inner.loaded.load(Ordering::Acquire)
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // Every mutation below completes before it can panic (serialization
        // happens before the lock is taken), so a poisoned state is whole.
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// [`ErrorKind::NotLoaded`] before [`load`](Self::load).
    fn ensure_loaded(&self) -> Result<(), Error> {
        if self.is_loaded() {
            Ok(())
        } else {
            Err(Error::msg(ErrorKind::NotLoaded, NOT_LOADED))
        }
    }

    /// The state, once loaded; [`ErrorKind::NotLoaded`] before.
    fn loaded(&self) -> Result<MutexGuard<'_, State>, Error> {
        self.ensure_loaded()?;
        Ok(self.lock())
    }

    /// The state, once loaded, for the methods that return no `Result`.
    ///
    /// # Panics
    /// Before [`load`](Self::load), with [`NOT_LOADED`]: a program that
    /// uses an unloaded session would read nothing and lose its writes.
    #[track_caller]
    fn loaded_or_panic(&self) -> MutexGuard<'_, State> {
        assert!(self.is_loaded(), "{NOT_LOADED}");
        self.lock()
    }

    /// The value under `key`, deserialized as `T`.
    ///
    /// # Errors
    /// [`ErrorKind::Serialization`] if the
    /// stored value is not a `T`. The error names the key and the type,
    /// never the value, which may be a secret.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        let state = self.loaded()?;
        let Some(value) = state.record.data.get(key) else {
            return Ok(None);
        };
        T::deserialize(value).map(Some).map_err(|_| {
            Error::msg(
                ErrorKind::Serialization,
                format!(
                    "the value under {key:?} is not a {}: read it as the type it was stored as",
                    std::any::type_name::<T>()
                ),
            )
        })
    }

    /// The raw JSON value under `key`.
    #[must_use]
    pub fn get_value(&self, key: &str) -> Option<Value> {
        self.loaded_or_panic().record.data.get(key).cloned()
    }

    /// Stores `value` under `key`. Storing what is already there is not a
    /// change and causes no write.
    ///
    /// # Errors
    /// [`ErrorKind::Serialization`] if
    /// `value` has no JSON form (a map with non-string keys, say);
    /// [`ErrorKind::TooLarge`] if the session's
    /// data would grow past the layer's
    /// [`max_data_bytes`](crate::SessionLayer::max_data_bytes);
    /// [`ErrorKind::CookieTooLarge`] if a
    /// client-side session would no longer fit its cookie. On an error the
    /// session is left as it was.
    pub fn insert<T: Serialize>(&self, key: &str, value: T) -> Result<(), Error> {
        let value = serde_json::to_value(value)?;
        let mut state = self.loaded()?;
        if self.put(&mut state, key, value)? {
            state.note_change(key);
        }
        Ok(())
    }

    /// Changes the value under `key` with `f`, given the value there
    /// (`None` if absent, or not a `T`), and returns the new value: a
    /// read-modify-write that loses no update to a concurrent request.
    ///
    /// Where [`get`](Self::get) then [`insert`](Self::insert) would store
    /// this request's result over another's (two tabs adding to one cart,
    /// the later write wins), `update` runs `f` again when the session is
    /// stored, on the value the store holds then: two requests each adding
    /// one end with both added. So `f` must be quick and free of side
    /// effects, and may run more than once. The value this request stores
    /// can differ from the one returned here, when another request changed
    /// the key meanwhile.
    ///
    /// ```
    /// # async fn add_to_cart(session: sesh::Session) -> Result<(), sesh::Error> {
    /// let count: u64 = session.update("cart_items", |n: Option<u64>| n.unwrap_or(0) + 1)?;
    /// # let _ = count; Ok(()) }
    /// ```
    ///
    /// Stores that merge changes themselves (Redis, PostgreSQL) store a
    /// request with updates by compare-and-swap instead, one more round trip
    /// or two; the memory store runs `f` under its lock.
    ///
    /// # Errors
    /// As [`insert`](Self::insert).
    pub fn update<T, F>(&self, key: &str, f: F) -> Result<T, Error>
    where
        T: Serialize + DeserializeOwned + 'static,
        F: Fn(Option<T>) -> T + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let mut state = self.loaded()?;
        let old = state.record.data.get(key).and_then(|v| T::deserialize(v).ok());
        let new = f(old);
        self.put(&mut state, key, serde_json::to_value(&new)?)?;
        let rerun = Update::new(move |current: Option<&Value>| {
            let old = current.and_then(|v| T::deserialize(v).ok());
            // Serializing a `T` failed nowhere else: keep the value there.
            serde_json::to_value(f(old)).ok().or_else(|| current.cloned())
        });
        state.note_update(key, rerun);
        Ok(new)
    }

    /// Puts `value` under `key` in the working record within the size
    /// limits; `false` if it was there already.
    fn put(&self, state: &mut State, key: &str, value: Value) -> Result<bool, Error> {
        let limit = self.config().max_data_bytes;
        let old_len = match state.record.data.get(key) {
            Some(old) if *old == value => return Ok(false),
            Some(old) => key.len() + json_len(old),
            None => 0,
        };
        let size = state.size();
        let grown = size - old_len + key.len() + json_len(&value);
        if grown > limit && grown > size {
            return Err(Error::msg(
                ErrorKind::TooLarge,
                format!(
                    "storing {key:?} would make the session's data {grown} bytes, over its limit of \
                     {limit}: keep large data elsewhere, or raise SessionLayer::max_data_bytes"
                ),
            ));
        }
        let record = state.record_mut();
        let previous = record.data.insert(key.to_owned(), value);
        if let Err(too_large) = crate::client_side::check_fits(&self.inner.config, record) {
            match previous {
                Some(previous) => drop(record.data.insert(key.to_owned(), previous)),
                None => drop(record.data.remove(key)),
            }
            return Err(too_large);
        }
        state.size = Some(grown);
        Ok(true)
    }

    /// Removes `key`; says whether it was there.
    pub fn remove(&self, key: &str) -> bool {
        let mut state = self.loaded_or_panic();
        let existed = state.record.data.contains_key(key);
        if existed {
            state.record_mut().data.remove(key);
            state.note_change(key);
            state.uncount();
        }
        existed
    }

    /// Removes every key and the user binding (the session and its ID stay).
    pub fn clear(&self) {
        let mut state = self.loaded_or_panic();
        if !state.record.data.is_empty() {
            state.record_mut().data.clear();
            state.changes.cleared = true;
            state.changes.keys.clear();
            state.uncount();
        }
        if state.record.user.is_some() {
            state.record_mut().user = None;
            state.changes.user = Some(None);
        }
    }

    /// The keys present, in order (by their UTF-8 bytes).
    #[must_use]
    pub fn keys(&self) -> Vec<String> {
        self.loaded_or_panic()
            .record
            .data
            .keys()
            .map(str::to_owned)
            .collect()
    }

    /// Whether the session holds no data.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.loaded_or_panic().record.data.is_empty()
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
