//! Time limits on store calls without a runtime timer per call.
//!
//! Every call a network store makes is bounded, so a hung backend gives an
//! error instead of a hung request. A Tokio timer per call is armed in the
//! runtime's timer wheel and cancelled again a fraction of a millisecond
//! later: with two per Redis call (the layer's and the store's) that cost
//! about 1,000 instructions per call, 2.5 % of a Redis read in process and
//! about 0.3 µs of server CPU under load. Here a call that is still pending
//! after its first poll takes a slot in a shared table instead (a short
//! lock, no syscall), and one watcher thread wakes the calls whose
//! deadline has passed. A call that finishes at once, as every memory-store
//! call does, never touches the table or reads the clock.
//!
//! The price is precision: a limit fires up to [`TICK`] late. The watcher
//! parks after a second without work and is woken by the next call.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    sync::{
        Mutex, MutexGuard, OnceLock, PoisonError,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    task::{Context, Poll, Waker},
    thread,
    time::{Duration, Instant},
};

use pin_project_lite::pin_project;

/// How often the watcher looks for calls past their deadline: the most a
/// limit can fire late, beyond the thread's scheduling.
pub const TICK: Duration = Duration::from_millis(10);

/// Ticks without a pending call before the watcher parks.
const IDLE_TICKS: u32 = 100;

/// Independent tables, so calls on different threads rarely share a lock.
const SHARDS: usize = 8;

/// Bounds `call` by `limit`: the returned future gives `Err(Elapsed)` once
/// `limit` (up to a [`TICK`] more) has passed since its first poll found
/// `call` pending.
pub fn within<F: Future>(limit: Duration, call: F) -> Within<F> {
    Within {
        call,
        limit,
        slot: None,
    }
}

/// The limit passed before the call finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("time limit passed")
    }
}

impl std::error::Error for Elapsed {}

pin_project! {
    /// The future [`within`] returns.
    pub struct Within<F> {
        #[pin]
        call: F,
        limit: Duration,
        slot: Option<Slot>,
    }
}

impl<F: Future> Future for Within<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.call.poll(cx) {
            // Freed now rather than when the future is dropped.
            *this.slot = None;
            return Poll::Ready(Ok(output));
        }
        match this.slot {
            None => *this.slot = Some(Slot::take(Instant::now() + *this.limit, cx.waker())),
            Some(slot) if Instant::now() >= slot.deadline => {
                *this.slot = None;
                return Poll::Ready(Err(Elapsed));
            }
            Some(slot) => slot.wake_with(cx.waker()),
        }
        Poll::Pending
    }
}

impl<F> fmt::Debug for Within<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Within")
            .field("limit", &self.limit)
            .field("armed", &self.slot.is_some())
            .finish_non_exhaustive()
    }
}

/// A pending call's place in the table; freed when dropped.
struct Slot {
    shard: usize,
    index: usize,
    deadline: Instant,
}

struct Entry {
    deadline: Instant,
    waker: Waker,
}

#[derive(Default)]
struct Table {
    entries: Vec<Option<Entry>>,
    free: Vec<usize>,
}

struct Watch {
    tables: [Mutex<Table>; SHARDS],
    next_shard: AtomicUsize,
    /// Slots taken and not yet freed, across all tables.
    live: AtomicUsize,
    /// The watcher is parked (or about to be) and must be unparked.
    parked: AtomicBool,
    watcher: OnceLock<Option<thread::Thread>>,
}

fn watch() -> &'static Watch {
    static WATCH: OnceLock<Watch> = OnceLock::new();
    WATCH.get_or_init(|| Watch {
        tables: std::array::from_fn(|_| Mutex::default()),
        next_shard: AtomicUsize::new(0),
        live: AtomicUsize::new(0),
        parked: AtomicBool::new(false),
        watcher: OnceLock::new(),
    })
}

impl Watch {
    fn table(&self, shard: usize) -> MutexGuard<'_, Table> {
        // A panic under this lock leaves the table whole: each change is a
        // single push or store.
        self.tables[shard].lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts the watcher thread on first use; `None` if it could not be.
    fn watcher(&'static self) -> Option<&'static thread::Thread> {
        self.watcher
            .get_or_init(|| {
                let started = thread::Builder::new()
                    .name("sesh-deadlines".into())
                    .spawn(move || self.run());
                match started {
                    Ok(handle) => Some(handle.thread().clone()),
                    Err(error) => {
                        tracing::error!(%error, "cannot start the deadline watcher; store calls fall back to Tokio timers");
                        None
                    }
                }
            })
            .as_ref()
    }

    fn run(&self) {
        let mut idle = 0;
        loop {
            if self.live.load(Ordering::Acquire) == 0 {
                idle += 1;
                if idle >= IDLE_TICKS {
                    self.parked.store(true, Ordering::SeqCst);
                    // Re-checked after announcing the park, so a slot taken
                    // in between is not missed.
                    if self.live.load(Ordering::SeqCst) == 0 {
                        thread::park();
                    }
                    self.parked.store(false, Ordering::SeqCst);
                    idle = 0;
                }
            } else {
                idle = 0;
            }
            thread::sleep(TICK);
            self.wake_expired(Instant::now());
        }
    }

    fn wake_expired(&self, now: Instant) {
        let mut due = Vec::new();
        for shard in 0..SHARDS {
            let table = self.table(shard);
            due.extend(
                table
                    .entries
                    .iter()
                    .flatten()
                    .filter(|e| e.deadline <= now)
                    .map(|e| e.waker.clone()),
            );
        }
        // Woken outside the locks: waking can take the runtime's own.
        for waker in due {
            waker.wake();
        }
    }
}

impl Slot {
    fn take(deadline: Instant, waker: &Waker) -> Self {
        let watch = watch();
        let shard = watch.next_shard.fetch_add(1, Ordering::Relaxed) % SHARDS;
        let entry = Entry {
            deadline,
            waker: waker.clone(),
        };
        let index = {
            let mut table = watch.table(shard);
            match table.free.pop() {
                Some(index) => {
                    table.entries[index] = Some(entry);
                    index
                }
                None => {
                    table.entries.push(Some(entry));
                    table.entries.len() - 1
                }
            }
        };
        watch.live.fetch_add(1, Ordering::SeqCst);
        match watch.watcher() {
            Some(watcher) if watch.parked.load(Ordering::SeqCst) => watcher.unpark(),
            Some(_) => {}
            None => fallback(deadline, waker),
        }
        Self {
            shard,
            index,
            deadline,
        }
    }

    /// Keeps the waker current: a task may be polled from another one.
    fn wake_with(&self, waker: &Waker) {
        let mut table = watch().table(self.shard);
        if let Some(entry) = &mut table.entries[self.index] {
            if !entry.waker.will_wake(waker) {
                entry.waker.clone_from(waker);
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let watch = watch();
        let mut table = watch.table(self.shard);
        table.entries[self.index] = None;
        table.free.push(self.index);
        drop(table);
        watch.live.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Without a watcher thread, a Tokio timer wakes the call at its deadline
/// (outside a Tokio runtime, nothing can: the call then waits for itself).
fn fallback(deadline: Instant, waker: &Waker) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let waker = waker.clone();
        runtime.spawn(async move {
            tokio::time::sleep_until(deadline.into()).await;
            waker.wake();
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_call_that_finishes_in_time_gives_its_output() {
        let answer = within(Duration::from_secs(1), async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            7
        })
        .await;
        assert_eq!(answer, Ok(7));
    }

    #[tokio::test]
    async fn a_hung_call_ends_at_its_limit_within_a_few_ticks() {
        let started = Instant::now();
        let answer = within(Duration::from_millis(50), std::future::pending::<()>()).await;
        let waited = started.elapsed();
        assert_eq!(answer, Err(Elapsed));
        assert!(waited >= Duration::from_millis(50), "{waited:?}");
        // Generous: the watcher shares a busy test machine.
        assert!(waited < Duration::from_millis(50) + 100 * TICK, "{waited:?}");
    }

    #[tokio::test]
    async fn a_ready_call_takes_no_slot() {
        let mut call = std::pin::pin!(within(Duration::from_millis(1), async { 1 }));
        let waker = Waker::noop();
        let polled = call.as_mut().poll(&mut Context::from_waker(waker));
        assert_eq!(polled, Poll::Ready(Ok(1)));
        assert!(!format!("{call:?}").contains("armed: true"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_calls_each_get_their_own_answer_and_free_their_slots() {
        let calls: Vec<_> = (0..200_u64)
            .map(|i| {
                tokio::spawn(async move {
                    let limit = Duration::from_millis(40);
                    let call = async move {
                        if i % 2 == 0 {
                            std::future::pending::<()>().await;
                        }
                        tokio::time::sleep(Duration::from_millis(i % 7)).await;
                        i
                    };
                    (i, within(limit, call).await)
                })
            })
            .collect();
        let started = Instant::now();
        for call in calls {
            let (i, answer) = call.await.expect("task");
            let expected = if i % 2 == 0 { Err(Elapsed) } else { Ok(i) };
            assert_eq!(answer, expected);
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the limits ran concurrently"
        );
        let taken: usize = (0..SHARDS)
            .map(|s| watch().table(s).entries.iter().flatten().count())
            .sum();
        // Other tests in this process may hold slots right now, but not 100.
        assert!(taken < 100, "{taken} slots still taken");
    }
}
