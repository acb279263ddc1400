use std::time::{Duration, SystemTime};

/// How long sessions live.
///
/// - The **idle timeout** slides: a session not used for this long ends.
///   Reads count as use, but they extend the deadline with a throttled
///   `touch` (see [`touch_after`](Self::touch_after)), never a full write.
/// - The **absolute timeout** is fixed at creation and never extended, not
///   by activity and not by rotating the ID.
///
/// Whether the *cookie* outlives the browser is decided per session
/// (`Session::set_persistent`); a persistent cookie's `Max-Age` follows the
/// session's deadline.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sesh_core::Expiry;
///
/// // Banking: 15 minutes idle, 8 hours at most, a read slides the deadline
/// // once a quarter of the idle window has passed.
/// let expiry = Expiry::new()
///     .idle_timeout(Duration::from_secs(15 * 60))
///     .absolute_timeout(Duration::from_secs(8 * 60 * 60))
///     .touch_after(0.25);
/// let now = SystemTime::now();
/// let (idle_deadline, absolute_deadline) = expiry.deadlines_from(now);
/// assert_eq!(idle_deadline, now + Duration::from_secs(15 * 60));
/// assert_eq!(absolute_deadline, now + Duration::from_secs(8 * 60 * 60));
/// // In an app: `SessionLayer::new(store).expiry(expiry)`.
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expiry {
    idle: Duration,
    absolute: Duration,
    touch_after: f64,
}

impl Default for Expiry {
    fn default() -> Self {
        Self::new()
    }
}

impl Expiry {
    /// The longest idle or absolute timeout: 100 years.
    /// `SessionLayer::validated` refuses longer ones, and the arithmetic
    /// here counts any longer one as this, so that no deadline overflows
    /// `SystemTime` or a store's millisecond timestamps.
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

    /// Idle timeout 24 hours, absolute timeout 14 days, touch once a tenth
    /// of the idle window has passed.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            idle: Duration::from_secs(24 * 60 * 60),
            absolute: Duration::from_secs(14 * 24 * 60 * 60),
            touch_after: 0.1,
        }
    }

    /// Sets the idle (sliding) timeout.
    #[must_use]
    pub const fn idle_timeout(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// Sets the absolute timeout, counted from creation.
    #[must_use]
    pub const fn absolute_timeout(mut self, absolute: Duration) -> Self {
        self.absolute = absolute;
        self
    }

    /// Sets what fraction of the idle window must pass before a request that
    /// only reads extends the deadline (clamped to `0.0..=1.0`). The cost
    /// of throttling is precision: a session may end up to this fraction of
    /// the idle timeout early. `0.0` touches on every request.
    #[must_use]
    pub fn touch_after(mut self, fraction: f64) -> Self {
        self.touch_after = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        self
    }

    /// This policy for a session with an idle timeout of its own
    /// ([`Record::idle_timeout`](crate::Record::idle_timeout)): the shorter
    /// of the two idle timeouts.
    #[must_use]
    pub fn for_session(self, own_idle: Option<Duration>) -> Self {
        match own_idle {
            Some(idle) if idle < self.idle => Self { idle, ..self },
            _ => self,
        }
    }

    /// The idle timeout.
    #[must_use]
    pub const fn idle(&self) -> Duration {
        self.idle
    }

    /// The absolute timeout.
    #[must_use]
    pub const fn absolute(&self) -> Duration {
        self.absolute
    }

    /// `(expires_at, absolute_deadline)` for a session created at `now`.
    #[must_use]
    pub fn deadlines_from(&self, now: SystemTime) -> (SystemTime, SystemTime) {
        let absolute = later(now, self.absolute);
        (self.extend(now, absolute), absolute)
    }

    /// The idle deadline for activity at `now`, capped by `absolute`.
    #[must_use]
    pub fn extend(&self, now: SystemTime, absolute: SystemTime) -> SystemTime {
        later(now, self.idle).min(absolute)
    }

    /// Whether a read at `now` should extend a deadline of `expires_at`:
    /// only if that moves it by at least the touch fraction of the window.
    #[must_use]
    pub fn needs_touch(&self, now: SystemTime, expires_at: SystemTime, absolute: SystemTime) -> bool {
        let target = self.extend(now, absolute);
        match target.duration_since(expires_at) {
            Ok(gain) => {
                let threshold = self.idle.min(Self::MAX_TIMEOUT).mul_f64(self.touch_after);
                !gain.is_zero() && gain >= threshold
            }
            Err(_) => false,
        }
    }
}

/// `timeout` after `now`, a timeout past [`Expiry::MAX_TIMEOUT`] counted as
/// that; `now` itself in the impossible case that even that overflows.
fn later(now: SystemTime, timeout: Duration) -> SystemTime {
    now.checked_add(timeout.min(Expiry::MAX_TIMEOUT)).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn new_session_deadlines() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let e = Expiry::new().idle_timeout(10 * MIN).absolute_timeout(60 * MIN);
        assert_eq!(e.deadlines_from(now), (now + 10 * MIN, now + 60 * MIN));
        let short = Expiry::new().idle_timeout(60 * MIN).absolute_timeout(5 * MIN);
        assert_eq!(
            short.deadlines_from(now).0,
            now + 5 * MIN,
            "idle is capped by absolute"
        );
    }

    #[test]
    fn touch_is_throttled_to_the_fraction() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let e = Expiry::new()
            .idle_timeout(100 * MIN)
            .absolute_timeout(1000 * MIN)
            .touch_after(0.25);
        let (expires, absolute) = e.deadlines_from(t0);
        assert!(!e.needs_touch(t0, expires, absolute));
        assert!(!e.needs_touch(t0 + 24 * MIN, expires, absolute));
        assert!(e.needs_touch(t0 + 25 * MIN, expires, absolute));
    }

    #[test]
    fn huge_timeouts_saturate_instead_of_overflowing() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let e = Expiry::new()
            .idle_timeout(Duration::MAX)
            .absolute_timeout(Duration::from_secs(u64::MAX));
        let (expires, absolute) = e.deadlines_from(now);
        assert_eq!(absolute, now + Expiry::MAX_TIMEOUT);
        assert_eq!(expires, absolute);
        assert!(!e.needs_touch(now, expires, absolute));
        assert_eq!(e.extend(now, absolute), absolute);
    }

    #[test]
    fn no_touch_once_capped_by_absolute() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let e = Expiry::new()
            .idle_timeout(100 * MIN)
            .absolute_timeout(120 * MIN)
            .touch_after(0.1);
        let absolute = t0 + 120 * MIN;
        let expires = absolute;
        assert!(!e.needs_touch(t0 + 50 * MIN, expires, absolute));
    }
}
