//! [`AuthLayer`] and the [`AuthService`] it builds: an [`AuthSession`] in
//! every request.

use std::{
    fmt,
    sync::Arc,
    task::{Context, Poll},
};

use http::Request;
use sesh::Session;
use tower_layer::Layer;
use tower_service::Service;

use crate::{AuthBackend, AuthSession, auth_session::NoSessionLayer};

/// The layer that gives every request an [`AuthSession`] over its sesh
/// session and the application's backend.
///
/// It goes inside the `SessionLayer` (in axum, `.layer(AuthLayer)` before
/// `.layer(SessionLayer)`: the last layer added runs first) and outside the
/// routes and guards that use it. It costs no I/O by itself: the session
/// and the user are loaded when a handler or guard first asks.
///
/// ```
/// # use sesh_auth::{AuthBackend, AuthUser};
/// # #[derive(Clone)] struct User; impl AuthUser for User {
/// #     fn id(&self) -> String { String::new() } fn auth_hash(&self) -> &[u8] { b"h" } }
/// # struct Backend; impl AuthBackend for Backend {
/// #     type User = User; type Credentials = (); type Error = std::convert::Infallible;
/// #     async fn authenticate(&self, _: ()) -> Result<Option<User>, Self::Error> { Ok(None) }
/// #     async fn user(&self, _: &str) -> Result<Option<User>, Self::Error> { Ok(None) } }
/// use axum::{Router, routing::get};
/// use sesh::{MemoryStore, SessionLayer};
/// use sesh_auth::{AuthLayer, CurrentUser, RequireLoginLayer};
///
/// async fn account(CurrentUser(user): CurrentUser<Backend>) -> String {
///     user.id()
/// }
///
/// let app: Router = Router::new()
///     .route("/account", get(account))
///     .route_layer(RequireLoginLayer::<Backend>::new().login_url("/login"))
///     .layer(AuthLayer::new(Backend))
///     .layer(SessionLayer::new(MemoryStore::new()));
/// ```
pub struct AuthLayer<B> {
    backend: Arc<B>,
}

impl<B: AuthBackend> AuthLayer<B> {
    /// A layer over `backend`, shared by every request.
    #[must_use]
    pub fn new(backend: B) -> Self {
        Self::from_arc(Arc::new(backend))
    }

    /// A layer over a backend the application shares elsewhere too.
    #[must_use]
    pub fn from_arc(backend: Arc<B>) -> Self {
        Self { backend }
    }
}

impl<B> Clone for AuthLayer<B> {
    fn clone(&self) -> Self {
        Self {
            backend: Arc::clone(&self.backend),
        }
    }
}

impl<B> fmt::Debug for AuthLayer<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLayer").finish_non_exhaustive()
    }
}

impl<S, B> Layer<S> for AuthLayer<B> {
    type Service = AuthService<S, B>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            backend: Arc::clone(&self.backend),
        }
    }
}

/// The middleware built by [`AuthLayer`]: puts an [`AuthSession`] over the
/// request's sesh session in its extensions, and calls the inner service.
/// Its response future is the inner service's own.
pub struct AuthService<S, B> {
    inner: S,
    backend: Arc<B>,
}

impl<S: Clone, B> Clone for AuthService<S, B> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            backend: Arc::clone(&self.backend),
        }
    }
}

impl<S: fmt::Debug, B> fmt::Debug for AuthService<S, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, B, ReqBody> Service<Request<ReqBody>> for AuthService<S, B>
where
    S: Service<Request<ReqBody>>,
    B: AuthBackend,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        match req.extensions().get::<Session>().cloned() {
            Some(session) => {
                let auth = AuthSession::new(session, Arc::clone(&self.backend));
                req.extensions_mut().insert(auth);
            }
            // The extractor names the fix; routes that never ask still work.
            None => drop(req.extensions_mut().insert(NoSessionLayer)),
        }
        self.inner.call(req)
    }
}
