use std::{sync::Arc, time::Duration};

use cookie::SameSite;
use sesh_core::{Clock, Expiry, SessionStore};
use tower_layer::Layer;

use crate::{
    LimitPolicy, SessionService,
    config::{CookieConfig, Shared, is_attribute_value, is_token},
    timeout::TimedStore,
    users::SessionLimit,
};

/// The layer that gives every request a [`Session`](crate::Session).
///
/// ```
/// use sesh::{MemoryStore, SessionLayer};
/// use std::time::Duration;
///
/// let layer = SessionLayer::new(MemoryStore::new())
///     .cookie_name("app_session")
///     .idle_timeout(Duration::from_secs(30 * 60));
/// ```
///
/// Defaults: cookie `session` with `HttpOnly`, `Secure`, `SameSite=Lax`,
/// `Path=/`, no `Domain`, no `Max-Age` (gone when the browser closes unless
/// the session is made persistent); idle timeout 24 hours, absolute 14 days.
#[derive(Debug, Clone)]
pub struct SessionLayer {
    shared: Arc<Shared>,
}

impl SessionLayer {
    /// A layer keeping sessions in `store`.
    pub fn new(store: impl SessionStore) -> Self {
        Self {
            shared: Arc::new(Shared {
                store: TimedStore::new(Arc::new(store)),
                cookie: CookieConfig::default(),
                expiry: Expiry::new(),
                clock: Clock::system(),
                session_limit: None,
            }),
        }
    }

    fn with(mut self, f: impl FnOnce(&mut Shared)) -> Self {
        f(Arc::make_mut(&mut self.shared));
        self
    }

    /// Sets the cookie's name.
    ///
    /// # Panics
    /// If `name` is not an RFC 6265 token (empty, or with spaces, `;`, `=`…).
    #[must_use]
    pub fn cookie_name(self, name: impl Into<String>) -> Self {
        let name = name.into();
        assert!(
            is_token(&name),
            "session cookie name {name:?} must be a non-empty RFC 6265 token"
        );
        self.with(|s| s.cookie.name = name)
    }

    /// Sets `Secure` (default on). Turn it off only for plain-HTTP local
    /// development: the cookie then travels unencrypted.
    #[must_use]
    pub fn secure(self, secure: bool) -> Self {
        self.with(|s| s.cookie.secure = secure)
    }

    /// Sets `HttpOnly` (default on), which keeps the cookie from scripts.
    #[must_use]
    pub fn http_only(self, http_only: bool) -> Self {
        self.with(|s| s.cookie.http_only = http_only)
    }

    /// Sets `SameSite` (default `Lax`).
    #[must_use]
    pub fn same_site(self, same_site: SameSite) -> Self {
        self.with(|s| s.cookie.same_site = same_site)
    }

    /// Sets `Path` (default `/`).
    ///
    /// # Panics
    /// If `path` contains `;` or a control character.
    #[must_use]
    pub fn path(self, path: impl Into<String>) -> Self {
        let path = path.into();
        assert!(
            is_attribute_value(&path),
            "session cookie path {path:?} contains ';' or a control character"
        );
        self.with(|s| s.cookie.path = path)
    }

    /// Sets `Domain` (default none: the cookie goes only to the host that set it).
    ///
    /// # Panics
    /// If `domain` contains `;` or a control character.
    #[must_use]
    pub fn domain(self, domain: impl Into<String>) -> Self {
        let domain = domain.into();
        assert!(
            is_attribute_value(&domain),
            "session cookie domain {domain:?} contains ';' or a control character"
        );
        self.with(|s| s.cookie.domain = Some(domain))
    }

    /// Sets the idle (sliding) timeout.
    #[must_use]
    pub fn idle_timeout(self, idle: Duration) -> Self {
        self.with(|s| s.expiry = s.expiry.idle_timeout(idle))
    }

    /// Sets the absolute timeout, counted from creation and never extended.
    #[must_use]
    pub fn absolute_timeout(self, absolute: Duration) -> Self {
        self.with(|s| s.expiry = s.expiry.absolute_timeout(absolute))
    }

    /// Sets all of the expiry policy at once (see [`Expiry`]).
    #[must_use]
    pub fn expiry(self, expiry: Expiry) -> Self {
        self.with(|s| s.expiry = expiry)
    }

    /// Bounds every store call the layer makes (default 3 seconds): past
    /// it, the request answers 503 instead of waiting on a hung store.
    /// Stores have limits of their own per round trip; this one also
    /// bounds an `apply` with all its retries.
    #[must_use]
    pub fn store_timeout(self, limit: Duration) -> Self {
        self.with(|s| s.store.limit = limit)
    }

    /// Caps each user's concurrent sessions at `max` (at least 1), applied
    /// by [`Session::login`](crate::Session::login) as `policy` says. Needs
    /// a store with a user index (every sesh store has one).
    ///
    /// Concurrent logins of one user may briefly exceed the cap by the
    /// number racing; the next login restores it.
    #[must_use]
    pub fn max_sessions_per_user(self, max: usize, policy: LimitPolicy) -> Self {
        self.with(|s| s.session_limit = Some(SessionLimit { max, policy }))
    }

    /// Reads time from `clock` instead of the system clock: for tests that
    /// cross timeouts without sleeping.
    #[must_use]
    pub fn clock(self, clock: Clock) -> Self {
        self.with(|s| s.clock = clock)
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService::new(inner, Arc::clone(&self.shared))
    }
}
