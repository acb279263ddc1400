//! What one request changed in a session, and how it is applied to a
//! record another request may have changed meanwhile.

use std::{
    fmt,
    sync::Arc,
    time::{Duration, SystemTime},
};

use serde_json::Value;

use crate::Record;

/// What one request changed in a session: the unit of a conflict-free save.
///
/// On a version conflict the layer (or a store that merges natively)
/// re-applies exactly these changes to the newer record, so concurrent
/// requests that change different keys keep each other's writes, the same
/// key ends with one of the written values (last writer wins), and a
/// read-modify-write ([`updates`](Self::updates)) runs again against the
/// newer value, so none is lost.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Changes {
    /// All keys were removed before `entries` were applied.
    pub cleared: bool,
    /// Keys set (`Some`) or removed (`None`); of a key given twice, the
    /// last entry counts. The layer gives each key once.
    pub entries: Vec<(String, Option<Value>)>,
    /// Read-modify-writes, applied after `entries`, in order: each runs on
    /// the value its key holds at that moment in the record being changed.
    pub updates: Vec<(String, Update)>,
    /// A new user binding (`Some(None)` unbinds).
    pub user: Option<Option<String>>,
    /// A new persistence flag.
    pub persistent: Option<bool>,
    /// A new idle timeout of this session's own (`Some(None)`: the layer's).
    pub idle_timeout: Option<Option<Duration>>,
    /// A new absolute deadline, earlier than the stored one: the record's
    /// becomes the earlier of the two.
    pub absolute_deadline: Option<SystemTime>,
    /// The write time, recorded as `last_active`.
    pub now: SystemTime,
    /// The new idle deadline.
    pub expires_at: SystemTime,
}

/// A read-modify-write of one data key: given the value the key holds
/// (`None` if absent), the value it should hold (`None` removes it).
///
/// It may run more than once, against different values, when concurrent
/// requests change the same key: keep it quick and free of side effects.
#[derive(Clone)]
pub struct Update(Arc<UpdateFn>);

/// The function behind an [`Update`].
type UpdateFn = dyn Fn(Option<&Value>) -> Option<Value> + Send + Sync;

impl Update {
    /// An update running `f`.
    pub fn new(f: impl Fn(Option<&Value>) -> Option<Value> + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// What the key should hold, given that it holds `current`.
    #[must_use]
    pub fn apply(&self, current: Option<&Value>) -> Option<Value> {
        (self.0)(current)
    }
}

impl PartialEq for Update {
    /// The same function, not one that gives the same answers.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for Update {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Update(..)")
    }
}

impl fmt::Debug for Changes {
    // Values may be secrets: show which keys were set and which removed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = |set: bool| {
            self.entries
                .iter()
                .filter(move |(_, v)| v.is_some() == set)
                .map(|(k, _)| k)
        };
        f.debug_struct("Changes")
            .field("cleared", &self.cleared)
            .field("set", &keys(true).collect::<Vec<_>>())
            .field("removed", &keys(false).collect::<Vec<_>>())
            .field(
                "updated",
                &self.updates.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("user", &self.user)
            .field("persistent", &self.persistent)
            .field("idle_timeout", &self.idle_timeout)
            .field("absolute_deadline", &self.absolute_deadline)
            .field("now", &self.now)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Changes {
    /// No change yet, for a write at `now` extending the deadline to `expires_at`.
    #[must_use]
    pub fn new(now: SystemTime, expires_at: SystemTime) -> Self {
        Self {
            cleared: false,
            entries: Vec::new(),
            updates: Vec::new(),
            user: None,
            persistent: None,
            idle_timeout: None,
            absolute_deadline: None,
            now,
            expires_at,
        }
    }

    /// Whether these are only keys set or removed and flags changed: what
    /// a store's own merge (a Redis script, one SQL statement) can apply
    /// without running code of the application. Otherwise a store applies
    /// them to the whole record with compare-and-swap
    /// ([`apply_by_compare_and_swap`](crate::apply_by_compare_and_swap)).
    #[must_use]
    pub fn is_plain(&self) -> bool {
        self.updates.is_empty() && self.idle_timeout.is_none() && self.absolute_deadline.is_none()
    }

    /// Applies the changes to `record` (the version is left to the caller).
    pub fn apply_to(&self, record: &mut Record) {
        if self.cleared {
            record.data.clear();
        }
        record.data.apply_changes(&self.entries);
        for (key, update) in &self.updates {
            match update.apply(record.data.get(key)) {
                Some(value) => drop(record.data.insert(key.clone(), value)),
                None => drop(record.data.remove(key)),
            }
        }
        if let Some(user) = &self.user {
            record.user.clone_from(user);
        }
        if let Some(persistent) = self.persistent {
            record.persistent = persistent;
        }
        if let Some(idle) = self.idle_timeout {
            record.idle_timeout = idle;
        }
        if let Some(absolute) = self.absolute_deadline {
            record.absolute_deadline = record.absolute_deadline.min(absolute);
        }
        record.last_active = self.now;
        record.expires_at = self.expires_at.min(record.absolute_deadline);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::Expiry;

    fn record() -> Record {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut r = Record::new(now, &Expiry::new());
        r.data.insert("n".into(), json!(1));
        r.data.insert("ключ".into(), json!("k"));
        r
    }

    #[test]
    fn changes_apply_per_key() {
        let mut r = record();
        let later = r.created_at + Duration::from_secs(10);
        let mut c = Changes::new(later, later + Duration::from_secs(60));
        c.entries.push(("a".into(), Some(json!(1))));
        c.entries.push(("n".into(), None));
        c.apply_to(&mut r);
        assert_eq!(r.data.get("a"), Some(&json!(1)));
        assert!(!r.data.contains_key("n"));
        assert!(r.data.contains_key("ключ"), "untouched keys stay");
        assert_eq!(r.last_active, later);
        c.cleared = true;
        c.apply_to(&mut r);
        assert_eq!(r.data.keys().collect::<Vec<_>>(), vec!["a"]);
    }

    #[test]
    fn updates_run_on_the_value_there_after_the_entries() {
        let mut r = record();
        let now = r.created_at;
        let mut c = Changes::new(now, now + Duration::from_secs(60));
        let increment = Update::new(|v| Some(json!(v.and_then(Value::as_u64).unwrap_or(0) + 1)));
        c.entries.push(("n".into(), Some(json!(10))));
        c.updates.push(("n".into(), increment.clone()));
        c.updates.push(("fresh".into(), increment));
        c.updates.push(("ключ".into(), Update::new(|_| None)));
        assert!(!c.is_plain());
        c.apply_to(&mut r);
        assert_eq!(r.data.get("n"), Some(&json!(11)));
        assert_eq!(r.data.get("fresh"), Some(&json!(1)));
        assert!(!r.data.contains_key("ключ"), "an update may remove");
    }

    #[test]
    fn session_timeouts_only_shorten() {
        let mut r = record();
        let now = r.created_at;
        let mut c = Changes::new(now, now + Duration::from_secs(3600));
        c.idle_timeout = Some(Some(Duration::from_secs(60)));
        c.absolute_deadline = Some(now + Duration::from_secs(600));
        c.apply_to(&mut r);
        assert_eq!(r.idle_timeout, Some(Duration::from_secs(60)));
        assert_eq!(r.absolute_deadline, now + Duration::from_secs(600));
        assert_eq!(
            r.expires_at,
            now + Duration::from_secs(600),
            "capped by the new absolute"
        );
        c.absolute_deadline = Some(now + Duration::from_secs(6000));
        c.apply_to(&mut r);
        assert_eq!(
            r.absolute_deadline,
            now + Duration::from_secs(600),
            "never extended"
        );
    }

    #[test]
    fn debug_hides_values() {
        let mut c = Changes::new(SystemTime::UNIX_EPOCH, SystemTime::UNIX_EPOCH);
        c.entries.push(("token".into(), Some(json!("s3cret"))));
        c.entries.push(("gone".into(), None));
        let shown = format!("{c:?}");
        assert!(
            shown.contains("token") && shown.contains("gone") && !shown.contains("s3cret"),
            "{shown}"
        );
    }
}
