use std::{error::Error as StdError, fmt};

/// A boxed error from a store's driver, a codec or the application.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong, without the details: match on this to decide what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The store's backend failed: a connection, a query or a protocol error.
    Store,
    /// A store call did not finish within its time limit.
    Timeout,
    /// A record in the store could not be decoded (corrupt, or written by a
    /// newer, incompatible format).
    Decode,
    /// A value could not be converted to or from its stored JSON form.
    Serialization,
    /// The configuration is not valid (for example a table name, a key
    /// prefix or a cookie name with invalid characters).
    Config,
    /// The `Session` was used outside the session layer.
    MissingLayer,
    /// The session cookie would be larger than browsers keep (4096 bytes).
    CookieTooLarge,
    /// The store does not offer a capability the call needs (the per-user
    /// index): use a store that implements it.
    Unsupported,
    /// The user already has as many sessions as the configured limit
    /// allows, and the policy refuses new logins.
    SessionLimit,
    /// The session's data would grow past the layer's size limit
    /// (`SessionLayer::max_data_bytes`); nothing was changed. Answered 413.
    TooLarge,
    /// The store refused a write for good (a value too long for its
    /// column, a packet over the server's limit): trying again cannot
    /// succeed, so HTTP answers 500, not 503.
    StoreRefused,
    /// The session was used before it was loaded: call `Session::load`
    /// first (the axum extractor does it). Answered 500, naming the fix.
    NotLoaded,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Store => "session store error",
            Self::Timeout => "session store timed out",
            Self::Decode => "stored session could not be decoded",
            Self::Serialization => "session value could not be (de)serialized",
            Self::Config => "invalid session configuration",
            Self::MissingLayer => "session layer missing",
            Self::CookieTooLarge => "session cookie too large",
            Self::Unsupported => "session store does not support this",
            Self::SessionLimit => "too many sessions for this user",
            Self::TooLarge => "session data too large",
            Self::StoreRefused => "session store refused the write",
            Self::NotLoaded => "session used before it was loaded",
        })
    }
}

/// The error type of sesh: a kind, a message for people and the cause.
///
/// The cause is kept and returned by [`source`](StdError::source), so logs
/// show the driver's own error under sesh's.
pub struct Error {
    kind: ErrorKind,
    message: Option<Box<str>>,
    source: Option<BoxError>,
}

impl Error {
    /// An error of `kind` caused by `source`.
    ///
    /// A `serde_json::Error` is not kept as the cause: its text quotes the
    /// data it failed on (`invalid type: string "…"`), and session data may
    /// be secret. What kind of failure it was and where are kept instead.
    pub fn new(kind: ErrorKind, source: impl Into<BoxError>) -> Self {
        let source = source.into();
        if let Some(json) = source.downcast_ref::<serde_json::Error>() {
            return Self::msg(kind, json_failure(json));
        }
        Self {
            kind,
            message: None,
            source: Some(source),
        }
    }

    /// An error of `kind` with a message and no underlying cause.
    pub fn msg(kind: ErrorKind, message: impl Into<Box<str>>) -> Self {
        Self {
            kind,
            message: Some(message.into()),
            source: None,
        }
    }

    /// Adds a message that says what sesh was doing when `source` failed.
    #[must_use]
    pub fn context(mut self, message: impl Into<Box<str>>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// A backend failure of a store, with its cause.
    pub fn store(source: impl Into<BoxError>) -> Self {
        Self::new(ErrorKind::Store, source)
    }

    /// A record that could not be decoded, with its cause.
    pub fn decode(source: impl Into<BoxError>) -> Self {
        Self::new(ErrorKind::Decode, source)
    }

    /// Whether the store could not be reached or did not answer in time:
    /// the request may succeed later, so HTTP answers 503, not 500.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(self.kind, ErrorKind::Store | ErrorKind::Timeout)
    }

    /// What kind of error this is.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind);
        if let Some(message) = &self.message {
            d.field("message", message);
        }
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(message) => write!(f, "{}: {message}", self.kind),
            None => fmt::Display::fmt(&self.kind, f),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

/// What went wrong in JSON, without any of the data.
fn json_failure(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Io => "an I/O error while writing JSON",
        Category::Syntax => "malformed JSON",
        Category::Data => "JSON of another shape than expected",
        Category::Eof => "JSON cut short",
    };
    match e.line() {
        0 => what.to_owned(),
        line => format!("{what} (line {line}, column {})", e.column()),
    }
}

/// The data is left out of the error (see [`Error::new`]).
impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Self::new(ErrorKind::Serialization, e)
    }
}

/// A store call that ran past its time limit (`tokio::time::timeout`).
impl From<tokio::time::error::Elapsed> for Error {
    fn from(e: tokio::time::error::Elapsed) -> Self {
        Self::new(ErrorKind::Timeout, e)
    }
}

/// `Result` with sesh's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_kind_and_message_and_keeps_source() {
        let io = std::io::Error::other("connection reset");
        let e = Error::store(io).context("loading a session");
        assert_eq!(e.kind(), ErrorKind::Store);
        assert_eq!(e.to_string(), "session store error: loading a session");
        assert_eq!(
            e.source().map(ToString::to_string).as_deref(),
            Some("connection reset")
        );
    }

    #[test]
    fn json_errors_never_carry_the_data() {
        let e = serde_json::from_str::<u64>(r#""s3cret""#).expect_err("a string");
        assert!(e.to_string().contains("s3cret"), "serde_json quotes it: {e}");
        for error in [
            Error::from(e),
            Error::decode(serde_json::from_slice::<u64>(br#"{"k":"s3cret"}"#).expect_err("a map")),
        ] {
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(error.source().is_none());
            assert!(shown.contains("another shape"), "{shown}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_passed_limit_is_a_timeout_that_keeps_its_cause() {
        let never = std::future::pending::<()>();
        let elapsed = tokio::time::timeout(std::time::Duration::from_millis(5), never)
            .await
            .expect_err("it never finishes");
        let e = Error::from(elapsed);
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(e.is_unavailable(), "a timeout answers 503");
        assert_eq!(
            e.source().map(ToString::to_string).as_deref(),
            Some("deadline has elapsed")
        );
    }
}

#[cfg(feature = "axum")]
mod response {
    use axum_core::response::{IntoResponse, Response};
    use http::StatusCode;

    use super::{Error, ErrorKind};

    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    impl IntoResponse for Error {
        /// A 503 when the store failed or timed out (retrying may help),
        /// a 409 when a session limit refused a login, a 413 when the
        /// session's data would grow past its size limit, a 500 otherwise. The
        /// body names no internals, except for the mistakes of a missing
        /// layer or a session used before it was loaded, whose fix it
        /// spells out.
        fn into_response(self) -> Response {
            // Store failures were logged where they happened, with the
            // session's salted hash; log them here only for debugging.
            if self.is_unavailable() || self.kind == ErrorKind::Decode {
                tracing::debug!(error = %self, "session error answered");
            } else {
                tracing::error!(error = %self, source = ?std::error::Error::source(&self), "session error");
            }
            if self.is_unavailable() {
                (StatusCode::SERVICE_UNAVAILABLE, "session store unavailable").into_response()
            } else if self.kind == ErrorKind::SessionLimit {
                (StatusCode::CONFLICT, self.to_string()).into_response()
            } else if self.kind == ErrorKind::TooLarge {
                (StatusCode::PAYLOAD_TOO_LARGE, self.to_string()).into_response()
            } else if matches!(self.kind, ErrorKind::MissingLayer | ErrorKind::NotLoaded) {
                (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
            } else {
                (StatusCode::INTERNAL_SERVER_ERROR, "session error").into_response()
            }
        }
    }
}
