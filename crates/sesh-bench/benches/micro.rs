//! Micro-benchmarks of sesh's hot paths, with tower-sessions and bare axum
//! beside the layer ones:
//!
//! - `session_id/*`: generate, encode, parse, and the SHA-256 store key;
//! - `record/*`: `Record::encode` / `decode` of a one-key and a 4 KB record;
//! - `memory_store/*`: load, save and apply with 2 and 8 concurrent tasks
//!   on a two-worker runtime, over 1000 sessions;
//! - `layer/*`: one request through the whole router with
//!   `tower::ServiceExt::oneshot` (no network): the cost of the middleware,
//!   cookie parsing included, per route and implementation.
//!
//! `cargo bench -p sesh-bench --bench micro` (about three minutes).
#![allow(clippy::unwrap_used, missing_docs)]

use std::{
    hint::black_box,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};

use axum::{
    Router,
    body::Body,
    http::{Request, header},
};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sesh::{
    Expiry, MemoryStore, SessionId, StoreKey,
    store::{Changes, Record, SessionStore as _},
};
use sesh_bench::{Impl, KEY, Store, stores};
use tower::ServiceExt as _;

fn session_id(c: &mut Criterion) {
    let mut g = c.benchmark_group("session_id");
    let id = SessionId::generate();
    let encoded = id.encode();
    g.bench_function("generate", |b| b.iter(SessionId::generate));
    g.bench_function("encode", |b| b.iter(|| black_box(&id).encode()));
    g.bench_function("parse", |b| b.iter(|| SessionId::parse(black_box(&encoded))));
    g.bench_function("key_sha256", |b| b.iter(|| black_box(&id).key()));
    g.finish();
}

fn small_record() -> Record {
    let mut record = Record::new(SystemTime::now(), &Expiry::new());
    record.data.insert(KEY.to_owned(), 1.into());
    record
}

/// About 4 KB encoded: 32 keys of 110-character strings.
fn large_record() -> Record {
    let mut record = small_record();
    for i in 0..32 {
        record.data.insert(format!("key{i:02}"), "x".repeat(110).into());
    }
    record
}

fn record(c: &mut Criterion) {
    let mut g = c.benchmark_group("record");
    for (name, record) in [("small", small_record()), ("4k", large_record())] {
        let bytes = record.encode().unwrap();
        let label = format!("{name}_{}B", bytes.len());
        g.bench_function(BenchmarkId::new("encode", &label), |b| {
            b.iter(|| black_box(&record).encode().unwrap());
        });
        g.bench_function(BenchmarkId::new("decode", &label), |b| {
            b.iter(|| Record::decode(black_box(&bytes)).unwrap());
        });
    }
    g.finish();
}

#[derive(Clone, Copy)]
enum Op {
    Load,
    Save,
    Apply,
}

/// One store call of kind `op` on `key`.
async fn store_op(store: &MemoryStore, key: &StoreKey, op: Op, record: &Record) {
    match op {
        Op::Load => {
            black_box(store.load(key).await.unwrap());
        }
        Op::Save => {
            // The stored version equals `record.version`, so every save wins.
            let _ = store.save(key, record, record.version).await.unwrap();
        }
        Op::Apply => {
            let now = SystemTime::now();
            let mut changes = Changes::new(now, now + Duration::from_secs(3600));
            changes.entries.push((KEY.to_owned(), Some(2.into())));
            // The memory store merges `changes` and ignores `merged`: an
            // empty record costs no allocation.
            let merged = Record::new(now, &Expiry::new());
            let _ = store.apply(key, &merged, &changes).await.unwrap();
        }
    }
}

/// `iters` calls of `op` spread over `tasks` tasks; the wall time of all.
async fn contended(
    store: &MemoryStore,
    keys: &Arc<Vec<StoreKey>>,
    op: Op,
    tasks: u64,
    iters: u64,
) -> Duration {
    let record = Arc::new(small_record());
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let (store, keys, record) = (store.clone(), Arc::clone(keys), Arc::clone(&record));
            let count = iters / tasks + u64::from(t < iters % tasks);
            tokio::spawn(async move {
                let mut i = usize::try_from(t).unwrap() * 131;
                for _ in 0..count {
                    i = (i + 7) % keys.len();
                    store_op(&store, &keys[i], op, &record).await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    started.elapsed()
}

fn memory_store(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = runtime.block_on(async { MemoryStore::new() });
    let record = small_record();
    let keys: Arc<Vec<StoreKey>> = Arc::new((0..1000).map(|_| SessionId::generate().key()).collect());
    runtime.block_on(async {
        for key in keys.iter() {
            let _ = store.create(key, &record).await.unwrap();
        }
    });
    let mut g = c.benchmark_group("memory_store");
    for (name, op) in [("load", Op::Load), ("save", Op::Save), ("apply", Op::Apply)] {
        for tasks in [2, 8] {
            g.bench_function(BenchmarkId::new(name, format!("{tasks}_tasks")), |b| {
                b.iter_custom(|iters| runtime.block_on(contended(&store, &keys, op, tasks, iters)));
            });
        }
    }
    g.finish();
}

fn request(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).unwrap()
}

/// 1000 sessions made through `/new`; their `name=value` cookies.
async fn seed(app: &Router) -> Vec<String> {
    let mut cookies = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let response = app.clone().oneshot(request("/new", None)).await.unwrap();
        let set_cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
        cookies.push(set_cookie.split(';').next().unwrap().to_owned());
    }
    cookies
}

fn layer(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("layer");
    let redis = stores::RedisOptions::default();
    for implementation in Impl::ALL {
        let app = runtime
            .block_on(stores::app(implementation, Store::Memory, &redis))
            .unwrap();
        let cookies = if implementation == Impl::Bare {
            Vec::new()
        } else {
            runtime.block_on(seed(&app))
        };
        let cases: &[(&str, &str, bool)] = if implementation == Impl::Bare {
            &[("untouched", "/untouched", false)]
        } else {
            &[
                ("untouched", "/untouched", false),
                ("untouched_cookie", "/untouched", true),
                ("read", "/read", true),
                ("write", "/write", true),
                ("new", "/new", false),
            ]
        };
        for &(case, path, with_cookie) in cases {
            let next = AtomicUsize::new(0);
            g.bench_function(BenchmarkId::new(case, implementation.name()), |b| {
                b.to_async(&runtime).iter(|| {
                    let cookie = with_cookie
                        .then(|| cookies[next.fetch_add(1, Ordering::Relaxed) % cookies.len()].as_str());
                    let request = request(path, cookie);
                    let app = app.clone();
                    async move {
                        let response = app.oneshot(request).await.unwrap();
                        assert!(response.status().is_success());
                        response
                    }
                });
            });
        }
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = micro;
    config = config();
    targets = session_id, record, memory_store, layer
}
criterion_main!(micro);
