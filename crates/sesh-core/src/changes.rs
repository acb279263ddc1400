//! What one request changed in a session, and how it is applied to a
//! record another request may have changed meanwhile.

use std::{fmt, time::SystemTime};

use serde_json::Value;

use crate::Record;

/// What one request changed in a session: the unit of a conflict-free save.
///
/// On a version conflict the layer (or a store that merges natively)
/// re-applies exactly these changes to the newer record, so concurrent
/// requests that change different keys keep each other's writes, and the
/// same key ends with one of the written values (last writer wins).
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Changes {
    /// All keys were removed before `entries` were applied.
    pub cleared: bool,
    /// Keys set (`Some`) or removed (`None`); of a key given twice, the
    /// last entry counts. The layer gives each key once.
    pub entries: Vec<(String, Option<Value>)>,
    /// A new user binding (`Some(None)` unbinds).
    pub user: Option<Option<String>>,
    /// A new persistence flag.
    pub persistent: Option<bool>,
    /// The write time, recorded as `last_active`.
    pub now: SystemTime,
    /// The new idle deadline.
    pub expires_at: SystemTime,
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
            .field("user", &self.user)
            .field("persistent", &self.persistent)
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
            user: None,
            persistent: None,
            now,
            expires_at,
        }
    }

    /// Applies the changes to `record` (the version is left to the caller).
    pub fn apply_to(&self, record: &mut Record) {
        if self.cleared {
            record.data.clear();
        }
        record.data.apply_changes(&self.entries);
        if let Some(user) = &self.user {
            record.user.clone_from(user);
        }
        if let Some(persistent) = self.persistent {
            record.persistent = persistent;
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
