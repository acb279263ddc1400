//! Flash messages: one-shot notes for the next page ("Welcome, Ada",
//! "Wrong user name or password"), kept in the session across a redirect
//! and gone once read.
//!
//! ```
//! use axum::{Router, response::Redirect, routing::{get, post}};
//! use sesh::{MemoryStore, SessionLayer, flash::Flash};
//!
//! async fn save(flash: Flash) -> Result<Redirect, sesh::Error> {
//!     flash.success("Saved.")?;
//!     Ok(Redirect::to("/"))
//! }
//!
//! async fn home(flash: Flash) -> Result<String, sesh::Error> {
//!     // Read once: the next page shows none of these again.
//!     let notes: Vec<String> = flash.take()?.into_iter().map(|m| m.text).collect();
//!     Ok(notes.join("\n"))
//! }
//!
//! let app: Router = Router::new()
//!     .route("/", get(home))
//!     .route("/save", post(save))
//!     .layer(SessionLayer::new(MemoryStore::new()));
//! ```
//!
//! Each message is a data key of its own (`sesh.flash.<time>-<random>`),
//! so the per-key merge keeps a message one request adds while a parallel
//! request of the same session reads and removes the messages it saw.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng as _;
use serde::{Deserialize, Serialize};
use sesh_core::Error;

use crate::Session;

/// The prefix of the data keys flash messages live under; `sesh.` keys are
/// reserved for sesh's own features.
const PREFIX: &str = "sesh.flash.";

/// How much a message matters, for the page to style it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Level {
    /// Detail for developers.
    Debug,
    /// Something worth knowing.
    Info,
    /// Something went well.
    Success,
    /// Something may need attention.
    Warning,
    /// Something failed.
    Error,
}

/// One flash message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// How much it matters.
    pub level: Level,
    /// The text, for the page to escape and show.
    pub text: String,
}

/// Adds a message for the next page of `session` (loaded).
///
/// # Errors
/// As [`Session::insert`].
pub fn push(session: &Session, level: Level, text: impl Into<String>) -> Result<(), Error> {
    let message = Message {
        level,
        text: text.into(),
    };
    session.insert(&fresh_key(), message)
}

/// The messages waiting in `session` (loaded), oldest first, removed: each
/// is shown once.
///
/// # Errors
/// As [`Session::get`].
pub fn take(session: &Session) -> Result<Vec<Message>, Error> {
    let keys: Vec<String> = session
        .keys()
        .into_iter()
        .filter(|key| key.starts_with(PREFIX))
        .collect();
    let mut messages = Vec::with_capacity(keys.len());
    for key in keys {
        // A message of another shape (another version's) is dropped unread.
        if let Ok(Some(message)) = session.get::<Message>(&key) {
            messages.push(message);
        }
        session.remove(&key);
    }
    Ok(messages)
}

/// The messages waiting in `session` (loaded), oldest first, left there.
///
/// # Errors
/// As [`Session::get`].
pub fn peek(session: &Session) -> Result<Vec<Message>, Error> {
    let keys = session.keys();
    let flashes = keys.iter().filter(|key| key.starts_with(PREFIX));
    Ok(flashes
        .filter_map(|key| session.get::<Message>(key).ok().flatten())
        .collect())
}

/// A key that sorts after every earlier message's (nanoseconds since the
/// epoch, zero-padded) and is unique among parallel requests (random tail).
fn fresh_key() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{PREFIX}{nanos:024}-{:016x}", rand::rng().random::<u64>())
}

#[cfg(feature = "axum")]
pub use extract::Flash;

#[cfg(feature = "axum")]
mod extract {
    use axum_core::extract::FromRequestParts;
    use http::request::Parts;
    use sesh_core::Error;

    use super::{Level, Message, peek, push, take};
    use crate::Session;

    /// The flash messages of the request's session: an axum extractor
    /// (it loads the session, as extracting [`Session`] does).
    #[derive(Debug, Clone)]
    pub struct Flash(Session);

    impl Flash {
        /// Adds a message at `level`.
        ///
        /// # Errors
        /// As [`Session::insert`].
        pub fn push(&self, level: Level, text: impl Into<String>) -> Result<(), Error> {
            push(&self.0, level, text)
        }

        /// Adds an [`Level::Info`] message.
        ///
        /// # Errors
        /// As [`Session::insert`].
        pub fn info(&self, text: impl Into<String>) -> Result<(), Error> {
            self.push(Level::Info, text)
        }

        /// Adds a [`Level::Success`] message.
        ///
        /// # Errors
        /// As [`Session::insert`].
        pub fn success(&self, text: impl Into<String>) -> Result<(), Error> {
            self.push(Level::Success, text)
        }

        /// Adds a [`Level::Warning`] message.
        ///
        /// # Errors
        /// As [`Session::insert`].
        pub fn warning(&self, text: impl Into<String>) -> Result<(), Error> {
            self.push(Level::Warning, text)
        }

        /// Adds a [`Level::Error`] message.
        ///
        /// # Errors
        /// As [`Session::insert`].
        pub fn error(&self, text: impl Into<String>) -> Result<(), Error> {
            self.push(Level::Error, text)
        }

        /// The waiting messages, oldest first, removed.
        ///
        /// # Errors
        /// As [`Session::get`].
        pub fn take(&self) -> Result<Vec<Message>, Error> {
            take(&self.0)
        }

        /// The waiting messages, oldest first, left for a later page.
        ///
        /// # Errors
        /// As [`Session::get`].
        pub fn peek(&self) -> Result<Vec<Message>, Error> {
            peek(&self.0)
        }
    }

    /// Loads the session like [`Session`]'s extractor, and rejects alike.
    impl<S: Send + Sync> FromRequestParts<S> for Flash {
        type Rejection = Error;

        async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
            Session::from_request_parts(parts, state).await.map(Flash)
        }
    }
}
