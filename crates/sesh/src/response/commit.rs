//! What the layer stores after the handler has answered.

use std::time::{Duration, SystemTime};

use http::HeaderValue;
use sesh_core::{Applied, Changes, Created, Error, ErrorKind, Record, SessionId, StoreKey};

use super::set_cookie;
use crate::{Session, config::Config, store_calls::TimedStore};

/// How many fresh IDs to try before calling `create` broken. With 256-bit
/// IDs a single collision means the RNG or the store is broken, not unlucky.
const CREATE_ATTEMPTS: usize = 4;

/// The store work one request needs, decided under the session lock and
/// carried out after it is released.
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
        merged: Record,
        changes: Changes,
        refresh_cookie: bool,
    },
    Create {
        record: Record,
        retire: Option<(SessionId, StoreKey)>,
    },
    Retire {
        id: SessionId,
        key: StoreKey,
    },
}

/// Stores what the request did to its session through `store`; returns
/// the `Set-Cookie` value to send, if any.
pub(crate) async fn commit(session: &Session, store: &TimedStore) -> Result<Option<HeaderValue>, Error> {
    let config = session.config();
    let now = config.clock.now();
    let plan = plan(session, config, now);
    match plan {
        Plan::Nothing => Ok(None),
        Plan::Touch {
            id,
            key,
            expires_at,
            persistent,
        } => {
            store.touch(&key, expires_at).await?;
            Ok(persistent.then(|| set_cookie::for_id(&config.cookie, &id, Some(until(expires_at, now)))))
        }
        Plan::Apply {
            id,
            key,
            merged,
            changes,
            refresh_cookie,
        } => {
            let persistent = merged.persistent;
            let expires_at = changes.expires_at;
            match store.apply(&key, merged, &changes).await? {
                Applied::Applied => Ok(refresh_cookie.then(|| {
                    set_cookie::for_id(&config.cookie, &id, persistent.then(|| until(expires_at, now)))
                })),
                Applied::Gone => {
                    // Another request destroyed or rotated this session while
                    // this one ran: its logout wins. No cookie either, or it
                    // could overwrite the one a rotation just set.
                    tracing::debug!(session = %id.log_id(), "session ended while a request changed it; changes dropped");
                    session.lock().stored = None;
                    Ok(None)
                }
            }
        }
        Plan::Create { record, retire } => {
            let id = create(store, &record).await?;
            if let Some((old, old_key)) = retire {
                store.delete(&old_key).await?;
                tracing::info!(event = "rotated", session = %id.log_id(), previous = %old.log_id(), "session id rotated");
            } else {
                tracing::info!(event = "created", session = %id.log_id(), "session created");
            }
            let max_age = record.persistent.then(|| until(record.expires_at, now));
            Ok(Some(set_cookie::for_id(&config.cookie, &id, max_age)))
        }
        Plan::Retire { id, key } => {
            store.delete(&key).await?;
            tracing::info!(event = "destroyed", session = %id.log_id(), "session destroyed");
            Ok(Some(set_cookie::removal(&config.cookie)))
        }
    }
}

/// Whether [`commit`] would find nothing to do (no store call, no
/// cookie): the common read. Checked without a boxed future or an await;
/// it answers `false` whenever unsure, and mirrors `plan`'s `Nothing` cases.
pub(crate) fn is_idle(session: &Session) -> bool {
    let config = session.config();
    let state = session.lock();
    if state.retire.is_some() || !state.changes.is_empty() {
        return false;
    }
    let record = &state.record;
    match &state.stored {
        // The time now, not the request's arrival: a long request (a long
        // poll) must still extend a session that needs it.
        Some(_) => {
            !config
                .expiry
                .needs_touch(config.clock.now(), record.expires_at, record.absolute_deadline)
        }
        None => record.data.is_empty() && record.user.is_none(),
    }
}

fn plan(session: &Session, config: &Config, now: SystemTime) -> Plan {
    let expiry = &config.expiry;
    let mut state = session.lock();
    let retire = state.retire.take().map(|id| {
        let key = state.key_of(&id);
        (id, key)
    });
    let absolute = state.record.absolute_deadline;
    let expires_at = expiry.extend(now, absolute);
    if let Some(id) = state.stored.clone() {
        let key = state.key_of(&id);
        if state.changes.is_empty() {
            let record = &state.record;
            return if expiry.needs_touch(now, record.expires_at, absolute) {
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
        let mut merged = std::mem::replace(&mut state.record, Record::new(now, expiry));
        let mut changes = Changes::new(now, expires_at);
        changes.cleared = log.cleared;
        changes.entries = log
            .keys
            .into_iter()
            .map(|k| {
                let value = merged.data.get(&k).cloned();
                (k, value)
            })
            .collect();
        changes.persistent = log.persistent;
        changes.user = log.user;
        merged.last_active = now;
        merged.expires_at = expires_at;
        let refresh_cookie = merged.persistent || log.persistent.is_some();
        return Plan::Apply {
            id,
            key,
            merged,
            changes,
            refresh_cookie,
        };
    }
    let mut record = std::mem::replace(&mut state.record, Record::new(now, expiry));
    if record.data.is_empty() && record.user.is_none() {
        return retire.map_or(Plan::Nothing, |(id, key)| Plan::Retire { id, key });
    }
    record.last_active = now;
    record.expires_at = expires_at;
    record.version = 0;
    Plan::Create { record, retire }
}

async fn create(store: &TimedStore, record: &Record) -> Result<SessionId, Error> {
    for _ in 0..CREATE_ATTEMPTS {
        let id = SessionId::generate();
        match store.create(&id.key(), record).await? {
            Created::Created => return Ok(id),
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

fn until(deadline: SystemTime, now: SystemTime) -> Duration {
    deadline.duration_since(now).unwrap_or_default()
}
