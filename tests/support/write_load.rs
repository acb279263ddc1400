//! Session writes under way while a test breaks the store: an app whose
//! every request writes its session, clients that each keep one session
//! (a cookie jar) and write to it continuously, and what they saw: every
//! answer's status and latency, and every acknowledged write that a later
//! answer, or the final read, shows missing.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{Router, extract::Path, routing::get};
use sesh::{Session, SessionLayer, store::SessionStore};
use tokio::{net::TcpListener, task::JoinHandle};

/// The data keys each session spreads its inserts over.
const KEYS: u64 = 8;

/// Serves an app on an ephemeral port of 127.0.0.1 whose store calls are
/// bounded by `store_limit`: `GET /write/{seq}` inserts `seq` under
/// `k{seq % 8}`, increments `n` with `Session::update` and answers the
/// session's data (`n k0 .. k7`); `GET /read` answers it without writing.
///
/// # Panics
/// When no port can be bound.
pub async fn serve_writer(store: impl SessionStore, store_limit: Duration) -> SocketAddr {
    let app = Router::new()
        .route("/write/{seq}", get(write))
        .route("/read", get(read))
        .layer(SessionLayer::new(store).secure(false).store_timeout(store_limit));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

async fn write(session: Session, Path(seq): Path<u64>) -> Result<String, sesh::Error> {
    session.insert(&format!("k{}", seq % KEYS), seq)?;
    session.update("n", |n: Option<u64>| n.unwrap_or(0) + 1)?;
    read(session).await
}

async fn read(session: Session) -> Result<String, sesh::Error> {
    let mut body = session.get::<u64>("n")?.unwrap_or(0).to_string();
    for k in 0..KEYS {
        body.push(' ');
        body.push_str(&session.get::<u64>(&format!("k{k}"))?.unwrap_or(0).to_string());
    }
    Ok(body)
}

/// One answer a client got: when it was sent, its status (0 if none came)
/// and how long it took.
#[derive(Clone, Copy, Debug)]
struct Answer {
    sent: Instant,
    status: u16,
    took: Duration,
}

/// One client and its session, writing in a loop.
#[derive(Debug)]
struct Writer {
    client: reqwest::Client,
    seq: u64,
    /// `n` and `k0..k7` as the last acknowledged write left them.
    acked: Option<Vec<u64>>,
    lost: u64,
    /// How each loss showed: what was acknowledged, what came after.
    losses: Vec<String>,
    answers: Vec<Answer>,
}

impl Writer {
    async fn write(&mut self, addr: SocketAddr) -> u16 {
        self.seq += 1;
        let sent = Instant::now();
        let reply = self
            .client
            .get(format!("http://{addr}/write/{}", self.seq))
            .send()
            .await;
        let (status, body) = match reply {
            Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
            Err(_) => (0, String::new()),
        };
        self.answers.push(Answer {
            sent,
            status,
            took: sent.elapsed(),
        });
        if (200..300).contains(&status) {
            self.check(&body, 1);
        }
        status
    }

    /// Counts the acknowledged writes `body` (the session's data) lacks:
    /// `n` must have grown by at least `grown` since the last acknowledged
    /// answer, and no key may have gone back.
    fn check(&mut self, body: &str, grown: u64) {
        let now: Vec<u64> = body.split(' ').map(|v| v.parse().unwrap_or(0)).collect();
        if let Some(acked) = &self.acked {
            let n_lost = (acked[0] + grown).saturating_sub(now[0]);
            let keys_lost = acked.iter().zip(&now).skip(1).filter(|(a, b)| b < a).count();
            let lost = n_lost.max(keys_lost as u64);
            if lost > 0 {
                self.losses.push(format!(
                    "after write {}: acknowledged {acked:?} (n to grow by {grown}), then {now:?}",
                    self.seq
                ));
            }
            self.lost += lost;
        }
        self.acked = Some(now);
    }
}

/// Clients writing until [`stop`](Self::stop).
#[derive(Debug)]
pub struct WriteLoad {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    /// Acknowledged writes per client so far.
    acked: Arc<Vec<AtomicU64>>,
    tasks: Vec<JoinHandle<Writer>>,
}

impl WriteLoad {
    /// Starts `clients` clients, each with a session of its own, each
    /// writing to `addr` and waiting `pause` between its requests.
    pub fn start(addr: SocketAddr, clients: usize, pause: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let acked: Arc<Vec<AtomicU64>> = Arc::new((0..clients).map(|_| AtomicU64::new(0)).collect());
        let tasks = (0..clients)
            .map(|i| {
                let (stop, acked) = (stop.clone(), acked.clone());
                tokio::spawn(async move {
                    let mut writer = Writer {
                        client: crate::client(Duration::from_secs(30)),
                        seq: 0,
                        acked: None,
                        lost: 0,
                        losses: Vec::new(),
                        answers: Vec::new(),
                    };
                    while !stop.load(Ordering::Relaxed) {
                        if (200..300).contains(&writer.write(addr).await) {
                            acked[i].fetch_add(1, Ordering::Relaxed);
                        }
                        tokio::time::sleep(pause).await;
                    }
                    writer
                })
            })
            .collect();
        Self {
            addr,
            stop,
            acked,
            tasks,
        }
    }

    /// How many writes each client has had acknowledged so far.
    pub fn acked(&self) -> Vec<u64> {
        self.acked.iter().map(|a| a.load(Ordering::Relaxed)).collect()
    }

    /// Waits until every client has had a write acknowledged after `since`
    /// (a snapshot of [`acked`](Self::acked)), for at most `limit`; returns
    /// whether they all did.
    pub async fn wait_all_acked_since(&self, since: &[u64], limit: Duration) -> bool {
        let started = Instant::now();
        while started.elapsed() < limit {
            if self.acked().iter().zip(since).all(|(n, s)| n > s) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Stops the clients, reads every session back and reports.
    ///
    /// # Panics
    /// When a client task panicked, or a session cannot be read within 20 s.
    pub async fn stop(self) -> LoadReport {
        self.stop.store(true, Ordering::Relaxed);
        let mut report = LoadReport::default();
        for task in self.tasks {
            let mut writer = task.await.expect("client task");
            let started = Instant::now();
            let body = loop {
                let reply = writer
                    .client
                    .get(format!("http://{}/read", self.addr))
                    .send()
                    .await;
                if let Ok(r) = reply.and_then(reqwest::Response::error_for_status) {
                    break r.text().await.expect("body");
                }
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "the session cannot be read back"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            writer.check(&body, 0);
            report.add(&writer);
        }
        report
    }
}

/// What the clients saw.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Requests sent.
    pub requests: usize,
    /// Answered 2xx: acknowledged writes.
    pub acknowledged: usize,
    /// Answered 503.
    pub unavailable: usize,
    /// Answered anything else, or not at all.
    pub other: usize,
    /// The slowest 503.
    pub slowest_unavailable: Duration,
    /// Acknowledged writes missing from a later answer or the final read.
    pub lost: u64,
    /// The longest time one client spent from a 503 to its next 2xx.
    pub longest_outage: Duration,
    /// How each loss showed (the counters `n k0 .. k7` acknowledged, then seen).
    pub losses: Vec<String>,
}

impl LoadReport {
    fn add(&mut self, writer: &Writer) {
        let mut outage_from: Option<Instant> = None;
        for answer in &writer.answers {
            self.requests += 1;
            match answer.status {
                200..=299 => {
                    self.acknowledged += 1;
                    if let Some(from) = outage_from.take() {
                        let outage = (answer.sent + answer.took).duration_since(from);
                        self.longest_outage = self.longest_outage.max(outage);
                    }
                }
                503 => {
                    self.unavailable += 1;
                    self.slowest_unavailable = self.slowest_unavailable.max(answer.took);
                    outage_from.get_or_insert(answer.sent);
                }
                _ => self.other += 1,
            }
        }
        self.lost += writer.lost;
        self.losses.extend(writer.losses.iter().cloned());
    }
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests: {} acknowledged, {} answered 503 (slowest {:.2?}), {} other; \
             {} acknowledged writes lost; longest outage of one client {:.2?}",
            self.requests,
            self.acknowledged,
            self.unavailable,
            self.slowest_unavailable,
            self.other,
            self.lost,
            self.longest_outage
        )?;
        for loss in self.losses.iter().take(10) {
            write!(f, "\n  lost: {loss}")?;
        }
        Ok(())
    }
}
