//! Testing applications that use sessions: a handler's session without a
//! server, and a client that keeps cookies across requests to a router.
//!
//! # A handler, without a server
//! Handlers take a [`Session`] like any other argument: hand them one from
//! [`session`], then look at what they left in it.
//!
//! ```
//! use sesh::{Session, testing};
//!
//! async fn remember_theme(session: Session) -> Result<(), sesh::Error> {
//!     session.insert("theme", "dark")
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), sesh::Error> {
//! let session = testing::session();
//! remember_theme(session.clone()).await?;
//! assert_eq!(session.get::<String>("theme")?.as_deref(), Some("dark"));
//! # Ok(()) }
//! ```
//!
//! [`session_for`] gives one under a layer's settings and store, and
//! [`Session::save`] then stores it there, for a test that goes on over
//! HTTP.
//!
//! # A router, request by request
//! [`TestClient`] (feature `axum`) sends requests to a `Router` in process
//! (tower's `oneshot`, no socket) and keeps the cookies the answers set,
//! as a browser would.
//!
//! ```
//! # #[cfg(feature = "axum")] {
//! use axum::{Router, routing::get};
//! use sesh::{MemoryStore, Session, SessionLayer, testing::TestClient};
//!
//! async fn count(session: Session) -> Result<String, sesh::Error> {
//!     session.update("n", |n: Option<u64>| n.unwrap_or(0) + 1).map(|n| n.to_string())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let app = Router::new().route("/", get(count)).layer(SessionLayer::new(MemoryStore::new()));
//! let mut client = TestClient::new(app);
//! assert_eq!(client.get("/").await.text, "1");
//! assert_eq!(client.get("/").await.text, "2"); // the session cookie was kept
//! # }
//! # }
//! ```

#[cfg(feature = "axum")]
mod client;

#[cfg(feature = "axum")]
pub use client::{TestClient, TestResponse};

use crate::{MemoryStore, Session, SessionLayer};

/// A new, empty session over a fresh [`MemoryStore`] and the default
/// settings, loaded and ready for a handler under test.
#[must_use]
pub fn session() -> Session {
    session_for(&SessionLayer::new(MemoryStore::new()))
}

/// A new, empty session under `layer`'s settings and store, loaded and
/// ready for a handler under test; [`Session::save`] stores it there.
#[must_use]
pub fn session_for(layer: &SessionLayer) -> Session {
    Session::fresh(std::sync::Arc::clone(layer.config()))
}
