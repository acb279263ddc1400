//! Where the session travels: a cookie (the default), a request/response
//! header for API clients, or both on one layer. Never the URL.
//!
//! OWASP ASVS 3.1.1 forbids session tokens in URLs: a URL is written to
//! server and proxy logs, sent to other sites in `Referer`, kept in
//! browser history and bookmarks, and pasted into chats. So no query
//! parameter or path segment is ever read as a session.

use http::{HeaderMap, HeaderName, HeaderValue, header};

/// How the session value goes back and forth.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    /// `Cookie` in, `Set-Cookie` out.
    pub(crate) cookie: bool,
    /// The same header in and out (`x-session-id`, say).
    pub(crate) header: Option<HeaderName>,
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            cookie: true,
            header: None,
        }
    }
}

/// Which way one request's session value came, and goes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Via {
    #[default]
    Cookie,
    Header,
}

impl Transport {
    /// The way a response to `headers` carries the session when the
    /// request brought none that loaded: the header if the request sent it
    /// at all (an empty value asks an API session to start), else cookies.
    pub(crate) fn reply_via(&self, headers: &HeaderMap) -> Via {
        match &self.header {
            Some(name) if !self.cookie || headers.contains_key(name) => Via::Header,
            _ => Via::Cookie,
        }
    }

    /// The response header the session value is sent in, `via` that way.
    pub(crate) fn response_header(&self, via: Via) -> HeaderName {
        match (via, &self.header) {
            (Via::Header, Some(name)) => name.clone(),
            _ => header::SET_COOKIE,
        }
    }

    /// The request headers a response that used the session depends on.
    pub(crate) fn vary(&self) -> impl Iterator<Item = &str> {
        let cookie = self.cookie.then_some("cookie");
        cookie
            .into_iter()
            .chain(self.header.as_ref().map(HeaderName::as_str))
    }

    /// What to send under the header transport when the session ends: an
    /// empty value, which clients take as "forget the session".
    pub(crate) fn ended() -> HeaderValue {
        HeaderValue::from_static("")
    }
}
