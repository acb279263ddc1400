//! Properties of the core types over generated inputs (proptest): the ID's
//! one accepted spelling, the stored form's round trip, and the per-key
//! merge that keeps concurrent requests from losing each other's writes.

use std::{
    collections::HashMap,
    time::{Duration, SystemTime},
};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use proptest::{collection, option, prelude::*};
use serde_json::{Map, Number, Value};
use sesh_core::{Changes, Expiry, ParseIdError, Record, SessionData, SessionId, from_unix_millis};

const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The reference answer for "is this a session ID", written apart from the
/// base64 crate: 43 base64url characters whose last one carries two zero
/// padding bits (32 bytes = 256 bits = 42 * 6 + 4).
fn is_canonical_id(s: &str) -> bool {
    let Some(last) = s.chars().last() else {
        return false;
    };
    s.len() == SessionId::ENCODED_LEN
        && s.chars().all(|c| ALPHABET.contains(c))
        && ALPHABET.find(last).is_some_and(|i| i % 4 == 0)
}

/// Strings that are mostly near misses: the right length from the right
/// alphabet with, now and then, a padding, standard-base64 or non-ASCII
/// character in it.
fn near_miss_id() -> impl Strategy<Value = String> {
    let char_ = prop_oneof![
        20 => proptest::sample::select(ALPHABET.chars().collect::<Vec<_>>()),
        1 => proptest::sample::select(vec!['=', '+', '/', ' ', '.', 'é', '\0', '😀']),
    ];
    collection::vec(char_, 41..=44).prop_map(|cs| cs.into_iter().collect())
}

fn time() -> impl Strategy<Value = SystemTime> {
    // Whole milliseconds up to year ~33,000: what the stored form keeps.
    (0..1_000_000_000_000_000_u64).prop_map(from_unix_millis)
}

/// Any JSON value, nested at most three levels.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("JSON has no NaN or infinity", |f| Number::from_f64(f)
            .map(Value::Number)),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 48, 6, |inner| {
        prop_oneof![
            collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Keys drawn from a small pool half the time, so changes and records
/// overlap; any Unicode string the other half.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec!["n", "user_id", "csrf", "ключ", "🔑", ""]).prop_map(str::to_owned),
        any::<String>(),
    ]
}

fn data() -> impl Strategy<Value = HashMap<String, Value>> {
    collection::hash_map(key(), json(), 0..8)
}

fn record() -> impl Strategy<Value = Record> {
    (
        data(),
        [time(), time(), time(), time()],
        any::<u64>(),
        option::of(any::<String>()),
        any::<bool>(),
    )
        .prop_map(
            |(data, [created, active, expires, absolute], version, user, persistent)| {
                let mut r = Record::new(created, &Expiry::new());
                r.data = data.into_iter().collect();
                r.last_active = active;
                r.expires_at = expires;
                r.absolute_deadline = absolute;
                r.version = version;
                r.user = user;
                r.persistent = persistent;
                r
            },
        )
}

fn changes() -> impl Strategy<Value = Changes> {
    (
        any::<bool>(),
        // Past 8 entries `apply_to` takes its bulk path; the small key pool
        // repeats keys, so the order of a key's entries is exercised too.
        collection::vec((key(), option::of(json())), 0..24),
        option::of(option::of(any::<String>())),
        option::of(any::<bool>()),
        time(),
        time(),
    )
        .prop_map(|(cleared, entries, user, persistent, now, expires_at)| {
            let mut c = Changes::new(now, expires_at);
            c.cleared = cleared;
            c.entries = entries;
            c.user = user;
            c.persistent = persistent;
            c
        })
}

/// One call on a session's data.
#[derive(Debug, Clone)]
enum DataOp {
    Insert(String, Value),
    Replace(String, Value),
    Remove(String),
    Extend(Vec<(String, Value)>),
    Clear,
}

fn data_op() -> impl Strategy<Value = DataOp> {
    prop_oneof![
        6 => (key(), json()).prop_map(|(k, v)| DataOp::Insert(k, v)),
        2 => (key(), json()).prop_map(|(k, v)| DataOp::Replace(k, v)),
        3 => key().prop_map(DataOp::Remove),
        2 => collection::vec((key(), json()), 0..6).prop_map(DataOp::Extend),
        1 => Just(DataOp::Clear),
    ]
}

/// The value each key ends with after `entries`, later entries winning.
fn last_writes(entries: &[(String, Option<Value>)]) -> HashMap<&str, Option<&Value>> {
    entries.iter().map(|(k, v)| (k.as_str(), v.as_ref())).collect()
}

proptest! {
    #[test]
    fn any_256_bits_round_trip_through_the_cookie_form(bytes in any::<[u8; 32]>()) {
        let encoded = URL_SAFE_NO_PAD.encode(bytes);
        let id = SessionId::parse(&encoded).expect("a canonical encoding parses");
        prop_assert_eq!(id.encode(), encoded.as_str());
        prop_assert_eq!(encoded.parse::<SessionId>(), Ok(id));
    }

    #[test]
    fn generated_ids_round_trip(_ in any::<u8>()) {
        let id = SessionId::generate();
        prop_assert_eq!(SessionId::parse(&id.encode()), Ok(id));
    }

    #[test]
    fn parse_accepts_exactly_canonical_ids(s in prop_oneof![near_miss_id(), any::<String>()]) {
        let parsed = SessionId::parse(&s);
        prop_assert_eq!(parsed.is_ok(), is_canonical_id(&s), "{:?} -> {:?}", s, parsed);
        match parsed {
            Ok(id) => prop_assert_eq!(id.encode(), s),
            Err(ParseIdError::Length) => prop_assert_ne!(s.len(), SessionId::ENCODED_LEN),
            Err(_) => prop_assert_eq!(s.len(), SessionId::ENCODED_LEN),
        }
    }

    #[test]
    fn one_changed_character_is_another_id_or_none(bytes in any::<[u8; 32]>(), at in 0..43_usize, c in any::<char>()) {
        let encoded = URL_SAFE_NO_PAD.encode(bytes);
        let mut chars: Vec<char> = encoded.chars().collect();
        chars[at] = c;
        let mutated: String = chars.into_iter().collect();
        match SessionId::parse(&mutated) {
            Ok(id) => {
                prop_assert!(is_canonical_id(&mutated));
                prop_assert_eq!(id.encode(), mutated);
            }
            Err(_) => prop_assert!(!is_canonical_id(&mutated)),
        }
    }

    #[test]
    fn records_round_trip_through_the_stored_form(r in record()) {
        let bytes = r.encode().expect("encode");
        prop_assert_eq!(Record::decode(&bytes).expect("decode"), r);
    }

    #[test]
    fn session_data_behaves_as_a_hash_map(ops in collection::vec(data_op(), 0..40)) {
        let mut model = HashMap::new();
        let mut data = SessionData::new();
        for op in ops {
            match op {
                DataOp::Insert(k, v) => prop_assert_eq!(data.insert(k.clone(), v.clone()), model.insert(k, v)),
                DataOp::Replace(k, v) => {
                    let (ours, theirs) = (data.get_mut(&k), model.get_mut(&k));
                    prop_assert_eq!(ours.is_some(), theirs.is_some());
                    if let (Some(ours), Some(theirs)) = (ours, theirs) {
                        (*ours, *theirs) = (v.clone(), v);
                    }
                }
                DataOp::Remove(k) => prop_assert_eq!(data.remove(&k), model.remove(&k)),
                DataOp::Extend(pairs) => {
                    data.extend(pairs.clone());
                    model.extend(pairs);
                }
                DataOp::Clear => {
                    data.clear();
                    model.clear();
                }
            }
            prop_assert_eq!(data.len(), model.len());
            for (k, v) in &model {
                prop_assert_eq!(data.get(k), Some(v));
                prop_assert!(data.contains_key(k));
            }
            let keys: Vec<&str> = data.keys().collect();
            prop_assert!(keys.windows(2).all(|w| w[0] < w[1]), "keys out of order: {:?}", keys);
        }
        let json = serde_json::to_vec(&data).expect("encode");
        prop_assert_eq!(serde_json::from_slice::<HashMap<String, Value>>(&json).expect("as a map"), model);
        prop_assert_eq!(serde_json::from_slice::<SessionData>(&json).expect("back"), data);
    }

    #[test]
    fn session_data_keeps_the_last_of_repeated_keys(pairs in collection::vec((key(), json()), 0..12)) {
        let model: HashMap<String, Value> = pairs.iter().cloned().collect();
        let data: SessionData = pairs.iter().cloned().collect();
        prop_assert_eq!(data.len(), model.len());
        for (k, v) in &model {
            prop_assert_eq!(&data[k], v);
        }
        // A JSON object with the same keys repeated, as a client could send.
        let fields: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}:{v}", Value::String(k.clone())))
            .collect();
        let text = format!("{{{}}}", fields.join(","));
        prop_assert_eq!(serde_json::from_str::<SessionData>(&text).expect("parse"), data);
    }

    #[test]
    fn apply_to_leaves_untouched_keys_alone(mut r in record(), c in changes()) {
        let before = r.clone();
        c.apply_to(&mut r);
        let written = last_writes(&c.entries);
        for (key, value) in &before.data {
            if !c.cleared && !written.contains_key(key) {
                prop_assert_eq!(r.data.get(key), Some(value), "untouched key {:?} changed", key);
            }
        }
        for (key, value) in &written {
            prop_assert_eq!(r.data.get(key), *value, "key {:?} does not hold its last write", key);
        }
        // Nothing but the written keys, and (unless cleared) the old ones.
        for key in r.data.keys() {
            prop_assert!(written.contains_key(key) || (!c.cleared && before.data.contains_key(key)));
        }
        prop_assert_eq!(&r.user, c.user.as_ref().unwrap_or(&before.user));
        prop_assert_eq!(r.persistent, c.persistent.unwrap_or(before.persistent));
        prop_assert_eq!(r.last_active, c.now);
        prop_assert_eq!(r.expires_at, c.expires_at.min(before.absolute_deadline));
        // The version is the caller's to bump; creation and the absolute
        // deadline are never moved by a write.
        prop_assert_eq!(r.version, before.version);
        prop_assert_eq!(r.created_at, before.created_at);
        prop_assert_eq!(r.absolute_deadline, before.absolute_deadline);
    }

    #[test]
    fn apply_to_is_idempotent(mut r in record(), c in changes()) {
        c.apply_to(&mut r);
        let once = r.clone();
        c.apply_to(&mut r);
        prop_assert_eq!(r, once);
    }

    #[test]
    fn changes_to_different_keys_commute(r in record(), a in changes(), b in changes()) {
        // Two requests of one session that wrote different keys (and
        // cleared nothing) end with the same data in either order.
        let mut a = a;
        let mut b = b;
        a.cleared = false;
        b.cleared = false;
        b.entries.retain(|(k, _)| !a.entries.iter().any(|(ak, _)| ak == k));
        let (mut ab, mut ba) = (r.clone(), r);
        a.apply_to(&mut ab);
        b.apply_to(&mut ab);
        b.apply_to(&mut ba);
        a.apply_to(&mut ba);
        prop_assert_eq!(ab.data, ba.data);
    }
}

#[test]
fn expiry_is_clamped_to_the_absolute_deadline() {
    // A fixed example beside the properties: a write never extends a
    // session past its absolute deadline.
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let mut r = Record::new(start, &Expiry::new());
    let far = r.absolute_deadline + Duration::from_secs(3600);
    Changes::new(start, far).apply_to(&mut r);
    assert_eq!(r.expires_at, r.absolute_deadline);
}
