//! [`TestClient`]: requests to a router in process, with a cookie jar.

use std::{collections::BTreeMap, fmt, future::poll_fn};

use axum_core::body::Body;
use cookie::Cookie;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::BodyExt as _;
use tower_service::Service;

/// Sends requests to a service in process (an axum `Router`, or any tower
/// service of axum's bodies) and keeps the cookies its answers set (and
/// drops those they remove), as a browser would; see the
/// [module docs](super) for an example.
#[derive(Clone)]
pub struct TestClient<S> {
    app: S,
    /// Cookie name to value; attributes are not kept (every request goes
    /// to the same origin and path here).
    jar: BTreeMap<String, String>,
}

/// What a [`TestClient`] request answered.
#[derive(Debug)]
#[non_exhaustive]
pub struct TestResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers, `Set-Cookie` included.
    pub headers: HeaderMap,
    /// The body, as text (invalid UTF-8 replaced).
    pub text: String,
}

impl<S> fmt::Debug for TestClient<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClient")
            .field("cookies", &self.jar.keys())
            .finish_non_exhaustive()
    }
}

impl<S> TestClient<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone,
    S::Error: fmt::Debug,
{
    /// A client of `app`, with an empty cookie jar.
    #[must_use]
    pub fn new(app: S) -> Self {
        Self {
            app,
            jar: BTreeMap::new(),
        }
    }

    /// `GET uri`.
    pub async fn get(&mut self, uri: &str) -> TestResponse {
        self.send(Method::GET, uri, None).await
    }

    /// `POST uri` with a form body of `fields`.
    pub async fn post_form(&mut self, uri: &str, fields: &[(&str, &str)]) -> TestResponse {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.send(Method::POST, uri, Some(body)).await
    }

    /// The value of the cookie `name` in the jar.
    #[must_use]
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.get(name).map(String::as_str)
    }

    /// Forgets every cookie, as a new browser would.
    pub fn clear_cookies(&mut self) {
        self.jar.clear();
    }

    /// Sends a request, with the jar's cookies, and keeps what the answer sets.
    ///
    /// # Panics
    /// If `uri` is not a valid request target, or the service fails.
    pub async fn send(&mut self, method: Method, uri: &str, form: Option<String>) -> TestResponse {
        let mut request = Request::builder().method(method).uri(uri);
        if !self.jar.is_empty() {
            let cookies: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header(header::COOKIE, cookies.join("; "));
        }
        let body = match form {
            Some(form) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form)
            }
            None => Body::empty(),
        };
        let request = request.body(body).expect("a valid request target");
        let mut app = self.app.clone();
        poll_fn(|cx| app.poll_ready(cx))
            .await
            .expect("the service is ready");
        let response = app.call(request).await.expect("the service answers");
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE) {
            self.keep(set.to_str().unwrap_or_default());
        }
        let bytes = response.into_body().collect().await.expect("the body").to_bytes();
        TestResponse {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    fn keep(&mut self, set_cookie: &str) {
        let Ok(cookie) = Cookie::parse(set_cookie) else {
            return;
        };
        let removed = cookie
            .max_age()
            .is_some_and(|age| age.is_zero() || age.is_negative());
        if removed || cookie.value().is_empty() {
            self.jar.remove(cookie.name());
        } else {
            self.jar
                .insert(cookie.name().to_owned(), cookie.value().to_owned());
        }
    }
}
