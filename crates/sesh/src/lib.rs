//! Server-side sessions for [tower] and [axum] that never lose an update.
//!
//! A cookie carries a random 256-bit session ID; a [store] keeps
//! the state; [`SessionLayer`] loads it when a handler extracts
//! [`Session`] and stores what the handler changed after it answers.
//!
//! ```
//! use axum::{routing::get, Router};
//! use sesh::{MemoryStore, Session, SessionLayer};
//!
//! async fn counter(session: Session) -> Result<String, sesh::Error> {
//!     let n: u64 = session.get("n")?.unwrap_or(0); // the record was loaded at extraction
//!     session.insert("n", n + 1)?;                  // stored after the response
//!     Ok((n + 1).to_string())
//! }
//!
//! let app: Router = Router::new()
//!     .route("/", get(counter))
//!     .layer(SessionLayer::new(MemoryStore::new()));
//! ```
//!
//! # What happens on each request
//! - The cookie is parsed strictly: a malformed, unknown or expired ID is
//!   "no session", never an error and never adopted. The `Cookie` header is
//!   read as bytes, so another cookie's non-ASCII value does not hide the
//!   session's. Of several session cookies (a stale one of a more specific
//!   path first) the first three are tried in order and the first that
//!   names a live session is used; refused values are logged once per
//!   request, as a count and a salted hash.
//! - Handlers that do not extract [`Session`] cost no store I/O.
//! - An unmodified session is not written and gets no `Set-Cookie`; reads
//!   extend the idle deadline with a throttled `touch`.
//! - A modified session is merged per key with concurrent requests' writes.
//! - A session's data is capped ([`SessionLayer::max_data_bytes`], 1 MiB by
//!   default): an insert past it fails with [`ErrorKind::TooLarge`] (413).
//! - A 5xx from the handler stores nothing; a store failure answers 503, a
//!   store's permanent refusal ([`ErrorKind::StoreRefused`]) 500.
//! - Every response of a handler that loaded the session carries
//!   `Vary: Cookie` (the header's name under the header transport), set
//!   cookie or not; responses that set the cookie also carry
//!   `Cache-Control: private`. The layer owns its cookie: a handler's own
//!   `Set-Cookie` of the session cookie (or its own session header) is
//!   dropped, logged at `debug`.
//! - The session is stored when the handler's response head is ready,
//!   before its body streams: a body that fails midway does not undo what
//!   the handler changed.
//! - Stored values never reach logs, errors or `Debug` output: errors name
//!   keys and types, `Debug` shows keys only.
//!
//! # Cookies
//! - Defaults: `HttpOnly; Secure; SameSite=Lax; Path=/`, no `Domain`, no
//!   `Max-Age` unless the session is persistent (then at most 400 days).
//! - The configuration is checked when the layer is built: an invalid
//!   name, a `__Host-`/`__Secure-` prefix without the attributes it needs,
//!   or a cookie over 4096 bytes is an [`ErrorKind::Config`] from
//!   [`SessionLayer::validated`], and a panic from `Layer::layer`, never a
//!   cookie browsers silently drop.
//! - [`SessionLayer::signed`] (HMAC) and [`SessionLayer::private`] (AEAD)
//!   protect the ID with a [`Key`]; [`SessionLayer::previous_keys`] keeps
//!   old keys' cookies working and re-issues them under the current key.
//! - [`SessionLayer::client_side`] keeps the whole state in an encrypted
//!   cookie, with no store; its deadlines travel sealed inside it.
//! - [`SessionLayer::header`] carries the session in a header for API
//!   clients. The session is never read from a URL (OWASP ASVS 3.1.1).
//! - Refused cookies (bad signature, tampered, malformed) are logged as a
//!   `warn` event with target `sesh` and a salted hash of the value.
//!
//! ```
//! use sesh::{Key, MemoryStore, SessionLayer};
//!
//! # fn main() -> Result<(), sesh::Error> {
//! let current = Key::generate(); // in production: Key::from_base64(&secret)?
//! let retired_soon = Key::generate();
//! let layer = SessionLayer::new(MemoryStore::new())
//!     .cookie_name("__Host-session")
//!     .private(current)
//!     .previous_keys([retired_soon])
//!     .validated()?;
//! # Ok(()) }
//! ```
//!
//! # Built on sessions
//! - [`flash`]: one-shot messages for the next page, kept across a redirect.
//! - [`csrf`]: a synchronizer token per session, masked per page, checked on
//!   every unsafe request by [`csrf::CsrfLayer`].
//! - [`hooks`]: async callbacks on lifecycle events, for audit logs
//!   ([`SessionLayer::on_event`]).
//! - [`testing`]: a handler's session without a server, and a client that
//!   keeps cookies across requests to a router.
//! - Data keys starting with `sesh.` are reserved for these.
//!
//! # Feature flags
//! | flag | default | what it adds |
//! |------|---------|--------------|
//! | `axum` | yes | the `Session` extractor, `IntoResponse` for [`Error`], the [`flash::Flash`] and [`csrf::CsrfToken`] extractors, [`csrf::CsrfLayer`], [`testing::TestClient`] |
//! | `metrics` | no | counters and histograms through the [`metrics`](https://docs.rs/metrics) facade; [`mod@metrics`] lists them |
//!
//! [tower]: https://docs.rs/tower
//! [axum]: https://docs.rs/axum

#![cfg_attr(docsrs, feature(doc_cfg))]

mod client_side;
mod config;
pub mod csrf;
pub mod flash;
mod future;
pub mod hooks;
mod layer;
pub mod metrics;
mod request;
mod response;
mod seal;
mod service;
mod session;
mod store_calls;
pub mod testing;
mod transport;
mod validate;

pub use ::cookie::SameSite;
pub use config::LimitPolicy;
pub use future::{ResponseFuture, StoreFailure};
pub use layer::SessionLayer;
pub use seal::Key;
pub use service::SessionService;
pub use sesh_core::{
    Clock, Error, ErrorKind, Expiry, LogId, MemoryStore, ParseIdError, SessionId, StoreKey, UserSession,
};
pub use session::{Session, SessionValue};

/// For those who write a session store, or call one directly: the trait,
/// the record it keeps and the outcomes of its calls.
///
/// Applications need none of this to use sessions: [`SessionLayer::new`]
/// takes any store, and the [`Session`] handle does the rest. The
/// `sesh-core` crate holds the same items, for store crates that should
/// not depend on tower or axum; its `sesh-store-tests` companion is the
/// conformance suite every store runs.
///
/// A store in a few lines, over a mutex-guarded map, with the trait's
/// default compare-and-swap `apply`, run through the conformance suite:
///
/// ```
/// use std::{collections::HashMap, sync::Mutex, time::SystemTime};
///
/// use sesh::{Error, StoreKey, store::{Created, Record, Saved, SessionStore}};
///
/// #[derive(Default)]
/// struct MapStore(Mutex<HashMap<StoreKey, Record>>);
///
/// impl MapStore {
///     fn map(&self) -> std::sync::MutexGuard<'_, HashMap<StoreKey, Record>> {
///         self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
///     }
/// }
///
/// #[async_trait::async_trait]
/// impl SessionStore for MapStore {
///     async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
///         let now = SystemTime::now();
///         Ok(self.map().get(key).filter(|r| !r.is_expired(now)).cloned())
///     }
///
///     async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
///         let mut map = self.map();
///         if map.get(key).is_some_and(|r| !r.is_expired(SystemTime::now())) {
///             return Ok(Created::Collision);
///         }
///         map.insert(*key, record.clone());
///         Ok(Created::Created)
///     }
///
///     async fn save(&self, key: &StoreKey, record: &Record, expected: u64) -> Result<Saved, Error> {
///         let mut map = self.map();
///         match map.get_mut(key) {
///             Some(stored) if !stored.is_expired(SystemTime::now()) && stored.version == expected => {
///                 *stored = record.clone();
///                 Ok(Saved::Saved)
///             }
///             _ => Ok(Saved::Conflict),
///         }
///     }
///
///     async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
///         if let Some(stored) = self.map().get_mut(key) {
///             stored.expires_at = expires_at.min(stored.absolute_deadline);
///         }
///         Ok(())
///     }
///
///     async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
///         self.map().remove(key);
///         Ok(())
///     }
/// }
///
/// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)] async fn main() {
/// // Every promise of the trait, each on a fresh store. In a store crate's
/// // tests, `sesh_store_tests::conformance_suite!` makes one test of each.
/// sesh_store_tests::check_store(|| async { MapStore::default() }).await;
/// # }
/// ```
pub mod store {
    pub use sesh_core::{
        Applied, BoxError, Changes, Created, FORMAT_VERSION, Inspect, MAX_SAVE_ATTEMPTS, Record,
        RecordSummary, Saved, ScanCursor, ScanPage, SessionData, SessionStore, SweepExpired, UserIndex, data,
        foreign_cursor, from_unix_millis, json_len, unix_millis,
    };
}
