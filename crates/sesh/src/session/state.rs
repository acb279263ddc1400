//! The working copy of a session inside one request, and what the request
//! changed in it.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::{Duration, SystemTime},
};

use serde_json::Value;
use sesh_core::{Changes, Record, SessionData, SessionId, StoreKey, Update};

use crate::transport::Via;

/// A session ID a request offered, before it is known to name a session.
#[derive(Debug)]
pub(crate) struct Candidate {
    pub(crate) id: SessionId,
    /// It came sealed under a previous key: re-issue it under the current one.
    pub(crate) previous_key: bool,
    /// The way it came.
    pub(crate) via: Via,
}

/// The session the request came with, once it loaded.
pub(crate) struct Incoming {
    pub(crate) id: SessionId,
    /// `id`'s store key, hashed once: the load and the commit both need it.
    pub(crate) key: StoreKey,
    /// It came sealed under a previous key: re-issue it under the current one.
    pub(crate) reissue: bool,
    /// The way it came: the way its value goes back.
    pub(crate) via: Via,
}

/// A stored session the request is done with.
#[derive(Debug)]
pub(crate) struct Retired {
    pub(crate) id: SessionId,
    /// Rotated away from (its data lives on under a new ID), rather than
    /// destroyed: only then may a grace window forward to the new ID.
    pub(crate) rotated: bool,
    /// The user the retired session was bound to, for the logout and
    /// login events.
    pub(crate) user: Option<String>,
}

/// The working copy of a session inside one request.
pub(crate) struct State {
    /// The stored record with this request's changes applied, or a fresh
    /// one. Shared, so a commit hands the store the record without a copy
    /// and without taking it from handles that still read it (a task the
    /// handler spawned); a change after that copies it first.
    pub(crate) record: Arc<Record>,
    /// The ID `record` is stored under; `None` until a new session is created.
    pub(crate) stored: Option<SessionId>,
    /// The session the request came with, if one loaded.
    pub(crate) incoming: Option<Incoming>,
    /// A stored session to delete at commit: destroyed, or rotated away from.
    pub(crate) retire: Option<Retired>,
    /// What this request changed, for the per-key merge.
    pub(crate) changes: ChangeLog,
    /// The data's size (see [`data_size`]), counted at the first change.
    pub(super) size: Option<usize>,
    /// What a [`save`](super::Session::save) stored that this request's
    /// response must still tell the client (a new session's cookie).
    pub(crate) told: Told,
    /// The way the response carries the session's value.
    pub(crate) via: Via,
}

/// What the client must be told after a commit.
#[derive(Debug, Clone, Default)]
pub(crate) enum Told {
    /// Nothing: its cookie (or header) is still right.
    #[default]
    Nothing,
    /// The session's value: a new or rotated session, or a persistent
    /// cookie whose deadline moved. `max_age` for persistent cookies.
    Id {
        id: SessionId,
        max_age: Option<Duration>,
    },
    /// To forget the session: it was destroyed.
    Removal,
}

/// Which keys and flags one request changed. A key set or removed is
/// read from the working record at commit; a key changed only by
/// read-modify-writes keeps them, to run again on the stored value.
#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    pub(crate) cleared: bool,
    /// The keys set or removed, each once (a set, so noting one costs
    /// `O(log n)` however many a request changes).
    pub(crate) keys: BTreeSet<String>,
    /// The keys changed only by read-modify-writes, with them in order.
    pub(crate) updates: BTreeMap<String, Vec<Update>>,
    pub(crate) persistent: Option<bool>,
    /// A new user binding (`Some(None)` unbinds).
    pub(crate) user: Option<Option<String>>,
    /// A new idle timeout of the session's own.
    pub(crate) idle_timeout: Option<Duration>,
    /// A new, earlier absolute deadline.
    pub(crate) absolute_deadline: Option<SystemTime>,
}

impl ChangeLog {
    pub(crate) fn is_empty(&self) -> bool {
        !self.cleared
            && self.keys.is_empty()
            && self.updates.is_empty()
            && self.persistent.is_none()
            && self.user.is_none()
            && self.idle_timeout.is_none()
            && self.absolute_deadline.is_none()
    }

    /// The changes to hand a store: the keys set or removed with their
    /// values in `record` (the working record), the updates, the flags.
    pub(super) fn into_changes(self, record: &Record, now: SystemTime, expires_at: SystemTime) -> Changes {
        let mut changes = Changes::new(now, expires_at);
        changes.cleared = self.cleared;
        changes.entries = self
            .keys
            .into_iter()
            .map(|k| {
                let value = record.data.get(&k).cloned();
                (k, value)
            })
            .collect();
        changes.updates = self
            .updates
            .into_iter()
            .flat_map(|(k, updates)| updates.into_iter().map(move |u| (k.clone(), u)))
            .collect();
        changes.persistent = self.persistent;
        changes.user = self.user;
        changes.idle_timeout = self.idle_timeout.map(Some);
        changes.absolute_deadline = self.absolute_deadline;
        changes
    }

    /// Takes back `changes` a store did not take, under what was changed
    /// since they were handed over (which wins where both say something).
    pub(super) fn restore(&mut self, changes: Changes) {
        let newer = std::mem::take(self);
        self.cleared = changes.cleared;
        self.keys = changes.entries.into_iter().map(|(k, _)| k).collect();
        for (key, update) in changes.updates {
            self.updates.entry(key).or_default().push(update);
        }
        self.persistent = changes.persistent;
        self.user = changes.user;
        self.idle_timeout = changes.idle_timeout.flatten();
        self.absolute_deadline = changes.absolute_deadline;
        if newer.cleared {
            self.keys.clear();
            self.updates.clear();
            self.cleared = true;
        }
        for key in newer.keys {
            self.mark(&key);
        }
        for (key, updates) in newer.updates {
            for update in updates {
                self.mark_update(&key, update);
            }
        }
        self.persistent = newer.persistent.or(self.persistent);
        self.user = newer.user.or(self.user.take());
        self.idle_timeout = newer.idle_timeout.or(self.idle_timeout);
        self.absolute_deadline = match (newer.absolute_deadline, self.absolute_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    /// `key` was set or removed: its value in the working record is final.
    pub(super) fn mark(&mut self, key: &str) {
        self.updates.remove(key);
        if !self.keys.contains(key) {
            self.keys.insert(key.to_owned());
        }
    }

    /// `key` was changed by `update`: unless this request already decided
    /// its value, the update runs again at commit on the stored value.
    pub(super) fn mark_update(&mut self, key: &str, update: Update) {
        if self.cleared {
            // After a clear the key held nothing: its value is final too.
            self.mark(key);
        } else if !self.keys.contains(key) {
            self.updates.entry(key.to_owned()).or_default().push(update);
        }
    }
}

impl State {
    /// The working record, to change.
    pub(crate) fn record_mut(&mut self) -> &mut Record {
        Arc::make_mut(&mut self.record)
    }

    /// Notes a changed key. Only a stored session's keys are noted: a new
    /// one is created whole at commit, so its log would go unread.
    pub(super) fn note_change(&mut self, key: &str) {
        if self.stored.is_some() {
            self.changes.mark(key);
        }
    }

    /// Notes a read-modify-write of a stored session's key.
    pub(super) fn note_update(&mut self, key: &str, update: Update) {
        if self.stored.is_some() {
            self.changes.mark_update(key, update);
        }
    }

    /// The data's size, counted now if no change has counted it yet: most
    /// requests only read, and need not pay for it.
    pub(super) fn size(&mut self) -> usize {
        *self.size.get_or_insert_with(|| data_size(&self.record.data))
    }

    /// Forgets the counted size after a change that is not an insert.
    pub(super) fn uncount(&mut self) {
        self.size = None;
    }

    /// The store key of `id`, reusing the hash of the request's own ID.
    pub(crate) fn key_of(&self, id: &SessionId) -> StoreKey {
        match &self.incoming {
            Some(incoming) if incoming.id == *id => incoming.key,
            _ => id.key(),
        }
    }
}

/// What the size limit counts: each key's bytes and its value's JSON bytes.
fn data_size(data: &SessionData) -> usize {
    data.iter().map(|(key, value)| key.len() + json_len(value)).sum()
}

/// The length of `value`'s JSON text, counted without building it.
pub(super) fn json_len(value: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing a `Value` to a writer that never fails cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}
