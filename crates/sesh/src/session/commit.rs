//! Storing what a request changed: after its handler answered (the
//! layer's commit), or earlier when the handler asks ([`Session::save`]).
//!
//! The plan is made under the session lock; the store is called after it is
//! released. The working record stays in the session either way, so a
//! handle still in use (a task the handler spawned, a WebSocket after the
//! upgrade) reads what it read before and may change and save it again.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use sesh_core::{Applied, Changes, Created, Error, ErrorKind, Expiry, Record, SessionId, StoreKey};

use super::{ChangeLog, Session, State, Told};
use crate::{
    hooks::EventKind,
    metrics::{self, Outcome},
    store_calls::TimedStore,
};

/// How many fresh IDs to try before calling `create` broken. With 256-bit
/// IDs a single collision means the RNG or the store is broken, not unlucky.
const CREATE_ATTEMPTS: usize = 4;

/// The session a commit retires.
struct Old {
    id: SessionId,
    key: StoreKey,
    /// Rotated (not destroyed): a grace window may forward to the new ID.
    rotated: bool,
    /// The user it was bound to.
    user: Option<String>,
}

/// The store work one commit needs.
enum Plan {
    Nothing,
    Touch {
        id: SessionId,
        key: StoreKey,
        expires_at: SystemTime,
        persistent: bool,
    },
    Apply {
        id: SessionId,
        key: StoreKey,
        merged: Arc<Record>,
        changes: Changes,
        refresh_cookie: bool,
    },
    Create {
        record: Arc<Record>,
        retire: Option<Old>,
    },
    Retire(Old),
}

impl Session {
    /// Stores what this request changed so far, now, instead of after the
    /// response: before a long streamed body, a WebSocket upgrade, or work
    /// a spawned task goes on with. Changes made afterwards are stored after
    /// the response as usual (or by another `save`); a session created here
    /// gets its cookie on this request's response all the same.
    ///
    /// ```
    /// # async fn handler(session: sesh::Session) -> Result<(), sesh::Error> {
    /// session.insert("export", "started")?;
    /// session.save().await?; // stored even if the stream below fails midway
    /// // ... stream a large body, or upgrade to a WebSocket ...
    /// # Ok(()) }
    /// ```
    ///
    /// After a WebSocket upgrade (or any time after the response was sent)
    /// changes reach the store only through `save`: the layer's own commit
    /// ran when the response left. Such a late `save` cannot send a cookie
    /// any more, so create the session (insert into it) before the upgrade.
    ///
    /// A client-side session lives in its cookie: there is nothing to store
    /// before the response, and `save` returns at once.
    ///
    /// # Errors
    /// The store's error ([`ErrorKind::Store`], [`ErrorKind::Timeout`],
    /// [`ErrorKind::StoreRefused`]); the changes stay pending, for the next
    /// `save` or the response. [`ErrorKind::NotLoaded`] before
    /// [`load`](Self::load).
    pub async fn save(&self) -> Result<(), Error> {
        self.ensure_loaded()?;
        if self.config().cookie.client_side {
            return Ok(());
        }
        let told = self.commit(&self.config().store).await?;
        let mut state = self.lock();
        if !matches!(told, Told::Nothing) {
            state.told = told;
        }
        Ok(())
    }

    /// Stores what the request changed through `store`; says what the
    /// client must be told, counting what an earlier [`save`](Self::save)
    /// still owes it.
    pub(crate) async fn commit(&self, store: &TimedStore) -> Result<Told, Error> {
        let config = self.config();
        let now = config.clock.now();
        let plan = self.plan(now);
        match plan {
            Plan::Nothing => Ok(Told::Nothing),
            Plan::Touch {
                id,
                key,
                expires_at,
                persistent,
            } => {
                store.touch(&key, expires_at).await?;
                self.lock().record_mut().expires_at = expires_at;
                Ok(if persistent {
                    Told::Id {
                        id,
                        max_age: Some(until(expires_at, now)),
                    }
                } else {
                    Told::Nothing
                })
            }
            Plan::Apply {
                id,
                key,
                merged,
                changes,
                refresh_cookie,
            } => {
                self.apply(store, id, key, &merged, changes, refresh_cookie, now)
                    .await
            }
            Plan::Create { record, retire } => self.create(store, &record, retire, now).await,
            Plan::Retire(old) => {
                store.delete(&old.key).await?;
                tracing::info!(event = "destroyed", session = %old.id.log_id(), "session destroyed");
                if old.user.is_some() {
                    self.fire(EventKind::Logout, old.key, old.user.as_deref());
                }
                self.fire(EventKind::Destroyed, old.key, old.user.as_deref());
                Ok(Told::Removal)
            }
        }
    }

    #[allow(clippy::too_many_arguments)] // one call site, each argument a part of the plan
    async fn apply(
        &self,
        store: &TimedStore,
        id: SessionId,
        key: StoreKey,
        merged: &Record,
        changes: Changes,
        refresh_cookie: bool,
        now: SystemTime,
    ) -> Result<Told, Error> {
        let applied = store.apply(&key, merged, &changes).await;
        metrics::commit(match applied {
            Ok(Applied::Applied) => Outcome::Stored,
            Ok(Applied::Gone) => Outcome::Gone,
            Err(_) => Outcome::Failed,
        });
        if let (Ok(Applied::Applied), Some(Some(user))) = (&applied, &changes.user) {
            self.fire(EventKind::Login, key, Some(user));
        }
        match applied {
            Ok(Applied::Applied) => Ok(if refresh_cookie {
                let max_age = merged.persistent.then(|| until(changes.expires_at, now));
                Told::Id { id, max_age }
            } else {
                Told::Nothing
            }),
            Ok(Applied::Gone) => {
                // Another request destroyed or rotated this session while
                // this one ran: its logout wins. No cookie either, or it
                // could overwrite the one a rotation just set.
                tracing::debug!(session = %id.log_id(), "session ended while a request changed it; changes dropped");
                self.lock().stored = None;
                Ok(Told::Nothing)
            }
            Err(e) => {
                // Not stored: pending again, for a later save.
                self.lock().changes.restore(changes);
                Err(e)
            }
        }
    }

    async fn create(
        &self,
        store: &TimedStore,
        record: &Record,
        retire: Option<Old>,
        now: SystemTime,
    ) -> Result<Told, Error> {
        let (id, key) = fresh_id(store, record).await?;
        {
            let mut state = self.lock();
            if state.stored.is_none() && state.retire.is_none() {
                state.stored = Some(id.clone());
            }
        }
        let user = record.user.as_deref();
        let previous_user = if let Some(old) = retire {
            if let (true, Some(grace)) = (old.rotated, self.config().rotation_grace) {
                // Before the old record goes, so no request finds neither.
                leave_forward(store, &old.id, &id, grace, now).await?;
            }
            store.delete(&old.key).await?;
            tracing::info!(event = "rotated", session = %id.log_id(), previous = %old.id.log_id(), "session id rotated");
            self.fire(EventKind::Rotated, key, user);
            old.user
        } else {
            tracing::info!(event = "created", session = %id.log_id(), "session created");
            self.fire(EventKind::Created, key, user);
            None
        };
        if user.is_some() && previous_user.as_deref() != user {
            self.fire(EventKind::Login, key, user);
        }
        let max_age = record.persistent.then(|| until(record.expires_at, now));
        Ok(Told::Id { id, max_age })
    }

    fn plan(&self, now: SystemTime) -> Plan {
        let config = self.config();
        let mut state = self.lock();
        let expiry = config.expiry.for_session(state.record.idle_timeout);
        let retire = state.retire.take().map(|retired| Old {
            key: state.key_of(&retired.id),
            id: retired.id,
            rotated: retired.rotated,
            user: retired.user,
        });
        let expires_at = expiry.extend(now, state.record.absolute_deadline);
        if let Some(id) = state.stored.clone() {
            return Self::plan_stored(&mut state, &expiry, id, now, expires_at);
        }
        if state.record.data.is_empty() && state.record.user.is_none() {
            return retire.map_or(Plan::Nothing, Plan::Retire);
        }
        // A new session, or one rotated to a new ID: created whole, under
        // an ID chosen when the store takes it.
        state.changes = ChangeLog::default();
        let record = state.record_mut();
        record.last_active = now;
        record.expires_at = expires_at;
        record.version = 0;
        Plan::Create {
            record: Arc::clone(&state.record),
            retire,
        }
    }

    fn plan_stored(
        state: &mut State,
        expiry: &Expiry,
        id: SessionId,
        now: SystemTime,
        expires_at: SystemTime,
    ) -> Plan {
        let key = state.key_of(&id);
        let record = &state.record;
        if state.changes.is_empty() {
            return if expiry.needs_touch(now, record.expires_at, record.absolute_deadline) {
                Plan::Touch {
                    id,
                    key,
                    expires_at,
                    persistent: record.persistent,
                }
            } else {
                Plan::Nothing
            };
        }
        let log = std::mem::take(&mut state.changes);
        let refresh_cookie = record.persistent || log.persistent.is_some();
        let changes = log.into_changes(record, now, expires_at);
        let merged = state.record_mut();
        merged.last_active = now;
        merged.expires_at = expires_at;
        Plan::Apply {
            id,
            key,
            merged: Arc::clone(&state.record),
            changes,
            refresh_cookie,
        }
    }

    /// Starts the layer's hooks on an event whose store write succeeded.
    pub(crate) fn fire(&self, kind: EventKind, key: StoreKey, user: Option<&str>) {
        metrics::event(kind);
        let config = self.config();
        config.hooks.fire(kind, key, user, config.store.limit);
    }

    /// Whether [`commit`](Self::commit) would find nothing to do (no store
    /// call, no cookie): the common read, told apart without a boxed future.
    /// It answers `false` whenever unsure, and mirrors `plan`'s `Nothing`.
    pub(crate) fn is_idle(&self) -> bool {
        let config = self.config();
        let state = self.lock();
        if state.retire.is_some() || !state.changes.is_empty() || !matches!(state.told, Told::Nothing) {
            return false;
        }
        let record = &state.record;
        match &state.stored {
            // The time now, not the request's arrival: a long request (a
            // long poll) must still extend a session that needs it.
            Some(_) => !config.expiry.for_session(record.idle_timeout).needs_touch(
                config.clock.now(),
                record.expires_at,
                record.absolute_deadline,
            ),
            None => record.data.is_empty() && record.user.is_none(),
        }
    }
}

/// Leaves word under `old`'s forward key, for `grace`, that the session now
/// lives under `new`: masked, so the store holds no usable ID.
async fn leave_forward(
    store: &TimedStore,
    old: &SessionId,
    new: &SessionId,
    grace: Duration,
    now: SystemTime,
) -> Result<(), Error> {
    let until = now.checked_add(grace).unwrap_or(now);
    let mut forward = Record::new(now, &Expiry::new());
    forward.expires_at = until;
    forward.absolute_deadline = until;
    forward.data.insert(FORWARD_TO.to_owned(), old.mask(new).into());
    // A key only this old ID derives. It is taken only when two requests
    // rotated the same session at once: the first one's forward stays, and
    // leads to a session as live as this one.
    let _ = store.create(&old.forward_key(), &forward).await?;
    Ok(())
}

/// The data key of a forward record holding the masked new ID.
pub(crate) const FORWARD_TO: &str = "to";

/// A fresh ID the store took `record` under, with its store key: hashed
/// once, for the create and the events after it.
async fn fresh_id(store: &TimedStore, record: &Record) -> Result<(SessionId, StoreKey), Error> {
    for _ in 0..CREATE_ATTEMPTS {
        let id = SessionId::generate();
        let key = id.key();
        match store.create(&key, record).await? {
            Created::Created => return Ok((id, key)),
            Created::Collision => {
                tracing::warn!(session = %id.log_id(), "fresh session id collided; retrying");
            }
        }
    }
    Err(Error::msg(
        ErrorKind::Store,
        format!("{CREATE_ATTEMPTS} fresh session ids all collided"),
    ))
}

/// The time left until `deadline`, as a cookie's `Max-Age`.
pub(crate) fn until(deadline: SystemTime, now: SystemTime) -> Duration {
    deadline.duration_since(now).unwrap_or_default()
}
