//! [`CsrfLayer`]: the check on unsafe requests, and [`CsrfToken`], the
//! extractor pages take their token from.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use axum_core::{
    body::Body,
    extract::FromRequestParts,
    response::{IntoResponse, Response},
};
use http::{HeaderName, Method, Request, StatusCode, header, request::Parts};
use http_body_util::{BodyExt as _, Limited};
use pin_project_lite::pin_project;
use sesh_core::Error;
use tower_layer::Layer;
use tower_service::Service;

use super::{FORM_FIELD, HEADER, token, verify};
use crate::Session;

/// The largest form body read for its token unless
/// [`max_form_bytes`](CsrfLayer::max_form_bytes) says otherwise.
const DEFAULT_MAX_FORM_BYTES: usize = 64 * 1024;

/// Checks the CSRF token of every unsafe request (`POST`, `PUT`, `PATCH`,
/// `DELETE`, and any method not known to be safe); see the
/// [module docs](super). Put it inside the [`SessionLayer`](crate::SessionLayer).
#[derive(Debug, Clone)]
pub struct CsrfLayer {
    header: HeaderName,
    field: String,
    max_form_bytes: usize,
}

impl Default for CsrfLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl CsrfLayer {
    /// Tokens in the `x-csrf-token` header or the `csrf_token` form field
    /// of a form of up to 64 KiB.
    #[must_use]
    pub fn new() -> Self {
        Self {
            header: HeaderName::from_static(HEADER),
            field: FORM_FIELD.to_owned(),
            max_form_bytes: DEFAULT_MAX_FORM_BYTES,
        }
    }

    /// Reads the token from the header `name` instead.
    #[must_use]
    pub fn header(mut self, name: HeaderName) -> Self {
        self.header = name;
        self
    }

    /// Reads the token from the form field `name` instead.
    #[must_use]
    pub fn field(mut self, name: impl Into<String>) -> Self {
        self.field = name.into();
        self
    }

    /// Reads at most `bytes` of a form body for its token; a longer form
    /// must send the token in the header.
    #[must_use]
    pub fn max_form_bytes(mut self, bytes: usize) -> Self {
        self.max_form_bytes = bytes;
        self
    }
}

impl<S> Layer<S> for CsrfLayer {
    type Service = CsrfService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CsrfService {
            inner,
            config: self.clone(),
        }
    }
}

/// The middleware built by [`CsrfLayer`].
#[derive(Debug, Clone)]
pub struct CsrfService<S> {
    inner: S,
    config: CsrfLayer,
}

pin_project! {
    /// The response future of [`CsrfService`]: a safe method goes straight
    /// to the inner service's future; an unsafe one first waits for its
    /// session and its form body.
    pub struct ResponseFuture<F, E> {
        #[pin]
        state: State<F, E>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, E> {
        // A safe method: the inner service's own future, unboxed.
        Safe {
            #[pin]
            future: F,
        },
        // An unsafe method: the check, then the inner call (or the 403).
        Checked {
            future: Pin<Box<dyn Future<Output = Result<Response, E>> + Send>>,
        },
    }
}

impl<F, E> Future for ResponseFuture<F, E>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Safe { future } => future.poll(cx),
            StateProj::Checked { future } => future.as_mut().poll(cx),
        }
    }
}

impl<F, E> fmt::Debug for ResponseFuture<F, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Safe { .. } => "Safe",
            State::Checked { .. } => "Checked",
        };
        f.debug_tuple("ResponseFuture").field(&state).finish()
    }
}

impl<S> Service<Request<Body>> for CsrfService<S>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Send,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        if is_safe(req.method()) {
            // Nothing to check: no clone of the service, no boxed future.
            let state = State::Safe {
                future: self.inner.call(req),
            };
            return ResponseFuture { state };
        }
        // The clone poll_ready readied is the one to call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = self.config.clone();
        let future = Box::pin(async move {
            match checked(&config, req).await {
                Ok(req) => inner.call(req).await,
                Err(refused) => Ok(refused),
            }
        });
        ResponseFuture {
            state: State::Checked { future },
        }
    }
}

/// Methods that must not change anything (RFC 9110): never checked.
fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// `req` with its form body read back into it, if its token is its
/// session's; the refusal otherwise.
async fn checked(config: &CsrfLayer, req: Request<Body>) -> Result<Request<Body>, Response> {
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        let fix = "CsrfLayer found no session: add it inside the SessionLayer \
                   (`.layer(CsrfLayer::new()).layer(SessionLayer::new(store))`)";
        return Err((StatusCode::INTERNAL_SERVER_ERROR, fix).into_response());
    };
    session.load().await.map_err(IntoResponse::into_response)?;
    let in_header = req
        .headers()
        .get(&config.header)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (req, token) = match in_header {
        Some(token) => (req, Some(token)),
        None if is_form(&req) => read_form_token(config, req).await?,
        None => (req, None),
    };
    match token {
        Some(token) if verify(&session, &token) => Ok(req),
        Some(_) => Err(refuse(
            "the CSRF token does not match this session (it may predate a login, or the page is \
             stale): reload the page for a fresh one",
        )),
        None => Err(refuse(&format!(
            "missing CSRF token: send the page's token in the `{}` form field or the `{}` header",
            config.field, config.header
        ))),
    }
}

fn is_form(req: &Request<Body>) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// Reads the form body (up to the limit), finds the token field, and puts
/// the body back for the handler.
async fn read_form_token(
    config: &CsrfLayer,
    req: Request<Body>,
) -> Result<(Request<Body>, Option<String>), Response> {
    let (parts, body) = req.into_parts();
    let bytes = match Limited::new(body, config.max_form_bytes).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Err(refuse(&format!(
                "the form is over {} bytes or could not be read: send the CSRF token in the `{}` header",
                config.max_form_bytes, config.header
            )));
        }
    };
    let token = form_urlencoded::parse(&bytes)
        .find(|(name, _)| *name == config.field)
        .map(|(_, value)| value.into_owned());
    Ok((Request::from_parts(parts, Body::from(bytes)), token))
}

fn refuse(why: &str) -> Response {
    tracing::debug!(target: "sesh", why, "refused a request without a valid CSRF token");
    (StatusCode::FORBIDDEN, why.to_owned()).into_response()
}

/// A CSRF token for the page being rendered: an axum extractor (it loads
/// the session, as extracting [`Session`] does). Each extraction masks
/// the session's secret afresh.
#[derive(Debug, Clone)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// The token, for a `<meta>` tag or a script's header.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A hidden form field holding the token (its characters need no
    /// escaping in HTML: base64url).
    #[must_use]
    pub fn hidden_input(&self) -> String {
        format!(r#"<input type="hidden" name="{FORM_FIELD}" value="{}">"#, self.0)
    }
}

impl fmt::Display for CsrfToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Loads the session like [`Session`]'s extractor, and rejects alike.
impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        token(&session).map(CsrfToken)
    }
}
