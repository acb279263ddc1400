//! Where the session travels: a cookie (the default) or, for API clients,
//! a request/response header. Never the URL.
//!
//! OWASP ASVS 3.1.1 forbids session tokens in URLs: a URL is written to
//! server and proxy logs, sent to other sites in `Referer`, kept in
//! browser history and bookmarks, and pasted into chats. So no query
//! parameter or path segment is ever read as a session.

use http::{HeaderName, HeaderValue, header};

/// How the session value goes back and forth.
#[derive(Debug, Clone, Default)]
pub(crate) enum Transport {
    /// `Cookie` in, `Set-Cookie` out.
    #[default]
    Cookie,
    /// The same header in and out (`x-session-id`, say); cookies are
    /// neither read nor set.
    Header(HeaderName),
}

impl Transport {
    /// The response header the session value is sent in.
    pub(crate) fn response_header(&self) -> HeaderName {
        match self {
            Self::Cookie => header::SET_COOKIE,
            Self::Header(name) => name.clone(),
        }
    }

    /// The request header a response that used the session depends on.
    pub(crate) fn vary(&self) -> &str {
        match self {
            Self::Cookie => "cookie",
            Self::Header(name) => name.as_str(),
        }
    }

    /// What to send under the header transport when the session ends: an
    /// empty value, which clients take as "forget the session".
    pub(crate) fn ended() -> HeaderValue {
        HeaderValue::from_static("")
    }
}
