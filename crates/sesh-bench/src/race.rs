//! Concurrent writes of different keys to one session, on sesh and on
//! tower-sessions: how many of the writes survive.
//!
//! This is what sesh's Redis writes pay for (`BENCHMARKS.md`, "Targets"):
//! tower-sessions saves a session by writing the whole record it loaded,
//! so two requests that load one session, change different keys and save
//! both leave only the later save's keys. sesh merges each request's
//! changes key by key (in Redis, in a script over a hash), so every key
//! stays.
//!
//! | route | what the handler does |
//! |-------|-----------------------|
//! | `POST /start` | inserts `started` into a fresh session |
//! | `POST /put/{key}` | reads `started` (410 without it), yields, inserts `key` |
//! | `GET /count/{n}` | how many of `k0` … `k{n-1}` the session holds |
//!
//! The yield between the read and the insert stands for a handler's own
//! work: the window in which another request can load the same record.
//! [`Overlap`] counts how many handlers are inside that window at once, so
//! a run shows that its requests did overlap; made with
//! [`Overlap::meeting`], it also holds the first handlers there until a
//! second one arrives, so a test's race takes place whatever the scheduler
//! does.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::Router;
use futures_util::future::join_all;
use tokio::{net::TcpListener, sync::Notify};

use crate::{
    BoxError, Impl, Store, apps,
    stores::{RedisOptions, sesh_redis_store, tower_redis_store},
};

/// The marker `/start` inserts and `/put` reads first.
const STARTED: &str = "started";

/// The key every `/increment` adds one to.
const COUNTER: &str = "n";

/// The name of the `i`th writer's key.
#[must_use]
pub fn writer_key(i: usize) -> String {
    format!("k{i}")
}

/// How long a handler of a [meeting](Overlap::meeting) waits for company
/// before it goes on alone: long enough for any loaded machine, and a lone
/// last writer costs no more than this.
const MEETING_LIMIT: Duration = Duration::from_secs(1);

/// How many `/put` handlers were between their read and their insert at
/// once: now, and at most since it was made or [reset](Self::reset).
/// Clones share the count.
#[derive(Debug, Clone, Default)]
pub struct Overlap {
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    now: AtomicUsize,
    max: AtomicUsize,
    /// Handlers that entered since the last reset.
    entered: AtomicUsize,
    /// How many handlers a meeting waits for; 0 for none.
    meet: usize,
    met: Notify,
}

impl Overlap {
    /// Counts, and holds each of the first `handlers - 1` handlers after a
    /// reset inside the window until the `handlers`th has entered (or
    /// a second has passed), so that many are in it together.
    #[must_use]
    pub fn meeting(handlers: usize) -> Self {
        Self {
            counts: Arc::new(Counts {
                meet: handlers,
                ..Counts::default()
            }),
        }
    }

    /// The most handlers seen inside the window at once.
    #[must_use]
    pub fn max(&self) -> usize {
        self.counts.max.load(Ordering::Relaxed)
    }

    /// Starts counting afresh, and a meeting anew.
    pub fn reset(&self) {
        self.counts.max.store(0, Ordering::Relaxed);
        self.counts.entered.store(0, Ordering::SeqCst);
    }

    /// Counts one handler in until the guard drops; in a meeting, waits
    /// for company first.
    async fn enter(&self) -> InWindow {
        let counts = &self.counts;
        let now = counts.now.fetch_add(1, Ordering::Relaxed) + 1;
        counts.max.fetch_max(now, Ordering::Relaxed);
        let window = InWindow(Arc::clone(counts));
        let entered = counts.entered.fetch_add(1, Ordering::SeqCst) + 1;
        if entered == counts.meet {
            counts.met.notify_waiters();
        } else if entered < counts.meet {
            // Registered before the second look, so a handler entering
            // in between cannot wake nobody.
            let met = counts.met.notified();
            tokio::pin!(met);
            met.as_mut().enable();
            if counts.entered.load(Ordering::SeqCst) < counts.meet {
                // Alone at the limit: go on; the count shows it.
                let _alone = tokio::time::timeout(MEETING_LIMIT, met).await;
            }
        }
        window
    }
}

/// One handler inside the window; counted out on drop.
struct InWindow(Arc<Counts>);

impl Drop for InWindow {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The race routes of `implementation` (sesh or tower-sessions) over a
/// fresh `store` (memory or Redis), counting into `overlap`.
///
/// # Errors
/// When Redis is unreachable, or for an implementation or store the race
/// does not cover.
pub async fn app(
    implementation: Impl,
    store: Store,
    redis: &RedisOptions,
    overlap: &Overlap,
) -> Result<Router, BoxError> {
    let overlap = overlap.clone();
    Ok(match (implementation, store) {
        (Impl::Sesh, Store::Memory) => {
            sesh_routes::routes(overlap).layer(apps::sesh_layer(sesh::MemoryStore::new()))
        }
        (Impl::Sesh, Store::Redis) => {
            sesh_routes::routes(overlap).layer(apps::sesh_layer(sesh_redis_store(redis).await?))
        }
        (Impl::TowerSessions, Store::Memory) => {
            tower_routes::routes(overlap, tower_sessions::MemoryStore::default())
        }
        (Impl::TowerSessions, Store::Redis) => tower_routes::routes(overlap, tower_redis_store(redis).await?),
        (implementation, store) => {
            return Err(format!(
                "the race runs sesh and tower-sessions over memory or redis, not {implementation} over {store}"
            )
            .into());
        }
    })
}

mod sesh_routes {
    use axum::{
        Router,
        extract::Path,
        http::StatusCode,
        routing::{get, post},
    };
    use sesh::{Error, Session};

    use super::{COUNTER, Overlap, STARTED, writer_key};

    pub(super) fn routes(overlap: Overlap) -> Router {
        let counter_overlap = overlap.clone();
        Router::new()
            .route(
                "/start",
                post(|session: Session| async move { session.insert(STARTED, true) }),
            )
            .route(
                "/put/{key}",
                post(move |session: Session, Path(key): Path<String>| async move {
                    if session.get::<bool>(STARTED)?.is_none() {
                        return Ok(StatusCode::GONE);
                    }
                    let _window = overlap.enter().await;
                    tokio::task::yield_now().await;
                    session.insert(&key, 1_u32)?;
                    Ok::<_, Error>(StatusCode::OK)
                }),
            )
            .route(
                "/increment",
                post(move |session: Session| async move {
                    if session.get::<bool>(STARTED)?.is_none() {
                        return Ok(StatusCode::GONE);
                    }
                    let _window = counter_overlap.enter().await;
                    tokio::task::yield_now().await;
                    // The read-modify-write that runs again on a conflict.
                    session.update(COUNTER, |n: Option<u64>| n.unwrap_or(0) + 1)?;
                    Ok::<_, Error>(StatusCode::OK)
                }),
            )
            .route(
                "/total",
                get(|session: Session| async move {
                    session.get::<u64>(COUNTER).map(|n| n.unwrap_or(0).to_string())
                }),
            )
            .route("/count/{n}", get(count))
    }

    async fn count(session: Session, Path(n): Path<usize>) -> Result<String, Error> {
        let mut kept = 0;
        for i in 0..n {
            kept += usize::from(session.get::<u32>(&writer_key(i))?.is_some());
        }
        Ok(kept.to_string())
    }
}

mod tower_routes {
    use axum::{
        Router,
        extract::Path,
        http::StatusCode,
        response::Response,
        routing::{get, post},
    };
    use tower_sessions::{Session, SessionManagerLayer, SessionStore};

    use super::{COUNTER, Overlap, STARTED, writer_key};
    use crate::apps::tower_handlers::failed;

    pub(super) fn routes<S: SessionStore + Clone>(overlap: Overlap, store: S) -> Router {
        let counter_overlap = overlap.clone();
        Router::new()
            .route(
                "/start",
                post(|session: Session| async move {
                    session.insert(STARTED, true).await.map_err(|e| failed(&e))
                }),
            )
            .route(
                "/put/{key}",
                post(move |session: Session, Path(key): Path<String>| async move {
                    if session
                        .get::<bool>(STARTED)
                        .await
                        .map_err(|e| failed(&e))?
                        .is_none()
                    {
                        return Ok(StatusCode::GONE);
                    }
                    let _window = overlap.enter().await;
                    tokio::task::yield_now().await;
                    session.insert(&key, 1_u32).await.map_err(|e| failed(&e))?;
                    Ok::<_, Response>(StatusCode::OK)
                }),
            )
            .route(
                "/increment",
                post(move |session: Session| async move {
                    let started = session.get::<bool>(STARTED).await.map_err(|e| failed(&e))?;
                    if started.is_none() {
                        return Ok(StatusCode::GONE);
                    }
                    let _window = counter_overlap.enter().await;
                    tokio::task::yield_now().await;
                    // tower-sessions has no read-modify-write: read, then write.
                    let n: u64 = session.get(COUNTER).await.map_err(|e| failed(&e))?.unwrap_or(0);
                    session.insert(COUNTER, n + 1).await.map_err(|e| failed(&e))?;
                    Ok::<_, Response>(StatusCode::OK)
                }),
            )
            .route(
                "/total",
                get(|session: Session| async move {
                    let n: Option<u64> = session.get(COUNTER).await.map_err(|e| failed(&e))?;
                    Ok::<_, Response>(n.unwrap_or(0).to_string())
                }),
            )
            .route("/count/{n}", get(count))
            .layer(SessionManagerLayer::new(store).with_secure(false))
    }

    async fn count(session: Session, Path(n): Path<usize>) -> Result<String, Response> {
        let mut kept = 0;
        for i in 0..n {
            let value = session.get::<u32>(&writer_key(i)).await.map_err(|e| failed(&e))?;
            kept += usize::from(value.is_some());
        }
        Ok(kept.to_string())
    }
}

/// Serves `app` on a free loopback port, on the current runtime.
///
/// # Errors
/// When no port can be bound.
pub async fn serve(app: Router) -> Result<SocketAddr, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("race server stopped: {e}");
        }
    });
    Ok(addr)
}

/// What the writers of a trial race on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Race {
    /// Each inserts a key of its own: a per-key merge keeps them all.
    DistinctKeys,
    /// Each increments one counter: only a read-modify-write keeps them all.
    SameKey,
}

/// How a trial sends its writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writers {
    /// All at once: the race.
    AtOnce,
    /// Each after the previous one has answered: no race, every key kept.
    OneByOne,
}

/// One trial: a fresh session on the server at `addr`, then `writers`
/// requests, each inserting its own key or incrementing the counter; returns
/// how many of the writes the session holds afterwards.
///
/// # Errors
/// When a request fails or is refused; the error names the request, the
/// status and what the server answered.
pub async fn trial(addr: SocketAddr, writers: usize, how: Writers, race: Race) -> Result<usize, BoxError> {
    // A cookie jar per trial: each trial races on its own session.
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let base = format!("http://{addr}");
    answer(client.post(format!("{base}/start"))).await?;
    let put = |i| {
        let path = match race {
            Race::DistinctKeys => format!("{base}/put/{}", writer_key(i)),
            Race::SameKey => format!("{base}/increment"),
        };
        answer(client.post(path))
    };
    match how {
        Writers::AtOnce => {
            for outcome in join_all((0..writers).map(put)).await {
                outcome?;
            }
        }
        Writers::OneByOne => {
            for i in 0..writers {
                put(i).await?;
            }
        }
    }
    let count = match race {
        Race::DistinctKeys => answer(client.get(format!("{base}/count/{writers}"))).await?,
        Race::SameKey => answer(client.get(format!("{base}/total"))).await?,
    };
    count
        .parse()
        .map_err(|e| format!("/count answered {count:?}, not a number: {e}").into())
}

/// Sends `request`; its body if the status is a success, else an error
/// naming the request, the status and the body.
async fn answer(request: reqwest::RequestBuilder) -> Result<String, BoxError> {
    let response = request.send().await?;
    let (url, status) = (response.url().path().to_owned(), response.status());
    let body = response.text().await?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(format!("{url} answered {status}: {body}").into())
    }
}
