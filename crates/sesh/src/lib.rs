//! Server-side sessions for [tower] and [axum] that never lose an update.
//!
//! A cookie carries a random 256-bit session ID; a [`SessionStore`] keeps
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
//!   "no session", never an error and never adopted.
//! - Handlers that do not extract [`Session`] cost no store I/O.
//! - An unmodified session is not written and gets no `Set-Cookie`; reads
//!   extend the idle deadline with a throttled `touch`.
//! - A modified session is merged per key with concurrent requests' writes.
//! - A 5xx from the handler stores nothing; a store failure answers 503.
//! - Responses that set the cookie carry `Vary: Cookie` and
//!   `Cache-Control: private`.
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
//! # Feature flags
//! | flag | default | what it adds |
//! |------|---------|--------------|
//! | `axum` | yes | the `Session` extractor and `IntoResponse` for [`Error`] |
//!
//! [tower]: https://docs.rs/tower
//! [axum]: https://docs.rs/axum

mod calls;
mod client;
mod commit;
mod config;
mod cookie;
#[cfg(feature = "axum")]
mod extract;
mod future;
mod incoming;
mod keys;
mod layer;
mod outgoing;
mod payload;
mod service;
mod session;
mod timeout;
mod transport;
mod users;
mod validate;

pub use ::cookie::SameSite;
pub use future::ResponseFuture;
pub use keys::Key;
pub use layer::SessionLayer;
pub use service::SessionService;
pub use sesh_core::data;
pub use sesh_core::{
    Applied, Changes, Clock, Created, Error, ErrorKind, Expiry, ImmediateStore, MemoryStore, Record, Saved,
    SessionData, SessionId, SessionStore, StoreKey, SweepExpired, UserIndex, UserSession, from_unix_millis,
    unix_millis,
};
pub use session::Session;
pub use users::LimitPolicy;
