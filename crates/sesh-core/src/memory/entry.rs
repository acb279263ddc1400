//! The memory store's form of a record.
//!
//! A [`Record`] keeps its data in a `BTreeMap`: quick to change key by key,
//! but a tree node has room for eleven pairs, so a one-key session would
//! hold several hundred bytes for as long as it lives. A stored session
//! keeps its pairs in a boxed slice of exactly their number instead, and is
//! turned back into a record to be read or changed.

use std::time::SystemTime;

use serde_json::Value;

use crate::{Changes, Record};

/// One stored session.
// No `Debug`: values may be secrets, and a `Record` shows them by key only.
pub(super) struct Entry {
    /// In key order, as the record's data iterates.
    data: Box<[(Box<str>, Value)]>,
    created_at: SystemTime,
    last_active: SystemTime,
    expires_at: SystemTime,
    absolute_deadline: SystemTime,
    version: u64,
    user: Option<Box<str>>,
    persistent: bool,
}

impl Entry {
    pub(super) fn new(record: &Record) -> Self {
        Self {
            data: record
                .data
                .iter()
                .map(|(k, v)| (Box::from(k), v.clone()))
                .collect(),
            created_at: record.created_at,
            last_active: record.last_active,
            expires_at: record.expires_at,
            absolute_deadline: record.absolute_deadline,
            version: record.version,
            user: record.user.as_deref().map(Box::from),
            persistent: record.persistent,
        }
    }

    pub(super) fn to_record(&self) -> Record {
        Record {
            data: self
                .data
                .iter()
                .map(|(k, v)| (String::from(&**k), v.clone()))
                .collect(),
            created_at: self.created_at,
            last_active: self.last_active,
            expires_at: self.expires_at,
            absolute_deadline: self.absolute_deadline,
            version: self.version,
            user: self.user.as_deref().map(str::to_owned),
            persistent: self.persistent,
        }
    }

    /// Whether the session has ended at `now`, as [`Record::is_expired`] decides.
    pub(super) fn is_expired(&self, now: SystemTime) -> bool {
        now >= self.expires_at || now >= self.absolute_deadline
    }

    pub(super) fn version(&self) -> u64 {
        self.version
    }

    pub(super) fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Moves the idle deadline to `expires_at`, never past the absolute one.
    pub(super) fn touch(&mut self, expires_at: SystemTime) {
        self.expires_at = expires_at.min(self.absolute_deadline);
    }

    /// [`Changes::apply_to`] on the entry, and one more version.
    pub(super) fn apply(&mut self, changes: &Changes) {
        let mut record = self.to_record();
        changes.apply_to(&mut record);
        record.version = record.version.wrapping_add(1);
        *self = Self::new(&record);
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use serde_json::json;

    use super::*;
    use crate::Expiry;

    fn record() -> Record {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_nanos(123_456_789);
        let mut r = Record::new(now, &Expiry::new());
        r.data.insert("n".into(), json!(1));
        r.data.insert("ключ".into(), json!({"nested": [1, "two", null]}));
        r.last_active = now + Duration::from_nanos(1);
        r.user = Some("ada".into());
        r.persistent = true;
        r.version = 7;
        r
    }

    #[test]
    fn record_round_trips_exactly() {
        let r = record();
        assert_eq!(Entry::new(&r).to_record(), r);
    }

    #[test]
    fn apply_is_the_records_and_one_more_version() {
        let r = record();
        let later = r.created_at + Duration::from_secs(100);
        let mut c = Changes::new(later, later + Duration::from_secs(60));
        c.entries = vec![("a".into(), Some(json!(2))), ("n".into(), None)];
        c.user = Some(None);
        let mut expected = r.clone();
        c.apply_to(&mut expected);
        expected.version += 1;
        let mut entry = Entry::new(&r);
        entry.apply(&c);
        assert_eq!(entry.to_record(), expected);
    }

    #[test]
    fn touch_never_passes_the_absolute_deadline() {
        let r = record();
        let mut entry = Entry::new(&r);
        entry.touch(r.absolute_deadline + Duration::from_secs(1));
        assert_eq!(entry.to_record().expires_at, r.absolute_deadline);
        assert!(entry.is_expired(r.absolute_deadline));
        assert!(!entry.is_expired(r.created_at));
    }
}
