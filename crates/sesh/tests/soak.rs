//! A bounded soak over real TCP: many clients for `SESH_SOAK_SECONDS`
//! (default 15) against the memory store with a 2 s idle timeout. Every
//! answer must be 2xx, no client may lose an increment, and once the
//! clients stop, expired sessions must be swept until the store is empty.

use std::{
    io::Write as _,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{Router, extract::Path, routing::get};
use sesh::{MemoryStore, Session, SessionLayer};
use tokio::net::TcpListener;

const IDLE: Duration = Duration::from_secs(2);
const SWEEP_EVERY: Duration = Duration::from_secs(1);
/// Clients that keep one session and write to it.
const WRITERS: usize = 24;
/// Clients that keep one session and write two keys concurrently.
const PAIRS: usize = 8;
/// Clients that keep one session and only read it (kept alive by touches).
const READERS: usize = 16;
/// Clients without a cookie jar: every request starts a new session.
const ANONYMOUS: usize = 16;

async fn incr(session: Session, Path(key): Path<String>) -> Result<String, sesh::Error> {
    let n: u64 = session.get(&key)?.unwrap_or(0) + 1;
    session.insert(&key, n)?;
    Ok(n.to_string())
}

async fn read(session: Session, Path(key): Path<String>) -> Result<String, sesh::Error> {
    Ok(session.get::<u64>(&key)?.unwrap_or(0).to_string())
}

async fn serve(store: MemoryStore) -> SocketAddr {
    let app = Router::new()
        .route("/incr/{key}", get(incr))
        .route("/read/{key}", get(read))
        .layer(SessionLayer::new(store).secure(false).idle_timeout(IDLE));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

/// What every client adds to when it is done.
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    /// Transport errors and non-2xx answers.
    errors: AtomicU64,
    /// Answers whose count was not the one the client expected.
    lost: AtomicU64,
}

struct Client {
    http: reqwest::Client,
    base: String,
    tally: Arc<Tally>,
}

impl Client {
    fn new(addr: SocketAddr, tally: &Arc<Tally>, cookies: bool) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(cookies)
            .build()
            .expect("client");
        Self {
            http,
            base: format!("http://{addr}"),
            tally: Arc::clone(tally),
        }
    }

    /// The answer's body, or `None` (counted as an error).
    async fn get(&self, path: &str) -> Option<u64> {
        self.tally.requests.fetch_add(1, Ordering::Relaxed);
        let answer = match self.http.get(format!("{}{path}", self.base)).send().await {
            Ok(res) if res.status().is_success() => res.text().await.ok(),
            Ok(res) => {
                eprintln!("soak: {path} answered {}", res.status());
                None
            }
            Err(e) => {
                eprintln!("soak: {path} failed: {e}");
                None
            }
        };
        let n = answer.and_then(|body| body.parse().ok());
        if n.is_none() {
            self.tally.errors.fetch_add(1, Ordering::Relaxed);
        }
        n
    }

    /// Checks an answer against the count the client kept.
    fn expect(&self, got: Option<u64>, want: u64, what: &str) {
        if let Some(got) = got
            && got != want
        {
            eprintln!("soak: {what}: server says {got}, client counted {want}");
            self.tally.lost.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn writer(client: Client, stop: Arc<AtomicBool>) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let got = client.get("/incr/n").await;
        client.expect(got, n, "increment");
        if n % 10 == 0 {
            let got = client.get("/read/n").await;
            client.expect(got, n, "read after increments");
        }
    }
}

/// Two requests of one session at a time, each changing its own key: the
/// per-key merge must keep both.
async fn pair(client: Client, stop: Arc<AtomicBool>) {
    // One request first, so both keys go to the same session.
    let got = client.get("/incr/a").await;
    client.expect(got, 1, "first increment");
    let (mut a, mut b) = (1, 0);
    while !stop.load(Ordering::Relaxed) {
        a += 1;
        b += 1;
        let (got_a, got_b) = tokio::join!(client.get("/incr/a"), client.get("/incr/b"));
        client.expect(got_a, a, "concurrent increment of a");
        client.expect(got_b, b, "concurrent increment of b");
    }
}

async fn reader(client: Client, stop: Arc<AtomicBool>) {
    let got = client.get("/incr/n").await;
    client.expect(got, 1, "first increment");
    while !stop.load(Ordering::Relaxed) {
        let got = client.get("/read/n").await;
        client.expect(got, 1, "read");
    }
}

async fn anonymous(client: Client, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let got = client.get("/incr/n").await;
        client.expect(got, 1, "a new session's first increment");
    }
}

fn soak_duration() -> Duration {
    let secs = std::env::var("SESH_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    Duration::from_secs(secs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_lose_nothing_and_expired_sessions_are_swept() {
    let store = MemoryStore::with_sweep_interval(SWEEP_EVERY);
    let addr = serve(store.clone()).await;
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));

    let peak = Arc::new(AtomicUsize::new(0));
    let sampler = tokio::spawn({
        let (store, peak, stop) = (store.clone(), Arc::clone(&peak), Arc::clone(&stop));
        async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(store.len(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });

    let mut clients = Vec::new();
    for _ in 0..WRITERS {
        clients.push(tokio::spawn(writer(
            Client::new(addr, &tally, true),
            Arc::clone(&stop),
        )));
    }
    for _ in 0..PAIRS {
        clients.push(tokio::spawn(pair(
            Client::new(addr, &tally, true),
            Arc::clone(&stop),
        )));
    }
    for _ in 0..READERS {
        clients.push(tokio::spawn(reader(
            Client::new(addr, &tally, true),
            Arc::clone(&stop),
        )));
    }
    for _ in 0..ANONYMOUS {
        clients.push(tokio::spawn(anonymous(
            Client::new(addr, &tally, false),
            Arc::clone(&stop),
        )));
    }

    let started = Instant::now();
    tokio::time::sleep(soak_duration()).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.expect("a client task panicked");
    }
    sampler.await.expect("sampler");
    let elapsed = started.elapsed();
    let at_stop = store.len();

    // Every session is idle from now on: past the idle timeout plus a
    // sweep interval (and some slack for a busy machine) none may be held.
    let stopped = Instant::now();
    let deadline = stopped + IDLE + SWEEP_EVERY * 4;
    while !store.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = store.len();

    let requests = tally.requests.load(Ordering::Relaxed);
    let errors = tally.errors.load(Ordering::Relaxed);
    let lost = tally.lost.load(Ordering::Relaxed);
    let clients = WRITERS + PAIRS + READERS + ANONYMOUS;
    let report = format!(
        "soak: {clients} clients, {requests} requests in {:.1}s ({:.0}/s), {errors} errors, {lost} lost \
         increments; sessions: peak {}, at stop {at_stop}, {after} after {:.1}s idle",
        elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64(),
        peak.load(Ordering::Relaxed),
        stopped.elapsed().as_secs_f64(),
    );
    // Written to the stderr handle, not with eprintln!, which the test
    // harness captures: CI logs carry the numbers even when the test passes.
    writeln!(std::io::stderr(), "{report}").expect("stderr");
    assert!(requests > 0, "no request was made");
    assert_eq!(errors, 0, "requests failed or answered non-2xx");
    assert_eq!(lost, 0, "increments were lost");
    assert_eq!(after, 0, "expired sessions were not swept");
}
