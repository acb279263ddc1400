//! What a [`SessionLayer`](crate::SessionLayer) was configured with: one
//! [`Config`], config by every request it serves.

use std::{fmt, time::Duration};

use cookie::SameSite;
use sesh_core::{Clock, Error, ErrorKind, Expiry};

use crate::{hooks::Hooks, seal::Sealing, store_calls::TimedStore, transport::Transport};

/// Browsers ignore a cookie whose name and value add up to more than this
/// (RFC 6265bis, "Cookie Name and Value Limits").
pub(crate) const MAX_COOKIE_BYTES: usize = 4096;

/// Everything a request's session needs from the layer.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) store: TimedStore,
    pub(crate) cookie: CookieConfig,
    pub(crate) expiry: Expiry,
    pub(crate) clock: Clock,
    pub(crate) session_limit: Option<SessionLimit>,
    /// The most a session's data may hold: keys plus their values' JSON.
    pub(crate) max_data_bytes: usize,
    /// How long a rotated-away ID still leads to the session's new ID.
    pub(crate) rotation_grace: Option<Duration>,
    /// Called after the store writes of lifecycle events.
    pub(crate) hooks: Hooks,
}

/// The longest [`Config::rotation_grace`]: the window in which a planted
/// pre-login ID still reaches the logged-in session.
pub(crate) const MAX_ROTATION_GRACE: Duration = Duration::from_secs(60);

/// The default [`Config::max_data_bytes`]: 1 MiB.
pub(crate) const DEFAULT_MAX_DATA_BYTES: usize = 1 << 20;

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("cookie", &self.cookie)
            .field("expiry", &self.expiry)
            .field("clock", &self.clock)
            .field("session_limit", &self.session_limit)
            .field("max_data_bytes", &self.max_data_bytes)
            .field("rotation_grace", &self.rotation_grace)
            .field("hooks", &self.hooks)
            .field("store_timeout", &self.store.limit)
            .finish_non_exhaustive()
    }
}

/// The session cookie's name and attributes, what it carries and how.
#[derive(Debug, Clone)]
pub(crate) struct CookieConfig {
    pub(crate) name: String,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) same_site: SameSite,
    pub(crate) path: String,
    pub(crate) domain: Option<String>,
    /// `Partitioned` (CHIPS): a third-party cookie kept per top-level site.
    pub(crate) partitioned: bool,
    /// Plain, signed or private, with the keys.
    pub(crate) sealing: Sealing,
    /// Cookie or header.
    pub(crate) transport: Transport,
    /// The whole state travels in the (private) cookie; there is no store.
    pub(crate) client_side: bool,
    /// Mistakes a setter could not keep in the fields above (an invalid
    /// header name); reported when the layer is built.
    pub(crate) problems: Vec<String>,
}

impl Default for CookieConfig {
    fn default() -> Self {
        Self {
            name: "session".to_owned(),
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            path: "/".to_owned(),
            domain: None,
            partitioned: false,
            sealing: Sealing::default(),
            transport: Transport::default(),
            client_side: false,
            problems: Vec::new(),
        }
    }
}

impl CookieConfig {
    /// Refuses a cookie value of `value_len` bytes that, with the name, is
    /// over what browsers keep.
    ///
    /// # Errors
    /// [`ErrorKind::CookieTooLarge`] past [`MAX_COOKIE_BYTES`].
    pub(crate) fn check_size(&self, value_len: usize) -> Result<(), Error> {
        let total = self.name.len() + value_len;
        if total <= MAX_COOKIE_BYTES {
            return Ok(());
        }
        Err(Error::msg(
            ErrorKind::CookieTooLarge,
            format!(
                "the session cookie would be {total} bytes (name and value), over the \
                 {MAX_COOKIE_BYTES} browsers keep; keep large data in a server-side store"
            ),
        ))
    }
}

/// What happens when a user who already has the maximum number of
/// sessions logs in again (see [`SessionLayer::max_sessions_per_user`]).
///
/// [`SessionLayer::max_sessions_per_user`]: crate::SessionLayer::max_sessions_per_user
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitPolicy {
    /// The login fails with [`ErrorKind::SessionLimit`] (answered as 409
    /// Conflict); the user must end a session first.
    RefuseNew,
    /// The login succeeds and the user's oldest sessions (by creation) end
    /// until the limit holds.
    EvictOldest,
}

/// A cap on concurrent sessions per user, with its policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionLimit {
    pub(crate) max: usize,
    pub(crate) policy: LimitPolicy,
}

/// Whether `s` is an RFC 6265 cookie name (an HTTP token).
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether `s` can stand in a cookie attribute value (no `;`, no controls).
pub(crate) fn is_attribute_value(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';')
}
