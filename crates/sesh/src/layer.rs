use std::{
    future::Future,
    sync::{Arc, OnceLock},
    time::Duration,
};

use cookie::SameSite;
use http::HeaderName;
use sesh_core::{Clock, Error, Expiry, SessionStore};
use tower_layer::Layer;

use crate::{
    Key, LimitPolicy, SessionService,
    client_side::NoStore,
    config::{Config, CookieConfig, DEFAULT_MAX_DATA_BYTES, SessionLimit},
    hooks::{Hook, Hooks, SessionEvent},
    seal::Seal,
    store_calls::TimedStore,
    transport::Transport,
    validate,
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
///
/// # Configuration errors
/// The setters never panic. Mistakes that would make browsers drop the
/// cookie without a word (an invalid name, a `__Host-` or `__Secure-`
/// prefix without the attributes it promises, `SameSite=None` without
/// `Secure`, a cookie over 4096 bytes) and keys given without a mode are
/// reported by [`validated`](Self::validated) as one
/// [`ErrorKind::Config`](crate::ErrorKind::Config) error naming each rule
/// and its fix. [`Layer::layer`] panics with that same message, so a
/// misconfigured app fails at startup, never on a request.
///
/// ```
/// use sesh::{MemoryStore, SessionLayer};
///
/// let err = SessionLayer::new(MemoryStore::new())
///     .cookie_name("__Host-session")
///     .path("/app")
///     .validated()
///     .unwrap_err();
/// assert!(err.to_string().contains("__Host-"));
/// ```
///
/// # Signed and private cookies, key rotation
/// [`signed`](Self::signed) adds an HMAC to the session ID, so forged IDs
/// are refused before any store lookup; [`private`](Self::private) also
/// encrypts it. Both bind the value to the cookie name. To rotate, make the
/// new key current and pass the old ones to
/// [`previous_keys`](Self::previous_keys): cookies under an old key are
/// still accepted and re-issued under the current key on the next response
/// that uses the session. Drop an old key once every session issued under it
/// has expired (the absolute timeout).
///
/// # Client-side sessions
/// [`client_side`](Self::client_side) keeps the whole state in a private
/// cookie instead of a store: see its documentation for the trade-offs.
///
/// # Header transport
/// [`header`](Self::header) moves the session from cookies to a request and
/// response header, for API clients. The session is never read from the
/// URL: a token in a URL leaks through server and proxy logs, `Referer`
/// and browser history (OWASP ASVS 3.1.1).
#[derive(Debug, Clone)]
pub struct SessionLayer {
    config: Arc<Config>,
    /// The configuration check's verdict (the error message, if any), kept
    /// so applying the layer many times (axum does it per route, and per
    /// call when a `Router` is driven without `with_state`) checks once.
    checked: OnceLock<Option<String>>,
}

impl SessionLayer {
    /// What every request's session gets from this layer.
    pub(crate) fn config(&self) -> &Arc<Config> {
        &self.config
    }

    /// A layer keeping sessions in `store`.
    pub fn new(store: impl SessionStore) -> Self {
        Self {
            config: Arc::new(Config {
                store: TimedStore::new(Arc::new(store)),
                cookie: CookieConfig::default(),
                expiry: Expiry::new(),
                clock: Clock::system(),
                session_limit: None,
                max_data_bytes: DEFAULT_MAX_DATA_BYTES,
                rotation_grace: None,
                hooks: Hooks::default(),
            }),
            checked: OnceLock::new(),
        }
    }

    /// A layer for client-side sessions: the whole state lives in a cookie
    /// encrypted and authenticated with `key`, and the server keeps nothing.
    /// Handlers use [`Session`](crate::Session) exactly as with a store.
    ///
    /// ```
    /// use sesh::{Key, SessionLayer};
    ///
    /// let layer = SessionLayer::client_side(Key::generate());
    /// ```
    ///
    /// The trade-offs:
    /// - State is limited by the 4096-byte cookie (less the name and about
    ///   a third for encryption and base64). [`Session::insert`](crate::Session::insert)
    ///   refuses a value that would not fit with
    ///   [`ErrorKind::CookieTooLarge`](crate::ErrorKind::CookieTooLarge);
    ///   a final cookie still over the limit turns the response into a 500.
    /// - The idle and absolute deadlines travel sealed in the cookie, so a
    ///   copied cookie stops working when they pass. Until then it keeps
    ///   working even after `destroy` or `cycle_id`: there is no server
    ///   record to delete. Use a store when logout must revoke at once.
    /// - Tampered, truncated, expired or retired-key cookies start a fresh,
    ///   empty session; they never cause an error response.
    /// - [`Session::id`](crate::Session::id) names the session (it changes on
    ///   `cycle_id`) but does not address any server state.
    #[must_use]
    pub fn client_side(key: impl Into<Key>) -> Self {
        Self::new(NoStore).with(|s| {
            s.cookie.client_side = true;
            s.cookie.sealing.seal = Seal::Private(key.into());
        })
    }

    fn with(mut self, f: impl FnOnce(&mut Config)) -> Self {
        f(Arc::make_mut(&mut self.config));
        self.checked = OnceLock::new();
        self
    }

    /// Sets the cookie's name. It must be an RFC 6265 token (no spaces,
    /// `;`, `=`…); a `__Host-` name also needs `Secure`, `Path=/` and no
    /// `Domain`, a `__Secure-` one needs `Secure`. Checked when the layer is
    /// built (see [Configuration errors](Self#configuration-errors)).
    #[must_use]
    pub fn cookie_name(self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.with(|s| s.cookie.name = name)
    }

    /// Sets `Secure` (default on). Turn it off only for plain-HTTP local
    /// development: the cookie then travels unencrypted.
    #[must_use]
    pub fn secure(self, secure: bool) -> Self {
        self.with(|s| s.cookie.secure = secure)
    }

    /// Sets `Partitioned` (default off), for a cookie set in a third-party
    /// context (an embedded widget): browsers that partition cookies (CHIPS)
    /// keep it per top-level site instead of blocking it. Needs `Secure`;
    /// checked when the layer is built.
    #[must_use]
    pub fn partitioned(self, partitioned: bool) -> Self {
        self.with(|s| s.cookie.partitioned = partitioned)
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

    /// Sets `Path` (default `/`). It may not contain `;` or control
    /// characters; checked when the layer is built.
    #[must_use]
    pub fn path(self, path: impl Into<String>) -> Self {
        let path = path.into();
        self.with(|s| s.cookie.path = path)
    }

    /// Sets `Domain` (default none: the cookie goes only to the host that
    /// set it, which is safer). It may not contain `;` or control
    /// characters; checked when the layer is built.
    #[must_use]
    pub fn domain(self, domain: impl Into<String>) -> Self {
        let domain = domain.into();
        self.with(|s| s.cookie.domain = Some(domain))
    }

    /// Sets the idle (sliding) timeout. It must be longer than zero and at
    /// most [`Expiry::MAX_TIMEOUT`] (100 years): [`validated`](Self::validated)
    /// refuses others.
    #[must_use]
    pub fn idle_timeout(self, idle: Duration) -> Self {
        self.with(|s| s.expiry = s.expiry.idle_timeout(idle))
    }

    /// Sets the absolute timeout, counted from creation and never extended.
    /// It must be longer than zero and at most [`Expiry::MAX_TIMEOUT`]
    /// (100 years): [`validated`](Self::validated) refuses others.
    #[must_use]
    pub fn absolute_timeout(self, absolute: Duration) -> Self {
        self.with(|s| s.expiry = s.expiry.absolute_timeout(absolute))
    }

    /// Sets all of the expiry policy at once (see [`Expiry`]).
    #[must_use]
    pub fn expiry(self, expiry: Expiry) -> Self {
        self.with(|s| s.expiry = expiry)
    }

    /// Bounds each store call the layer makes (default 3 seconds; it must
    /// be longer than zero):
    /// past it, the request answers 503 instead of waiting on a hung store.
    /// Stores have limits of their own per round trip; this one also
    /// bounds an `apply` with all its retries.
    #[must_use]
    pub fn store_timeout(self, limit: Duration) -> Self {
        self.with(|s| s.store.limit = limit)
    }

    /// Caps what one session's data may hold, counted as its keys' bytes
    /// plus their values' JSON (default 1 MiB). An insert that would grow
    /// the data past it fails with [`ErrorKind::TooLarge`](crate::ErrorKind::TooLarge),
    /// answered 413 when a handler returns it, before any store call; a
    /// session already past it (the limit was lowered) may still shrink.
    /// Must be at least 1.
    #[must_use]
    pub fn max_data_bytes(self, max: usize) -> Self {
        self.with(|s| s.max_data_bytes = max)
    }

    /// Lets requests still in flight with a rotated-away ID reach the
    /// session's new ID for `grace` after the rotation ([`Session::cycle_id`],
    /// [`Session::login`]), and gives them the new cookie: a page that
    /// fires several requests while one of them logs in sees no "logged
    /// out" answers. Off by default; at most 60 seconds.
    ///
    /// The rotation leaves, under a store key only the old ID derives, the
    /// new ID masked with a pad only the old ID derives, expiring after
    /// `grace`; the old record is deleted as before. A request whose ID
    /// names no session then costs one more store read. Never the reverse:
    /// the new ID does not lead to the old. [`Session::destroy`] and logout
    /// leave no forward.
    ///
    /// The price: within the window, whoever holds the old ID reaches the
    /// new session, so an attacker who planted that ID (session fixation)
    /// would too. Rotation at login defeats fixation only once the window
    /// has passed: keep it to the seconds a page's requests take.
    ///
    /// [`Session::cycle_id`]: crate::Session::cycle_id
    /// [`Session::login`]: crate::Session::login
    /// [`Session::destroy`]: crate::Session::destroy
    #[must_use]
    pub fn rotation_grace(self, grace: Duration) -> Self {
        self.with(|s| s.rotation_grace = Some(grace))
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

    /// Signs the session ID with `key` (HMAC-SHA256 over the cookie name
    /// and value): forged or altered IDs are refused before any store
    /// lookup. The ID stays readable; use [`private`](Self::private) to hide it.
    #[must_use]
    pub fn signed(self, key: impl Into<Key>) -> Self {
        let key = key.into();
        self.with(|s| s.cookie.sealing.seal = Seal::Signed(key))
    }

    /// Encrypts and authenticates the cookie with `key` (AES-256-GCM, the
    /// cookie name bound as associated data): the client can neither read
    /// nor alter it, nor move it to another cookie name.
    #[must_use]
    pub fn private(self, key: impl Into<Key>) -> Self {
        let key = key.into();
        self.with(|s| s.cookie.sealing.seal = Seal::Private(key))
    }

    /// Keys that sealed cookies before the current one. Cookies under them
    /// are still accepted and re-issued under the current key; cookies
    /// under a key not listed are refused (a fresh session starts). Needs
    /// [`signed`](Self::signed), [`private`](Self::private) or
    /// [`client_side`](Self::client_side).
    #[must_use]
    pub fn previous_keys<K: Into<Key>>(self, keys: impl IntoIterator<Item = K>) -> Self {
        let keys: Vec<Key> = keys.into_iter().map(Into::into).collect();
        self.with(|s| s.cookie.sealing.previous = keys)
    }

    /// Carries the session in the request and response header `name`
    /// (`x-session-id`, say) instead of cookies, for API clients: the
    /// client sends the value it was given last; a response that creates,
    /// rotates or re-issues the session carries the new value in the same
    /// header, and an empty value when the session ends. Cookies are then
    /// neither read nor set. The session is never read from a URL (OWASP
    /// ASVS 3.1.1: URLs leak through logs, `Referer` and history).
    #[must_use]
    pub fn header(self, name: impl AsRef<str>) -> Self {
        self.transport(".header()", name.as_ref(), false)
    }

    /// Carries the session in cookies for browsers and in the header `name`
    /// for API clients, on one layer. A request's session header wins over
    /// its cookies when both come (an API client names its session
    /// explicitly); the answer goes back the way the session came, and a
    /// new session goes back in the header if the request sent that header
    /// at all (an empty value asks for one), in a cookie otherwise. So a
    /// browser's scripts never see a session value in a response header.
    ///
    /// ```
    /// use sesh::{MemoryStore, SessionLayer};
    ///
    /// // Browsers get `Set-Cookie: session=…`; the mobile app sends
    /// // `x-session-id: ` on its first request and gets `x-session-id: …`.
    /// let layer = SessionLayer::new(MemoryStore::new()).cookie_and_header("x-session-id");
    /// ```
    #[must_use]
    pub fn cookie_and_header(self, name: impl AsRef<str>) -> Self {
        self.transport(".cookie_and_header()", name.as_ref(), true)
    }

    fn transport(self, setter: &str, name: &str, cookie: bool) -> Self {
        match HeaderName::from_bytes(name.as_bytes()) {
            Ok(header) => self.with(|s| {
                s.cookie.transport = Transport {
                    cookie,
                    header: Some(header),
                };
            }),
            Err(_) => {
                let problem = format!(
                    "{name:?} is not a valid HTTP header name for {setter}: use a token like \"x-session-id\""
                );
                self.with(|s| s.cookie.problems.push(problem))
            }
        }
    }

    /// Calls `hook` on every [`SessionEvent`], after the store write it
    /// describes, on a task of its own (see [`crate::hooks`] for
    /// what a failing or hanging hook does). Each call adds a hook.
    ///
    /// ```
    /// use sesh::{MemoryStore, SessionLayer, hooks::EventKind};
    ///
    /// let layer = SessionLayer::new(MemoryStore::new()).on_event(|event| async move {
    ///     if matches!(event.kind, EventKind::Login | EventKind::Logout) {
    ///         tracing::info!(target: "audit", kind = event.kind.as_str(), user = ?event.user, key = %event.key.to_hex());
    ///     }
    /// });
    /// ```
    #[must_use]
    pub fn on_event<F, Fut>(self, hook: F) -> Self
    where
        F: Fn(SessionEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let hook: Arc<Hook> = Arc::new(move |event| Box::pin(hook(event)));
        self.with(|config| config.hooks.push(hook))
    }

    /// Checks the configuration now, instead of when the layer is applied.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config), naming every rule
    /// broken and how to fix it (see
    /// [Configuration errors](Self#configuration-errors)).
    pub fn validated(self) -> Result<Self, Error> {
        validate::check(&self.config)?;
        Ok(self)
    }
}

/// # Panics
/// If the configuration is invalid, with the message
/// [`SessionLayer::validated`] returns: misconfiguration fails at startup.
impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let verdict = self
            .checked
            .get_or_init(|| validate::check(&self.config).err().map(|e| e.to_string()));
        if let Some(error) = verdict {
            panic!("{error}");
        }
        SessionService::new(inner, Arc::clone(&self.config))
    }
}
