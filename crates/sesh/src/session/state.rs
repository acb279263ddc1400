//! The working copy of a session inside one request, and what the request
//! changed in it.

use std::collections::BTreeSet;

use serde_json::Value;
use sesh_core::{Record, SessionData, SessionId, StoreKey};

/// A session ID a request offered, before it is known to name a session.
#[derive(Debug)]
pub(crate) struct Candidate {
    pub(crate) id: SessionId,
    /// It came sealed under a previous key: re-issue it under the current one.
    pub(crate) previous_key: bool,
}

/// The session the request came with, once it loaded.
pub(crate) struct Incoming {
    pub(crate) id: SessionId,
    /// `id`'s store key, hashed once: the load and the commit both need it.
    pub(crate) key: StoreKey,
    /// It came sealed under a previous key: re-issue it under the current one.
    pub(crate) reissue: bool,
}

/// The working copy of a session inside one request.
pub(crate) struct State {
    /// The stored record with this request's changes applied, or a fresh one.
    pub(crate) record: Record,
    /// The ID `record` is stored under; `None` until a new session is created.
    pub(crate) stored: Option<SessionId>,
    /// The session the request came with, if one loaded.
    pub(crate) incoming: Option<Incoming>,
    /// A stored session to delete at commit: destroyed, or rotated away from.
    pub(crate) retire: Option<SessionId>,
    /// What this request changed, for the per-key merge.
    pub(crate) changes: ChangeLog,
    /// The data's size (see [`data_size`]), counted at the first change.
    pub(super) size: Option<usize>,
}

/// Which keys and flags one request changed; values are read from the
/// working record at commit.
#[derive(Debug, Default)]
pub(crate) struct ChangeLog {
    pub(crate) cleared: bool,
    /// The changed keys, each once (a set, so noting one costs `O(log n)`
    /// however many a request changes).
    pub(crate) keys: BTreeSet<String>,
    pub(crate) persistent: Option<bool>,
    /// A new user binding (`Some(None)` unbinds).
    pub(crate) user: Option<Option<String>>,
}

impl ChangeLog {
    pub(crate) fn is_empty(&self) -> bool {
        !self.cleared && self.keys.is_empty() && self.persistent.is_none() && self.user.is_none()
    }

    pub(super) fn mark(&mut self, key: &str) {
        if !self.keys.contains(key) {
            self.keys.insert(key.to_owned());
        }
    }
}

impl State {
    /// Notes a changed key. Only a stored session's keys are noted: a new
    /// one is created whole at commit, so its log would go unread.
    pub(super) fn note_change(&mut self, key: &str) {
        if self.stored.is_some() {
            self.changes.mark(key);
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
