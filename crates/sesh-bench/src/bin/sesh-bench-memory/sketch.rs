//! What other entry layouts for sesh's memory store would cost, measured
//! with the same allocator and access pattern as the real store.
//!
//! Not sesh's code: a sketch for the report. Each layout keeps 64 shards of
//! `RwLock<HashMap<StoreKey, Entry>>` sharded like `MemoryStore`, and
//! "load" turns an entry back into a `Record` (the store's load builds one
//! too), so the latencies include what a layout saves or costs on reads.

use std::{
    collections::HashMap,
    sync::RwLock,
    time::{Duration, Instant},
};

use serde_json::Value;
use sesh::{
    Expiry, SessionId, StoreKey,
    store::{Record, SessionData, from_unix_millis, unix_millis},
};

use super::{BoxError, Indices, LOADS, live_bytes, percentiles, sesh_record};

const SHARDS: usize = 64;

/// Deadlines and the write counter, as plain numbers (a `SystemTime` is 16
/// bytes, Unix milliseconds 8).
struct Meta {
    millis: [u64; 4],
    version: u64,
    user: Option<Box<str>>,
    persistent: bool,
}

impl Meta {
    fn of(r: &Record) -> Self {
        Self {
            millis: [r.created_at, r.last_active, r.expires_at, r.absolute_deadline].map(unix_millis),
            version: r.version,
            user: r.user.as_deref().map(Box::from),
            persistent: r.persistent,
        }
    }

    fn record(&self, data: SessionData) -> Record {
        let [created, active, expires, absolute] = self.millis.map(from_unix_millis);
        let mut r = Record::new(created, &Expiry::new());
        r.data = data;
        r.last_active = active;
        r.expires_at = expires;
        r.absolute_deadline = absolute;
        r.version = self.version;
        r.user = self.user.as_deref().map(str::to_owned);
        r.persistent = self.persistent;
        r
    }
}

/// Keys and values in one exact-size slice, keys boxed, instead of a
/// `Record`'s vector and `String`s.
struct Compact {
    data: Box<[(Box<str>, Value)]>,
    meta: Meta,
}

impl Compact {
    fn of(r: &Record) -> Self {
        let data = r.data.iter().map(|(k, v)| (Box::from(k), v.clone())).collect();
        Self {
            data,
            meta: Meta::of(r),
        }
    }

    fn record(&self) -> Record {
        let data = self
            .data
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        self.meta.record(data)
    }
}

/// The data kept as its JSON bytes, parsed on every load.
struct Encoded {
    data: Box<[u8]>,
    meta: Meta,
}

impl Encoded {
    fn of(r: &Record) -> Result<Self, BoxError> {
        Ok(Self {
            data: serde_json::to_vec(&r.data)?.into_boxed_slice(),
            meta: Meta::of(r),
        })
    }

    fn record(&self) -> Result<Record, BoxError> {
        Ok(self.meta.record(serde_json::from_slice(&self.data)?))
    }
}

struct Sharded<E>(Vec<RwLock<HashMap<StoreKey, E>>>);

impl<E> Sharded<E> {
    fn new() -> Self {
        Self((0..SHARDS).map(|_| RwLock::default()).collect())
    }

    fn shard(&self, key: &StoreKey) -> &RwLock<HashMap<StoreKey, E>> {
        &self.0[usize::from(key.as_bytes()[31]) % SHARDS]
    }
}

/// Fills a sharded map with `n` entries made by `make` and times `LOADS`
/// reads through `read`; one markdown row.
fn measure<E>(
    name: &str,
    n: usize,
    make: impl Fn(&Record) -> Result<E, BoxError>,
    read: impl Fn(&E) -> Result<Record, BoxError>,
) -> Result<String, BoxError> {
    let keys: Vec<StoreKey> = (0..n).map(|_| SessionId::generate().key()).collect();
    let template = sesh_record(&Expiry::new());
    let map = Sharded::<E>::new();
    let before = live_bytes();
    for key in &keys {
        let entry = make(&template)?;
        map.shard(key)
            .write()
            .map_err(|_| "poisoned")?
            .insert(*key, entry);
    }
    let live = live_bytes() - before;
    let mut indices = Indices(0x9E37_79B9_7F4A_7C15);
    let mut loads: Vec<Duration> = Vec::with_capacity(LOADS);
    for _ in 0..LOADS {
        let key = &keys[indices.next_below(n)];
        let started = Instant::now();
        let shard = map.shard(key).read().map_err(|_| "poisoned")?;
        let record = shard.get(key).map(&read).transpose()?;
        drop(shard);
        loads.push(started.elapsed());
        std::hint::black_box(record.ok_or("every inserted entry loads")?);
    }
    let (p50, p99) = percentiles(loads);
    Ok(format!(
        "| {name} | {} | {n} | {} | {p50} | {p99} |",
        std::mem::size_of::<(StoreKey, E)>(),
        live / n
    ))
}

/// The table of layouts, for every size up to `max`.
pub(super) fn layouts(sizes: &[usize]) -> Result<(), BoxError> {
    println!(
        "| layout | table slot (bytes) | sessions | live bytes/session | load p50 (ns) | load p99 (ns) |"
    );
    println!("|---|--:|--:|--:|--:|--:|");
    for &n in sizes {
        let rows = [
            measure(
                "Record (MemoryStore before compact entries)",
                n,
                |r| Ok(r.clone()),
                |e| Ok(e.clone()),
            )?,
            measure(
                "Compact: slice + u64 millis",
                n,
                |r| Ok(Compact::of(r)),
                |e| Ok(e.record()),
            )?,
            measure(
                "Box<Compact>",
                n,
                |r| Ok(Box::new(Compact::of(r))),
                |e| Ok(e.record()),
            )?,
            measure(
                "Encoded: JSON bytes + u64 millis",
                n,
                Encoded::of,
                Encoded::record,
            )?,
            measure(
                "floor: StoreKey -> u64, no record",
                n,
                |_| Ok(0_u64),
                |_| Ok(Record::new(from_unix_millis(0), &Expiry::new())),
            )?,
        ];
        for row in rows {
            println!("{row}");
        }
    }
    Ok(())
}
