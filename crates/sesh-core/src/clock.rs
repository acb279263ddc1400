use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Where the session layer reads the time from.
///
/// [`Clock::system`] in production; [`Clock::manual`] in tests, so idle and
/// absolute timeouts can be crossed without sleeping.
#[derive(Clone, Default)]
pub struct Clock(Option<Arc<AtomicU64>>);

impl Clock {
    /// The operating system's wall clock.
    #[must_use]
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that stands still at `start` until [`advance`](Self::advance)d.
    #[must_use]
    pub fn manual(start: SystemTime) -> Self {
        Self(Some(Arc::new(AtomicU64::new(unix_millis(start)))))
    }

    /// The current time.
    #[must_use]
    pub fn now(&self) -> SystemTime {
        match &self.0 {
            None => SystemTime::now(),
            Some(ms) => from_unix_millis(ms.load(Ordering::Relaxed)),
        }
    }

    /// Moves a manual clock forward; every clone sees the new time.
    ///
    /// # Panics
    /// On the system clock, which cannot be moved.
    pub fn advance(&self, by: Duration) {
        let ms = self.0.as_ref().expect("only a Clock::manual can be advanced");
        ms.fetch_add(duration_millis(by), Ordering::Relaxed);
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("Clock::System"),
            Some(_) => write!(f, "Clock::Manual({})", unix_millis(self.now())),
        }
    }
}

/// Milliseconds since the Unix epoch (0 for times before it), the form
/// stores keep timestamps in.
#[must_use]
pub fn unix_millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, duration_millis)
}

/// The inverse of [`unix_millis`].
#[must_use]
pub fn from_unix_millis(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

fn duration_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_advances_for_all_clones() {
        let start = from_unix_millis(1_000_000);
        let clock = Clock::manual(start);
        let other = clock.clone();
        clock.advance(Duration::from_secs(5));
        assert_eq!(other.now(), start + Duration::from_secs(5));
    }

    #[test]
    fn millis_round_trip() {
        let t = from_unix_millis(1_700_000_000_123);
        assert_eq!(unix_millis(t), 1_700_000_000_123);
    }
}
