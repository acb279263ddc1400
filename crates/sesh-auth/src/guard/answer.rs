//! What a guard answers instead of the route: its verdict, and the 401,
//! 303 or 403 that goes with it.

use std::{future::Future, pin::Pin, sync::Arc};

use axum_core::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, Uri, header};

use crate::Error;

/// A guard's decision about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Through to the route.
    Pass,
    /// Nobody is logged in.
    Visitor,
    /// Logged in, without a permission the route needs.
    Forbidden,
}

/// A guard's check of one request, boxed: its type depends on the backend.
pub(crate) type Check = Pin<Box<dyn Future<Output = Result<Verdict, Error>> + Send>>;

/// How a guard answers a visitor: 401, or a 303 to the login page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Visitors {
    login_url: Option<Arc<str>>,
}

impl Visitors {
    pub(crate) fn redirect_to(login_url: &str) -> Self {
        Self {
            login_url: Some(login_url.into()),
        }
    }

    /// The login URL, for `Layer::layer`'s check.
    pub(crate) fn login_url(&self) -> Option<&str> {
        self.login_url.as_deref()
    }

    /// The answer to a request `uri` that did not pass.
    pub(crate) fn answer(&self, verdict: Verdict, uri: &Uri) -> Response {
        match (verdict, &self.login_url) {
            (Verdict::Forbidden, _) => (
                StatusCode::FORBIDDEN,
                "forbidden: this route needs a permission the logged-in user does not have",
            )
                .into_response(),
            (_, Some(login_url)) => see_other(&redirect_url(login_url, uri)),
            (_, None) => (StatusCode::UNAUTHORIZED, "not logged in: log in first").into_response(),
        }
    }
}

/// A 303 to `location`, checked by [`check_login_url`] when the layer was
/// applied (and the `next` part percent-encoded).
fn see_other(location: &str) -> Response {
    match HeaderValue::try_from(location) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// `login_url` with a `next` parameter naming the path and query of `uri`,
/// percent-encoded: `/login?next=%2Forders%3Fpage%3D2`.
pub(crate) fn redirect_url(login_url: &str, uri: &Uri) -> String {
    let next = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let separator = if login_url.contains('?') { '&' } else { '?' };
    let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("{login_url}{separator}next={next}")
}

/// Why `login_url` cannot be a `Location` a `next` is appended to, if it
/// cannot; `Layer::layer` panics with it, so the mistake shows at startup.
pub(crate) fn check_login_url(login_url: &str) -> Result<(), String> {
    if login_url.is_empty() || !login_url.bytes().all(|b| b.is_ascii_graphic()) || login_url.contains('#') {
        return Err(format!(
            "login_url({login_url:?}) must be a non-empty URL of printable ASCII without a fragment, \
             such as \"/login\": percent-encode anything else"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_the_encoded_path_and_query() {
        let uri: Uri = "http://example.com/orders/7?tab=a%20b&x=%2F"
            .parse()
            .expect("a valid URI");
        assert_eq!(
            redirect_url("/login", &uri),
            "/login?next=%2Forders%2F7%3Ftab%3Da%2520b%26x%3D%252F"
        );
        assert_eq!(
            redirect_url("/auth?lang=fr", &"/a".parse().expect("a path")),
            "/auth?lang=fr&next=%2Fa"
        );
    }

    #[test]
    fn a_login_url_that_cannot_be_a_location_is_refused() {
        assert!(check_login_url("/login").is_ok());
        assert!(check_login_url("https://id.example/login?app=1").is_ok());
        for bad in ["", "/log in", "/login#top", "/login\n", "/connexion-é"] {
            let e = check_login_url(bad).expect_err(bad);
            assert!(e.contains("login_url"), "{e}");
        }
    }
}
