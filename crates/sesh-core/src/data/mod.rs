//! A session's key-value data: [`SessionData`] and its iterators.

mod iter;

use std::{collections::BTreeMap, fmt, ops::Index};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use self::iter::{IntoIter, Iter, IterMut, Keys, Values, ValuesMut};

/// A session's key-value data: string keys, JSON values, each key once.
///
/// A [`BTreeMap`] underneath: every lookup, insert and removal is
/// `O(log n)`, so a request that writes thousands of keys stays fast, and
/// iteration is in key order (by the keys' UTF-8 bytes), so equal data
/// always encodes the same.
///
/// `Debug`, here and on the iterators, shows the keys only: values may be
/// secrets.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionData {
    map: BTreeMap<String, Value>,
}

impl SessionData {
    /// No data.
    #[must_use]
    pub const fn new() -> Self {
        Self { map: BTreeMap::new() }
    }

    /// How many keys there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there is no key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The value under `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }

    /// The value under `key`, to change in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.map.get_mut(key)
    }

    /// Whether `key` is present.
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    /// Stores `value` under `key`; returns the value it replaced.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        self.map.insert(key, value)
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key)
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// Keeps only the pairs for which `keep` says `true`.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Value) -> bool) {
        self.map.retain(|k, v| keep(k, v));
    }

    /// The keys, in order.
    pub fn keys(&self) -> Keys<'_> {
        Keys(self.map.keys())
    }

    /// The values, in their keys' order.
    pub fn values(&self) -> Values<'_> {
        Values(self.map.values())
    }

    /// The values, mutable, in their keys' order.
    pub fn values_mut(&mut self) -> ValuesMut<'_> {
        ValuesMut(self.map.values_mut())
    }

    /// The pairs, in key order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.map.iter())
    }

    /// The pairs, in key order, values mutable.
    pub fn iter_mut(&mut self) -> IterMut<'_> {
        IterMut(self.map.iter_mut())
    }

    /// Sets (`Some`) or removes (`None`) each key in turn, as a run of
    /// [`insert`](Self::insert) and [`remove`](Self::remove) calls would.
    pub(crate) fn apply_changes(&mut self, changes: &[(String, Option<Value>)]) {
        for (key, value) in changes {
            match value {
                Some(value) => drop(self.map.insert(key.clone(), value.clone())),
                None => drop(self.map.remove(key)),
            }
        }
    }
}

impl fmt::Debug for SessionData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.map.keys()).finish()
    }
}

impl Index<&str> for SessionData {
    type Output = Value;

    /// The value under `key`.
    ///
    /// # Panics
    /// If `key` is not present; [`get`](SessionData::get) is the fallible form.
    fn index(&self, key: &str) -> &Value {
        self.get(key)
            .unwrap_or_else(|| panic!("no key {key:?} in the session data"))
    }
}

impl<'a> IntoIterator for &'a SessionData {
    type Item = (&'a str, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<'a> IntoIterator for &'a mut SessionData {
    type Item = (&'a str, &'a mut Value);
    type IntoIter = IterMut<'a>;

    fn into_iter(self) -> IterMut<'a> {
        self.iter_mut()
    }
}

impl IntoIterator for SessionData {
    type Item = (String, Value);
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter(self.map.into_iter())
    }
}

impl FromIterator<(String, Value)> for SessionData {
    /// Of a key given twice, the last value stays.
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(pairs: I) -> Self {
        Self {
            map: pairs.into_iter().collect(),
        }
    }
}

impl From<Vec<(String, Value)>> for SessionData {
    /// Of a key given twice, the last value stays.
    fn from(pairs: Vec<(String, Value)>) -> Self {
        pairs.into_iter().collect()
    }
}

impl<const N: usize> From<[(String, Value); N]> for SessionData {
    /// Of a key given twice, the last value stays.
    fn from(pairs: [(String, Value); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl Extend<(String, Value)> for SessionData {
    /// Adds the pairs, a new value replacing an old one.
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, pairs: I) {
        self.map.extend(pairs);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;

    use super::*;

    fn data(pairs: &[(&str, Value)]) -> SessionData {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
    }

    #[test]
    fn behaves_as_a_map() {
        let mut d = SessionData::new();
        assert_eq!(d.insert("b".into(), json!(1)), None);
        assert_eq!(d.insert("a".into(), json!(2)), None);
        assert_eq!(d.insert("c".into(), json!(3)), None);
        assert_eq!(d.insert("b".into(), json!(4)), Some(json!(1)));
        assert_eq!(d.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(d.get("b"), Some(&json!(4)));
        *d.get_mut("a").expect("a") = json!(5);
        assert_eq!(d.remove("a"), Some(json!(5)));
        assert_eq!(d.remove("a"), None);
        assert!(!d.contains_key("a") && d.contains_key("c"));
        assert_eq!(d.len(), 2);
        d.clear();
        assert!(d.is_empty());
    }

    #[test]
    fn the_last_of_a_repeated_key_wins() {
        let d = data(&[("k", json!(1)), ("a", json!(0)), ("k", json!(2)), ("k", json!(3))]);
        assert_eq!(d, data(&[("a", json!(0)), ("k", json!(3))]));
        let parsed: SessionData = serde_json::from_str(r#"{"k":1,"a":0,"k":3}"#).expect("json");
        assert_eq!(parsed, d);
        let mut extended = data(&[("k", json!(1))]);
        extended.extend([("k".to_owned(), json!(3)), ("a".to_owned(), json!(0))]);
        assert_eq!(extended, d);
    }

    #[test]
    fn agrees_with_a_hash_map() {
        let pairs = [
            ("x", json!(null)),
            ("ключ", json!({"n": [1]})),
            ("", json!("s")),
            ("a", json!(1.5)),
        ];
        let map: HashMap<String, Value> = pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        let d = data(&pairs);
        let json = serde_json::to_string(&d).expect("encode");
        assert_eq!(
            serde_json::from_str::<HashMap<String, Value>>(&json).expect("as map"),
            map
        );
        assert_eq!(serde_json::from_str::<SessionData>(&json).expect("back"), d);
        let from_map = serde_json::to_string(&map).expect("map");
        assert_eq!(
            serde_json::from_str::<SessionData>(&from_map).expect("from map"),
            d
        );
        for (k, v) in &map {
            assert_eq!(d.get(k), Some(v));
        }
    }

    #[test]
    fn refuses_what_is_not_an_object() {
        for text in ["[1, 2]", "null", "\"s\"", "1", r#"{"a": }"#] {
            assert!(serde_json::from_str::<SessionData>(text).is_err(), "{text}");
        }
    }

    #[test]
    fn debug_shows_keys_only() {
        let mut d = data(&[("token", json!("s3cret")), ("csrf", json!("t0ken"))]);
        assert_eq!(format!("{d:?}"), r#"{"csrf", "token"}"#);
        let with_keys = [format!("{:?}", d.iter()), format!("{:?}", d.keys())];
        for text in with_keys {
            assert!(
                text.contains("token") && !text.contains("s3cret") && !text.contains("t0ken"),
                "{text}"
            );
        }
        // These show no entry at all.
        let without = [
            format!("{:?}", d.values()),
            format!("{:?}", d.clone().into_iter()),
            format!("{:?}", d.values_mut()),
            format!("{:?}", d.iter_mut()),
        ];
        for text in without {
            assert!(!text.contains("s3cret") && !text.contains("t0ken"), "{text}");
        }
    }

    #[test]
    fn mutable_iteration_and_retain_keep_the_order() {
        let mut d = data(&[("c", json!(3)), ("a", json!(1)), ("b", json!(2))]);
        for (_, v) in &mut d {
            *v = json!(v.as_i64().expect("a number") * 10);
        }
        d.retain(|k, _| k != "b");
        assert_eq!(d, data(&[("a", json!(10)), ("c", json!(30))]));
        assert_eq!(d.iter().rev().map(|(k, _)| k).collect::<Vec<_>>(), ["c", "a"]);
        assert_eq!((d.iter().len(), d.keys().len(), d.values().len()), (2, 2, 2));
        assert!(d.values().eq(d.iter().map(|(_, v)| v)));
        for v in d.values_mut() {
            *v = json!(0);
        }
        let owned: Vec<(String, Value)> = d.clone().into_iter().collect();
        assert_eq!(owned, [("a".to_owned(), json!(0)), ("c".to_owned(), json!(0))]);
    }

    #[test]
    fn changes_match_one_by_one() {
        let start: SessionData = (0..40).map(|i| (format!("k{i:02}"), json!(i))).collect();
        // Twenty changes, some keys twice: the last change of a key counts.
        let mut changes: Vec<(String, Option<Value>)> = (0..10).map(|i| (format!("k{i:02}"), None)).collect();
        changes.extend((35..45).map(|i| (format!("k{i:02}"), Some(json!(-i)))));
        changes.push(("k00".into(), Some(json!("back"))));
        changes.push(("k44".into(), None));
        // Three changes to one key each way: set, removed, set; removed, set, removed.
        for value in [Some(json!(1)), None, Some(json!("x"))] {
            changes.push(("k05".into(), value));
        }
        for value in [None, Some(json!(2)), None] {
            changes.push(("k50".into(), value));
        }
        let mut one_by_one = start.clone();
        for (k, v) in &changes {
            match v {
                Some(v) => drop(one_by_one.insert(k.clone(), v.clone())),
                None => drop(one_by_one.remove(k)),
            }
        }
        let mut bulk = start;
        bulk.apply_changes(&changes);
        assert_eq!(bulk, one_by_one);
        assert_eq!(bulk.get("k00"), Some(&json!("back")));
        assert!(!bulk.contains_key("k44") && bulk.contains_key("k43"));
        assert_eq!(bulk.get("k05"), Some(&json!("x")));
        assert!(!bulk.contains_key("k50"));
    }
}
