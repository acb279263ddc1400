//! A session's key-value data: [`SessionData`] and its iterators.

use std::{fmt, ops::Index, slice, vec};

use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{MapAccess, Visitor},
    ser::SerializeMap,
};
use serde_json::Value;

/// A session's key-value data: string keys, JSON values, each key once.
///
/// The pairs are kept sorted by key in one vector. Sessions hold a few
/// keys and every request builds, reads and drops one of these, so that
/// beats a hash table on each count: one allocation, no hashing of the key
/// on a lookup, and a binary search that for one key is one comparison.
/// Adding or removing a key moves the pairs after it, which for the largest
/// session a cookie or a sane store holds is still a short copy.
///
/// Iteration is in key order, so equal data always encodes the same.
/// `Debug` shows the keys only: values may be secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SessionData {
    /// Sorted by key, no key twice.
    pairs: Vec<(String, Value)>,
}

impl SessionData {
    /// No data.
    #[must_use]
    pub const fn new() -> Self {
        Self { pairs: Vec::new() }
    }

    /// No data, with room for `capacity` keys.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            pairs: Vec::with_capacity(capacity),
        }
    }

    /// How many keys there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there is no key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Where `key` is, or where it would go.
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.pairs.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The value under `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.find(key).ok().map(|i| &self.pairs[i].1)
    }

    /// The value under `key`, to change in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.find(key).ok().map(|i| &mut self.pairs[i].1)
    }

    /// Whether `key` is present.
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Stores `value` under `key`; returns the value it replaced.
    pub fn insert(&mut self, key: String, value: Value) -> Option<Value> {
        match self.find(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.pairs[i].1, value)),
            Err(i) => {
                self.pairs.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.find(key).ok().map(|i| self.pairs.remove(i).1)
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.pairs.clear();
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + DoubleEndedIterator + '_ {
        self.pairs.iter().map(|(k, _)| k.as_str())
    }

    /// The values, in their keys' order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> + DoubleEndedIterator + '_ {
        self.pairs.iter().map(|(_, v)| v)
    }

    /// The pairs, in key order.
    #[must_use]
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.pairs.iter())
    }

    /// Sorts `pairs` by key; of a key given twice, the last value stays
    /// (as a JSON object's, or a map's `extend`).
    fn from_pairs(mut pairs: Vec<(String, Value)>) -> Self {
        // Stable, so pairs of one key keep their order for the dedup below;
        // already-sorted input (a store's own) costs one pass.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            same
        });
        Self { pairs }
    }
}

impl fmt::Debug for SessionData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.keys()).finish()
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

/// The pairs of a [`SessionData`], in key order.
#[derive(Debug, Clone)]
pub struct Iter<'a>(slice::Iter<'a, (String, Value)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k.as_str(), v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k.as_str(), v))
    }
}

/// The owned pairs of a [`SessionData`], in key order.
#[derive(Debug)]
pub struct IntoIter(vec::IntoIter<(String, Value)>);

impl Iterator for IntoIter {
    type Item = (String, Value);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for IntoIter {}

impl DoubleEndedIterator for IntoIter {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back()
    }
}

impl<'a> IntoIterator for &'a SessionData {
    type Item = (&'a str, &'a Value);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for SessionData {
    type Item = (String, Value);
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter(self.pairs.into_iter())
    }
}

impl FromIterator<(String, Value)> for SessionData {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(pairs: I) -> Self {
        Self::from_pairs(pairs.into_iter().collect())
    }
}

impl<const N: usize> From<[(String, Value); N]> for SessionData {
    fn from(pairs: [(String, Value); N]) -> Self {
        Self::from_pairs(Vec::from(pairs))
    }
}

impl Extend<(String, Value)> for SessionData {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, pairs: I) {
        for (key, value) in pairs {
            self.insert(key, value);
        }
    }
}

impl Serialize for SessionData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for SessionData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(DataVisitor)
    }
}

struct DataVisitor;

impl<'de> Visitor<'de> for DataVisitor {
    type Value = SessionData;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map of string keys to JSON values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<SessionData, A::Error> {
        // The hint is the input's claim, so it only caps what is reserved.
        let mut pairs = Vec::with_capacity(access.size_hint().unwrap_or(0).min(64));
        while let Some(pair) = access.next_entry::<String, Value>()? {
            pairs.push(pair);
        }
        Ok(SessionData::from_pairs(pairs))
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
    fn refuses_what_is_not_a_string_keyed_map() {
        assert!(serde_json::from_str::<SessionData>("[1, 2]").is_err());
        assert!(serde_json::from_str::<SessionData>(r#"{"a": }"#).is_err());
    }

    #[test]
    fn debug_shows_keys_only() {
        let shown = format!("{:?}", data(&[("token", json!("s3cret"))]));
        assert_eq!(shown, r#"{"token"}"#);
    }
}
