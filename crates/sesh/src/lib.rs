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
//! # Feature flags
//! | flag | default | what it adds |
//! |------|---------|--------------|
//! | `axum` | yes | the `Session` extractor and `IntoResponse` for [`Error`] |
//!
//! [tower]: https://docs.rs/tower
//! [axum]: https://docs.rs/axum

mod commit;
mod config;
mod cookie;
#[cfg(feature = "axum")]
mod extract;
mod future;
mod layer;
mod service;
mod session;
mod timeout;
mod users;

pub use ::cookie::SameSite;
pub use future::ResponseFuture;
pub use layer::SessionLayer;
pub use service::SessionService;
pub use sesh_core::{
    Applied, Changes, Clock, Created, Error, ErrorKind, Expiry, MemoryStore, Record, Saved, SessionId,
    SessionKey, SessionStore, SweepExpired, UserIndex, UserSession, from_unix_millis, unix_millis,
};
pub use session::Session;
pub use users::LimitPolicy;
