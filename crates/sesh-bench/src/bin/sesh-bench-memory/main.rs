//! Memory per live session, load latency against store size, and whether
//! expired sessions give their memory back: sesh's `MemoryStore` beside
//! tower-sessions' `MemoryStore`.
//!
//! ```text
//! cargo run --release -p sesh-bench --bin sesh-bench-memory [-- --max 1000000]
//! ```
//!
//! Each `create` and `load` is timed on its own: the create columns are the
//! inserts that filled the store, the load columns 100,000 reads of random
//! sessions once it is full.
//!
//! Live bytes come from a counting global allocator: the bytes requested
//! and not yet freed (malloc's own per-block overhead, about 8 to 16 bytes
//! a block with glibc, is not in them). Each store is filled with N sessions
//! holding one small key (`"n": 1`); the keys and the store itself exist
//! before the first reading, so the difference is what the sessions cost.
//! A last table measures other entry layouts the memory store could use
//! (see `sketch.rs`).

use std::{
    alloc::System,
    collections::HashMap,
    time::{Duration, Instant, SystemTime},
};

mod sketch;

use cap::Cap;
use sesh::{
    Expiry, MemoryStore, SessionId, StoreKey,
    store::{Record, SessionStore as _},
};
use tower_sessions::{
    SessionStore as _,
    cookie::time::OffsetDateTime,
    session::{Id, Record as TowerRecord},
};

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

const SIZES: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];
/// Loads timed per store size.
const LOADS: usize = 100_000;

type BoxError = Box<dyn std::error::Error>;

fn main() -> Result<(), BoxError> {
    let max = parse_max()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let sizes: Vec<usize> = SIZES.into_iter().filter(|&n| n <= max).collect();
    runtime.block_on(async {
        println!(
            "| store | sessions | live bytes/session | create p50 (ns) | create p99 (ns) | load p50 (ns) | load p99 (ns) |"
        );
        println!("|---|--:|--:|--:|--:|--:|--:|");
        for &n in &sizes {
            println!("{}", sesh_row(n).await?);
            println!("{}", tower_row(n).await?);
        }
        println!();
        reclaim(max.min(100_000)).await
    })?;
    println!();
    sketch::layouts(&sizes)
}

fn parse_max() -> Result<usize, BoxError> {
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (None, _) => Ok(1_000_000),
        (Some("--max"), Some(n)) => Ok(n.parse()?),
        _ => Err("usage: sesh-bench-memory [--max N]".into()),
    }
}

/// Bytes the program has asked for and not freed.
fn live_bytes() -> usize {
    ALLOCATOR.allocated()
}

/// A cheap deterministic index sequence, so timing loads measures the store
/// and not a random number generator.
struct Indices(u64);

impl Indices {
    fn next_below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n as u64).unwrap_or(0)
    }
}

/// Median and 99th percentile of `samples`, in nanoseconds.
fn percentiles(mut samples: Vec<Duration>) -> (u128, u128) {
    samples.sort_unstable();
    let at = |percent: usize| samples[(samples.len() - 1) * percent / 100].as_nanos();
    (at(50), at(99))
}

fn row(name: &str, n: usize, live: usize, creates: Vec<Duration>, loads: Vec<Duration>) -> String {
    let (create_p50, create_p99) = percentiles(creates);
    let (p50, p99) = percentiles(loads);
    format!(
        "| {name} | {n} | {} | {create_p50} | {create_p99} | {p50} | {p99} |",
        live / n
    )
}

fn sesh_record(expiry: &Expiry) -> Record {
    let mut record = Record::new(SystemTime::now(), expiry);
    record.data.insert(sesh_bench::KEY.to_owned(), 1.into());
    record
}

async fn sesh_row(n: usize) -> Result<String, BoxError> {
    let keys: Vec<StoreKey> = (0..n).map(|_| SessionId::generate().key()).collect();
    let template = sesh_record(&Expiry::new());
    let store = MemoryStore::with_sweep_interval(Duration::from_secs(3600));
    // Allocated before the first reading, so the samples are not counted.
    let mut creates = Vec::with_capacity(n);
    let live = live_bytes();
    for key in &keys {
        let started = Instant::now();
        let _ = store.create(key, &template).await?;
        creates.push(started.elapsed());
    }
    let live = live_bytes() - live;
    let mut indices = Indices(0x9E37_79B9_7F4A_7C15);
    let mut loads = Vec::with_capacity(LOADS);
    for _ in 0..LOADS {
        let key = &keys[indices.next_below(n)];
        let started = Instant::now();
        let found = store.load(key).await?;
        loads.push(started.elapsed());
        assert!(found.is_some(), "every inserted session loads");
    }
    Ok(row("sesh", n, live, creates, loads))
}

async fn tower_row(n: usize) -> Result<String, BoxError> {
    let mut ids: Vec<Id> = Vec::with_capacity(n);
    let data = HashMap::from([(sesh_bench::KEY.to_owned(), serde_json::Value::from(1))]);
    let expiry_date = OffsetDateTime::now_utc() + Duration::from_secs(24 * 60 * 60);
    let store = tower_sessions::MemoryStore::default();
    let mut creates = Vec::with_capacity(n);
    let live = live_bytes();
    for _ in 0..n {
        let mut record = TowerRecord {
            id: Id::default(),
            data: data.clone(),
            expiry_date,
        };
        let started = Instant::now();
        store.create(&mut record).await?;
        creates.push(started.elapsed());
        ids.push(record.id);
    }
    let live = live_bytes() - live;
    let mut indices = Indices(0x9E37_79B9_7F4A_7C15);
    let mut loads = Vec::with_capacity(LOADS);
    for _ in 0..LOADS {
        let id = &ids[indices.next_below(n)];
        let started = Instant::now();
        let found = store.load(id).await?;
        loads.push(started.elapsed());
        assert!(found.is_some(), "every inserted session loads");
    }
    Ok(row("tower-sessions", n, live, creates, loads))
}

/// Fills a store with sessions that expire at once, lets its own sweeper
/// run, and reports what memory remains.
async fn reclaim(n: usize) -> Result<(), BoxError> {
    let keys: Vec<StoreKey> = (0..n).map(|_| SessionId::generate().key()).collect();
    let template = sesh_record(&Expiry::new().idle_timeout(Duration::from_millis(500)));
    let store = MemoryStore::with_sweep_interval(Duration::from_secs(1));
    let baseline = live_bytes();
    for key in &keys {
        let _ = store.create(key, &template).await?;
    }
    let filled = live_bytes() - baseline;
    // Past the idle timeout and past two sweep ticks.
    tokio::time::sleep(Duration::from_millis(2_600)).await;
    let held = store.len();
    let left = live_bytes().saturating_sub(baseline);
    println!(
        "Reclaim: {n} sessions expiring after 0.5 s took {filled} bytes ({} per session); \
         after expiry and the store's own sweep (1 s interval) {held} records are held and \
         {left} bytes remain above the empty store ({:.1}% of the filled size, {} per swept session).",
        filled / n,
        left as f64 * 100.0 / filled as f64,
        left / n
    );
    Ok(())
}
