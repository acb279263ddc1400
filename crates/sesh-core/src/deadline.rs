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
//! The price is precision: a limit fires up to [`TICK`] late. Limits run
//! on real time, not on a paused Tokio clock. The watcher parks after a
//! second without work and is woken by the next call; should its thread
//! fail to start, each call falls back to a Tokio timer of its own.

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

/// Slots a table keeps room for once it is empty again.
const KEPT_SLOTS: usize = 256;

/// Bounds `call` by `limit`: the returned future gives `Err(Elapsed)` once
/// `limit` (up to a [`TICK`] more) has passed since its first poll found
/// `call` pending.
pub fn within<F: Future>(limit: Duration, call: F) -> Within<F> {
    Within {
        call,
        limit,
        armed: Armed::No,
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
        armed: Armed,
    }
}

/// How a pending call is being timed.
enum Armed {
    /// Not yet: the call has not been found pending.
    No,
    /// In the watcher's table.
    Slot(Slot),
    /// By a Tokio timer of its own, when the watcher thread could not start.
    Timer(Pin<Box<tokio::time::Sleep>>),
    /// Not at all: the limit reaches past what `Instant` can hold (a
    /// `Duration::MAX` meaning "no limit"), or there is neither a watcher
    /// nor a Tokio runtime.
    Never,
}

impl Armed {
    fn new(limit: Duration, waker: &Waker) -> Self {
        let Some(deadline) = Instant::now().checked_add(limit) else {
            return Self::Never;
        };
        let watch = watch();
        match watch.watcher() {
            Some(watcher) => Self::Slot(Slot::take(watch, watcher, deadline, waker)),
            None => match tokio::runtime::Handle::try_current() {
                Ok(_) => Self::Timer(Box::pin(tokio::time::sleep_until(deadline.into()))),
                Err(_) => Self::Never,
            },
        }
    }
}

impl<F: Future> Future for Within<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(output) = this.call.poll(cx) {
            // Freed now rather than when the future is dropped.
            *this.armed = Armed::No;
            return Poll::Ready(Ok(output));
        }
        if let Armed::No = this.armed {
            *this.armed = Armed::new(*this.limit, cx.waker());
            if !matches!(this.armed, Armed::Timer(_)) {
                // A new slot holds this waker already.
                return Poll::Pending;
            }
        }
        let elapsed = match this.armed {
            Armed::Slot(slot) if Instant::now() >= slot.deadline => true,
            Armed::Slot(slot) => {
                slot.wake_with(cx.waker());
                false
            }
            Armed::Timer(sleep) => sleep.as_mut().poll(cx).is_ready(),
            Armed::No | Armed::Never => false,
        };
        if elapsed {
            *this.armed = Armed::No;
            return Poll::Ready(Err(Elapsed));
        }
        Poll::Pending
    }
}

impl<F> Within<F> {
    /// Whether a slot or a timer is counting down for this call.
    fn is_armed(&self) -> bool {
        !matches!(self.armed, Armed::No | Armed::Never)
    }
}

impl<F> fmt::Debug for Within<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Within")
            .field("limit", &self.limit)
            .field("armed", &self.is_armed())
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
        // Woken outside the locks: waking can take the runtime's own. A
        // waker that panics must not end the thread every limit relies on.
        for waker in due {
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake())).is_err() {
                tracing::error!("a task's waker panicked when its store call ran out of time");
            }
        }
    }
}

impl Slot {
    fn take(watch: &Watch, watcher: &thread::Thread, deadline: Instant, waker: &Waker) -> Self {
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
        if watch.parked.load(Ordering::SeqCst) {
            watcher.unpark();
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
                let old = std::mem::replace(&mut entry.waker, waker.clone());
                // Dropped unlocked: a waker's drop may free a task that
                // frees a slot of this table.
                drop(table);
                drop(old);
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let watch = watch();
        let mut table = watch.table(self.shard);
        let entry = table.entries[self.index].take();
        table.free.push(self.index);
        if table.free.len() == table.entries.len() {
            // Nothing pending here: start over, so that after a burst (an
            // outage piling up calls) the watcher does not keep scanning
            // its high-water mark every tick. The memory is kept unless the
            // burst was large: freeing it each time costs more than the slot.
            table.entries.clear();
            table.free.clear();
            if table.entries.capacity() > KEPT_SLOTS {
                table.entries.shrink_to(KEPT_SLOTS);
                table.free.shrink_to(KEPT_SLOTS);
            }
        }
        drop(table);
        drop(entry);
        watch.live.fetch_sub(1, Ordering::SeqCst);
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
        assert!(!call.is_armed());
    }

    #[test]
    fn a_limit_past_the_end_of_time_means_no_limit() {
        let mut call = std::pin::pin!(within(Duration::MAX, std::future::pending::<()>()));
        let polled = call.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        assert_eq!(polled, Poll::Pending);
        assert!(!call.is_armed());
    }

    /// A waker that panics when the watcher wakes it.
    struct Panicky;

    impl std::task::Wake for Panicky {
        fn wake(self: std::sync::Arc<Self>) {
            panic!("this waker panics on purpose");
        }
    }

    #[tokio::test]
    async fn a_panicking_waker_does_not_stop_the_watcher() {
        let waker = Waker::from(std::sync::Arc::new(Panicky));
        let mut doomed = std::pin::pin!(within(Duration::from_millis(1), std::future::pending::<()>()));
        assert_eq!(
            doomed.as_mut().poll(&mut Context::from_waker(&waker)),
            Poll::Pending
        );
        tokio::time::sleep(5 * TICK).await;
        let next = within(Duration::from_millis(20), std::future::pending::<()>());
        // A Tokio timer as referee, so a dead watcher fails the test
        // instead of hanging it.
        let answer = tokio::time::timeout(Duration::from_secs(5), next).await;
        assert_eq!(answer, Ok(Err(Elapsed)), "the watcher still wakes calls");
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
