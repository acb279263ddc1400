//! The memory store's own form of a record: one allocation for a small
//! session, where a [`Record`] takes one for its pairs and one per key,
//! converted at the trait boundary.

use std::{
    collections::HashMap,
    num::NonZeroU32,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde_json::Value;
use smallvec::SmallVec;

use super::key::DataKey;
use crate::{Changes, Record, SessionData};

/// Above this many pairs times changes, an [`Entry::apply`] rebuilds the
/// data through a map instead of adding and removing keys one at a time,
/// each of which moves the pairs after it.
const MAX_SCAN: usize = 256;

/// A session's data: one pair inline, more in an exact-size heap slice.
type Data = SmallVec<[(DataKey, Value); 1]>;

/// One stored session.
///
/// A `Record` is 128 bytes too, but allocates a vector for its data's pairs
/// and a string for each key. An entry (boxed, so a shard's table slot is
/// 40 bytes) holding one key of up to 22 bytes, with a number, boolean or
/// null value and no user, needs no other allocation. That matters beyond
/// the bytes: each long-lived small allocation takes a chunk from the pool
/// that requests allocate from and free to, and a heap of millions of
/// them made glibc's allocator search and merge free chunks on every
/// request. Small sessions hold a few keys, so finding one by a linear
/// scan is as fast as hashing it.
///
/// Times are nanoseconds since the Unix epoch, so `load` returns exactly
/// the `SystemTime`s that were stored (as a `Record` held them), for any
/// time from 1970 to 2554; earlier times are kept as the epoch and later
/// ones as 2554, which moves no expiry decision made in that range.
// No `Debug`: values may be secrets, and a `Record` shows them by key only.
pub(super) struct Entry {
    data: Data,
    created_at: u64,
    last_active: u64,
    expires_at: u64,
    absolute_deadline: u64,
    version: u64,
    user: Option<Box<str>>,
    persistent: bool,
    /// The session's own idle timeout in whole seconds (as the layer sets
    /// it), never zero: in 32 bits beside `persistent`, the entry stays 128
    /// bytes.
    idle_secs: Option<NonZeroU32>,
}

/// `t` as the nanoseconds since the Unix epoch an [`Entry`] keeps.
pub(super) fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// An idle timeout in whole seconds, rounded up, at most 136 years.
fn idle_secs(idle: Option<Duration>) -> Option<NonZeroU32> {
    let idle = idle?;
    let secs = idle.as_secs() + u64::from(idle.subsec_nanos() > 0);
    NonZeroU32::new(u32::try_from(secs).unwrap_or(u32::MAX))
}

fn time(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

impl Entry {
    pub(super) fn new(record: &Record) -> Self {
        // Sized up front and pushed one by one: `SmallVec::extend`'s generic
        // reserve-and-fill cost about 300 instructions for a session's one key.
        let mut data = Data::with_capacity(record.data.len());
        for (key, value) in &record.data {
            data.push((DataKey::new(key), value.clone()));
        }
        Self {
            data,
            created_at: nanos(record.created_at),
            last_active: nanos(record.last_active),
            expires_at: nanos(record.expires_at),
            absolute_deadline: nanos(record.absolute_deadline),
            version: record.version,
            user: record.user.as_deref().map(Box::from),
            persistent: record.persistent,
            idle_secs: idle_secs(record.idle_timeout),
        }
    }

    /// Replaces the entry with `record`, in place where the keys are the
    /// same ones (the usual save: a record loaded, changed, saved back), so
    /// only the values are copied.
    pub(super) fn assign(&mut self, record: &Record) {
        if !self.overwrite_values(&record.data) {
            *self = Self::new(record);
            return;
        }
        self.created_at = nanos(record.created_at);
        self.last_active = nanos(record.last_active);
        self.expires_at = nanos(record.expires_at);
        self.absolute_deadline = nanos(record.absolute_deadline);
        self.version = record.version;
        if self.user.as_deref() != record.user.as_deref() {
            self.user = record.user.as_deref().map(Box::from);
        }
        self.persistent = record.persistent;
        self.idle_secs = idle_secs(record.idle_timeout);
    }

    /// Copies `data`'s values over the entry's if both hold the same keys;
    /// `false`, changing nothing, if not.
    fn overwrite_values(&mut self, data: &SessionData) -> bool {
        // Both are in key order, so the same keys are the same keys pairwise.
        let same_keys =
            self.data.len() == data.len() && self.data.iter().zip(data.keys()).all(|((k, _), key)| k.is(key));
        if same_keys {
            for ((_, value), (_, new)) in self.data.iter_mut().zip(data) {
                value.clone_from(new);
            }
        }
        same_keys
    }

    pub(super) fn to_record(&self) -> Record {
        let data = self
            .data
            .iter()
            .map(|(k, v)| (k.to_owned_string(), v.clone()))
            .collect();
        Record {
            data,
            created_at: time(self.created_at),
            last_active: time(self.last_active),
            expires_at: time(self.expires_at),
            absolute_deadline: time(self.absolute_deadline),
            version: self.version,
            user: self.user.as_deref().map(str::to_owned),
            persistent: self.persistent,
            idle_timeout: self.idle_secs.map(|s| Duration::from_secs(u64::from(s.get()))),
        }
    }

    /// Whether the session has ended at `now` (from [`nanos`]), as
    /// [`Record::is_expired`] decides.
    pub(super) fn is_expired(&self, now: u64) -> bool {
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
        self.expires_at = nanos(expires_at).min(self.absolute_deadline);
    }

    /// [`Changes::apply_to`] on the entry, and one more version.
    pub(super) fn apply(&mut self, changes: &Changes) {
        if !changes.is_plain() {
            // Read-modify-writes and new timeouts are rare: applied through
            // a record, as every other store applies them.
            let mut record = self.to_record();
            changes.apply_to(&mut record);
            record.version = record.version.wrapping_add(1);
            *self = Self::new(&record);
            return;
        }
        self.apply_data(changes);
        if let Some(user) = &changes.user {
            self.user = user.as_deref().map(Box::from);
        }
        if let Some(persistent) = changes.persistent {
            self.persistent = persistent;
        }
        self.last_active = nanos(changes.now);
        self.touch(changes.expires_at);
        self.version = self.version.wrapping_add(1);
    }

    fn apply_data(&mut self, changes: &Changes) {
        if changes.cleared {
            self.data = Data::new();
        }
        if changes.entries.is_empty() {
            return;
        }
        if self.data.len().saturating_mul(changes.entries.len()) > MAX_SCAN {
            self.apply_indexed(changes);
            return;
        }
        let data = &mut self.data;
        let mut removed = false;
        for (key, value) in &changes.entries {
            // Inserted and removed in place: the pairs stay in key order.
            match (find(data, key), value) {
                (Ok(i), Some(value)) => data[i].1.clone_from(value),
                (Err(i), Some(value)) => {
                    // Exactly the room a new key needs, so the slice is not
                    // grown past it and shrunk again: entries live long.
                    data.reserve_exact(1);
                    data.insert(i, (DataKey::new(key), value.clone()));
                }
                (Ok(i), None) => {
                    drop(data.remove(i));
                    removed = true;
                }
                (Err(_), None) => {}
            }
        }
        if removed {
            // Back inline, or to an exact-size slice: entries live long.
            data.shrink_to_fit();
        }
    }

    /// The same changes for a large session, through a map, so a request
    /// writing many keys of a session holding many costs linear time.
    fn apply_indexed(&mut self, changes: &Changes) {
        let mut data: HashMap<String, Value> = std::mem::take(&mut self.data)
            .into_iter()
            .map(|(k, v)| (k.to_owned_string(), v))
            .collect();
        for (key, value) in &changes.entries {
            match value {
                Some(value) => {
                    data.insert(key.clone(), value.clone());
                }
                None => {
                    data.remove(key.as_str());
                }
            }
        }
        let mut kept = Data::with_capacity(data.len());
        kept.extend(data.into_iter().map(|(k, v)| (DataKey::from_string(k), v)));
        kept.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        self.data = kept;
    }
}

/// Where `key` is among `data`'s pairs, or where it would go. The pairs are
/// kept in key order, the order [`SessionData`] keeps, so a load hands them
/// over already sorted rather than sorting a large session on every read.
fn find(data: &Data, key: &str) -> Result<usize, usize> {
    data.binary_search_by(|(k, _)| k.as_bytes().cmp(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Expiry;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn record() -> Record {
        // Nanoseconds, as `SystemTime::now()` gives them on Linux.
        let now = at(1_700_000_000) + Duration::from_nanos(123_456_789);
        let mut r = Record::new(now, &Expiry::new());
        r.data.insert("n".into(), json!(1));
        r.data.insert("ключ".into(), json!({"nested": [1, "two", null]}));
        r.last_active = now + Duration::from_nanos(1);
        r.user = Some("ada".into());
        r.persistent = true;
        r.version = 7;
        r
    }

    fn changes(entries: &[(&str, Option<Value>)]) -> Changes {
        let later = at(1_700_000_100) + Duration::from_nanos(5);
        let mut c = Changes::new(later, later + Duration::from_secs(60));
        c.entries = entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        c
    }

    /// What `apply` must leave: the record's own merge, one version on.
    fn expected(mut r: Record, c: &Changes) -> Record {
        c.apply_to(&mut r);
        r.version += 1;
        r
    }

    fn applied(r: &Record, c: &Changes) -> Record {
        let mut entry = Entry::new(r);
        entry.apply(c);
        entry.to_record()
    }

    #[test]
    fn record_round_trips_exactly() {
        let r = record();
        assert_eq!(Entry::new(&r).to_record(), r);
        let empty = Record::new(at(1), &Expiry::new());
        assert_eq!(Entry::new(&empty).to_record(), empty);
    }

    #[test]
    fn times_outside_the_range_saturate_in_order() {
        let mut r = record();
        r.created_at = UNIX_EPOCH - Duration::from_secs(1);
        r.absolute_deadline = at(u64::MAX / 1_000_000_000 + 1);
        let back = Entry::new(&r).to_record();
        assert_eq!(back.created_at, UNIX_EPOCH);
        assert_eq!(back.absolute_deadline, time(u64::MAX));
        assert!(back.expires_at < back.absolute_deadline);
    }

    #[test]
    fn assign_replaces_everything() {
        let old = record();
        let mut same_keys = record();
        same_keys.data.insert("n".into(), json!(2));
        same_keys.user = Some("bob".into());
        same_keys.expires_at += Duration::from_nanos(3);
        same_keys.version = 8;
        let mut other_keys = same_keys.clone();
        other_keys.data.remove("n");
        other_keys.data.insert("m".into(), json!(3));
        let empty = Record::new(at(1), &Expiry::new());
        for new in [same_keys, other_keys, empty] {
            let mut entry = Entry::new(&old);
            entry.assign(&new);
            assert_eq!(entry.to_record(), new);
        }
    }

    #[test]
    fn expiry_matches_the_record() {
        let r = record();
        let entry = Entry::new(&r);
        for t in [
            r.created_at,
            r.expires_at - Duration::from_nanos(1),
            r.expires_at,
            r.absolute_deadline,
        ] {
            assert_eq!(entry.is_expired(nanos(t)), r.is_expired(t), "at {t:?}");
        }
    }

    #[test]
    fn apply_sets_overwrites_and_removes() {
        let r = record();
        let c = changes(&[
            ("a", Some(json!(1))),
            ("n", Some(json!(2))),
            ("ключ", None),
            ("gone", None),
        ]);
        let got = applied(&r, &c);
        assert_eq!(
            got.data,
            SessionData::from([("a".into(), json!(1)), ("n".into(), json!(2))])
        );
        assert_eq!(got, expected(r, &c));
    }

    #[test]
    fn apply_clears_before_setting() {
        let r = record();
        let mut c = changes(&[("a", Some(json!(1)))]);
        c.cleared = true;
        let got = applied(&r, &c);
        assert_eq!(got.data, SessionData::from([("a".into(), json!(1))]));
        assert_eq!(got, expected(r, &c));
    }

    #[test]
    fn apply_binds_user_and_caps_deadline() {
        let r = record();
        let mut c = changes(&[]);
        c.user = Some(None);
        c.persistent = Some(false);
        c.expires_at = r.absolute_deadline + Duration::from_secs(1);
        let got = applied(&r, &c);
        assert_eq!((got.user.as_deref(), got.persistent), (None, false));
        assert_eq!(got.expires_at, r.absolute_deadline);
        assert_eq!(got.data, r.data, "no entries, no data change");
        assert_eq!(got, expected(r, &c));
    }

    #[test]
    fn a_one_key_session_is_one_allocation() {
        assert_eq!(size_of::<Entry>(), 128);
        let mut r = record();
        r.data.remove("ключ");
        let mut entry = Entry::new(&r);
        assert!(!entry.data.spilled(), "one short key stays inline");
        entry.apply(&changes(&[("m", Some(json!(2)))]));
        assert!(entry.data.spilled());
        entry.apply(&changes(&[("n", None)]));
        assert!(!entry.data.spilled(), "back inline once a key is removed");
        assert_eq!(
            entry.to_record().data,
            SessionData::from([("m".into(), json!(2))])
        );
    }

    #[test]
    fn pairs_stay_in_key_order() {
        let in_order = |entry: &Entry| {
            entry
                .data
                .windows(2)
                .all(|w| w[0].0.as_bytes() < w[1].0.as_bytes())
        };
        let mut entry = Entry::new(&record());
        assert!(in_order(&entry));
        // Added before, between and after the stored keys, then removed.
        entry.apply(&changes(&[
            ("z", Some(json!(1))),
            ("a", Some(json!(2))),
            ("o", Some(json!(3))),
        ]));
        assert!(in_order(&entry));
        entry.apply(&changes(&[("a", None), ("n", None)]));
        assert!(in_order(&entry));
        let mut many = changes(&[]);
        many.entries = (0..100)
            .rev()
            .map(|i| (format!("k{i:02}"), Some(json!(i))))
            .collect();
        assert!(
            entry.data.len() * many.entries.len() > MAX_SCAN,
            "the indexed path"
        );
        entry.apply(&many);
        assert!(in_order(&entry));
    }

    #[test]
    fn added_keys_get_exact_room_and_long_keys_round_trip() {
        let long = "a key longer than twenty-two bytes".to_owned();
        let mut r = record();
        r.data.insert(long.clone(), json!("v"));
        let mut entry = Entry::new(&r);
        assert_eq!(entry.to_record(), r, "a long key is kept whole");
        let c = changes(&[
            ("x", Some(json!(1))),
            ("y", Some(json!(2))),
            (&long, Some(json!(3))),
        ]);
        entry.apply(&c);
        assert_eq!(entry.data.capacity(), 5, "room for the two added keys, no more");
        assert_eq!(entry.to_record(), expected(r.clone(), &c));
        let mut renamed = r.clone();
        renamed.data.remove(&long);
        renamed.data.insert(format!("{long}, renamed"), json!(4));
        entry.assign(&renamed);
        assert_eq!(entry.to_record(), renamed);
    }

    #[test]
    fn apply_to_a_large_session_goes_through_an_index() {
        let mut r = record();
        for i in 0..40 {
            r.data.insert(format!("k{i}"), json!(i));
        }
        let mut entries: Vec<(String, Option<Value>)> = (0..20).map(|i| (format!("k{i}"), None)).collect();
        entries.extend((30..50).map(|i| (format!("k{i}"), Some(json!(-i)))));
        let mut c = changes(&[]);
        c.entries = entries;
        assert!(r.data.len() * c.entries.len() > MAX_SCAN);
        assert_eq!(applied(&r, &c), expected(r, &c));
    }
}
