//! The crate's one error type: a kind to match on, a message that names
//! the fix, and the cause.

use std::{error::Error as StdError, fmt};

use axum_core::response::{IntoResponse, Response};
use http::StatusCode;

/// What went wrong, without the details: match on this to decide what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Nobody is logged in (or the session ended because the user's
    /// credentials changed). Answered 401.
    Unauthenticated,
    /// The session failed: its store is down or slow, a session limit
    /// refused the login... The cause is a [`sesh::Error`]; answered as it
    /// answers (503, 409, 500...).
    Session,
    /// The application's [`AuthBackend`](crate::AuthBackend) failed; the
    /// cause is its own error. Answered 500.
    Backend,
    /// No [`AuthLayer`](crate::AuthLayer) in front of the handler, or no
    /// `sesh::SessionLayer` in front of the `AuthLayer`. Answered 500,
    /// naming the fix.
    MissingLayer,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unauthenticated => "not logged in",
            Self::Session => "session error",
            Self::Backend => "authentication backend error",
            Self::MissingLayer => "authentication layer missing",
        })
    }
}

/// The error type of sesh-auth: a kind, a message for people and the cause.
///
/// It never carries a session ID, a stored value or a credential. The cause
/// ([`source`](StdError::source)) is the [`sesh::Error`] of a session
/// failure, or the application's own error from its backend:
///
/// ```
/// use std::error::Error as _;
///
/// # #[derive(Debug)] struct DbError; impl std::fmt::Display for DbError {
/// #     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("db") } }
/// # impl std::error::Error for DbError {}
/// fn is_db_error(e: &sesh_auth::Error) -> bool {
///     e.kind() == sesh_auth::ErrorKind::Backend && e.source().is_some_and(|s| s.is::<DbError>())
/// }
/// ```
///
/// As an axum response: 401 for [`ErrorKind::Unauthenticated`], what the
/// `sesh::Error` answers for [`ErrorKind::Session`] (503 when the store is
/// unavailable), 500 otherwise. The body names no internals, except for a
/// missing layer, whose fix it spells out.
pub struct Error {
    kind: ErrorKind,
    message: &'static str,
    source: Option<Source>,
}

enum Source {
    Session(sesh::Error),
    Backend(Box<dyn StdError + Send + Sync + 'static>),
}

impl Error {
    /// Nobody is logged in.
    pub(crate) fn unauthenticated() -> Self {
        Self {
            kind: ErrorKind::Unauthenticated,
            message: "log in first",
            source: None,
        }
    }

    /// The backend failed while doing `what`.
    pub(crate) fn backend(what: &'static str, source: impl StdError + Send + Sync + 'static) -> Self {
        Self {
            kind: ErrorKind::Backend,
            message: what,
            source: Some(Source::Backend(Box::new(source))),
        }
    }

    /// A layer is missing; `fix` says which and where it goes.
    pub(crate) fn missing_layer(fix: &'static str) -> Self {
        Self {
            kind: ErrorKind::MissingLayer,
            message: fix,
            source: None,
        }
    }

    /// What kind of error this is.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether retrying later may help: the session store could not be
    /// reached or did not answer in time (answered 503).
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(&self.source, Some(Source::Session(e)) if e.is_unavailable())
    }
}

/// A session failure; the `sesh::Error` is kept as the cause.
impl From<sesh::Error> for Error {
    fn from(e: sesh::Error) -> Self {
        Self {
            kind: ErrorKind::Session,
            message: "",
            source: Some(Source::Session(e)),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind);
        if !self.message.is_empty() {
            d.field("message", &self.message);
        }
        match &self.source {
            Some(Source::Session(e)) => d.field("source", e),
            Some(Source::Backend(e)) => d.field("source", e),
            None => &mut d,
        };
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.source, self.message) {
            // sesh's own message says it all.
            (Some(Source::Session(e)), _) => fmt::Display::fmt(e, f),
            (_, "") => fmt::Display::fmt(&self.kind, f),
            (_, message) => write!(f, "{}: {message}", self.kind),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.source {
            Some(Source::Session(e)) => Some(e),
            Some(Source::Backend(e)) => Some(&**e),
            None => None,
        }
    }
}

impl IntoResponse for Error {
    /// 401 for [`ErrorKind::Unauthenticated`]; a session error answers as
    /// `sesh::Error` does; 500 for the rest, logged with the cause.
    fn into_response(self) -> Response {
        match (self.kind, self.source) {
            (ErrorKind::Unauthenticated, _) => {
                (StatusCode::UNAUTHORIZED, "not logged in: log in first").into_response()
            }
            (_, Some(Source::Session(e))) => e.into_response(),
            (ErrorKind::MissingLayer, _) => {
                let text = format!("{}: {}", ErrorKind::MissingLayer, self.message);
                tracing::error!(error = %text, "authentication error");
                (StatusCode::INTERNAL_SERVER_ERROR, text).into_response()
            }
            (kind, source) => {
                let source = match &source {
                    Some(Source::Backend(e)) => Some(e.to_string()),
                    _ => None,
                };
                tracing::error!(error = %kind, doing = self.message, ?source, "authentication error");
                (StatusCode::INTERNAL_SERVER_ERROR, "authentication error").into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Db;

    impl fmt::Display for Db {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("connection refused")
        }
    }

    impl StdError for Db {}

    #[test]
    fn a_backend_error_keeps_the_apps_error_as_its_source() {
        let e = Error::backend("loading the user", Db);
        assert_eq!(e.kind(), ErrorKind::Backend);
        assert_eq!(e.to_string(), "authentication backend error: loading the user");
        assert!(e.source().is_some_and(<dyn StdError>::is::<Db>));
        assert_eq!(e.into_response().status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn a_session_error_answers_as_sesh_does() {
        let down = sesh::Error::store(std::io::Error::other("down"));
        let e = Error::from(down);
        assert_eq!(e.kind(), ErrorKind::Session);
        assert!(e.is_unavailable());
        assert!(e.source().is_some_and(<dyn StdError>::is::<sesh::Error>));
        assert_eq!(e.into_response().status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn not_logged_in_is_a_401() {
        let e = Error::unauthenticated();
        assert!(!e.is_unavailable());
        assert_eq!(e.into_response().status(), StatusCode::UNAUTHORIZED);
    }
}
