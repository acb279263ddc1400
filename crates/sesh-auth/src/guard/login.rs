//! [`RequireLoginLayer`]: routes for logged-in users only.

use std::{
    fmt,
    marker::PhantomData,
    task::{Context, Poll},
};

use axum_core::response::{IntoResponse, Response};
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use super::{
    GuardFuture,
    answer::{Check, Verdict, Visitors, check_login_url},
};
use crate::{AuthBackend, AuthSession};

/// A guard for routes only a logged-in user may reach: a visitor gets a
/// 401 (API routes), or, with a [`login_url`](Self::login_url), a
/// `303 See Other` to the login page with the path asked for in `next`
/// (pages): `/login?next=%2Forders%3Fpage%3D2`.
///
/// It needs the [`AuthLayer`](crate::AuthLayer) outside it; in axum, give
/// it to `route_layer` (so unknown paths still answer 404) before the
/// `AuthLayer` and the `SessionLayer`. The login page sends the user back
/// with [`safe_next`](crate::safe_next), which refuses any `next` that is
/// not a path on this site.
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
/// use sesh_auth::{AuthLayer, RequireLoginLayer};
///
/// let api = Router::new()
///     .route("/api/orders", get(|| async { "[]" }))
///     .route_layer(RequireLoginLayer::<Backend>::new()); // 401
/// let pages = Router::new()
///     .route("/orders", get(|| async { "<h1>Orders</h1>" }))
///     .route_layer(RequireLoginLayer::<Backend>::new().login_url("/login")); // 303
/// let app: Router = Router::new()
///     .merge(api)
///     .merge(pages)
///     .route("/login", get(|| async { "<form>...</form>" }))
///     .layer(AuthLayer::new(Backend))
///     .layer(SessionLayer::new(MemoryStore::new()));
/// ```
///
/// `next` is the path and query the guard saw: under `Router::nest` that is
/// the path within the nested router, so put the guard outside the `nest`
/// (or on the outer router) when pages must come back to the full path.
///
/// # Panics
/// Applying it (`Layer::layer`) panics when the login URL could not be
/// sent in a `Location` header (empty, not printable ASCII, a fragment), so
/// the mistake shows at startup, never on a request.
pub struct RequireLoginLayer<B> {
    visitors: Visitors,
    backend: PhantomData<fn() -> B>,
}

impl<B: AuthBackend> RequireLoginLayer<B> {
    /// A guard that answers a visitor with 401.
    #[must_use]
    pub fn new() -> Self {
        Self {
            visitors: Visitors::default(),
            backend: PhantomData,
        }
    }

    /// Answers a visitor with a 303 to `login_url` instead, with the path
    /// asked for in a `next` query parameter, percent-encoded (appended
    /// with `&` if `login_url` has a query already).
    #[must_use]
    pub fn login_url(mut self, login_url: &str) -> Self {
        self.visitors = Visitors::redirect_to(login_url);
        self
    }
}

impl<B: AuthBackend> Default for RequireLoginLayer<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> Clone for RequireLoginLayer<B> {
    fn clone(&self) -> Self {
        Self {
            visitors: self.visitors.clone(),
            backend: PhantomData,
        }
    }
}

impl<B> fmt::Debug for RequireLoginLayer<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireLoginLayer")
            .field("login_url", &self.visitors.login_url())
            .finish()
    }
}

impl<S, B> Layer<S> for RequireLoginLayer<B> {
    type Service = RequireLogin<S, B>;

    fn layer(&self, inner: S) -> Self::Service {
        if let Some(Err(fix)) = self.visitors.login_url().map(check_login_url) {
            panic!("RequireLoginLayer: {fix}");
        }
        RequireLogin {
            inner,
            visitors: self.visitors.clone(),
            backend: PhantomData,
        }
    }
}

/// The middleware built by [`RequireLoginLayer`]: the inner service for a
/// logged-in user, 401 or 303 for a visitor.
pub struct RequireLogin<S, B> {
    inner: S,
    visitors: Visitors,
    backend: PhantomData<fn() -> B>,
}

impl<S: Clone, B> Clone for RequireLogin<S, B> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            visitors: self.visitors.clone(),
            backend: PhantomData,
        }
    }
}

impl<S: fmt::Debug, B> fmt::Debug for RequireLogin<S, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireLogin")
            .field("inner", &self.inner)
            .field("login_url", &self.visitors.login_url())
            .finish()
    }
}

impl<S, B, ReqBody> Service<Request<ReqBody>> for RequireLogin<S, B>
where
    S: Service<Request<ReqBody>> + Clone,
    S::Response: IntoResponse,
    B: AuthBackend,
{
    type Response = Response;
    type Error = S::Error;
    type Future = GuardFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let auth = AuthSession::<B>::from_extensions(req.extensions());
        let check: Check = Box::pin(async move {
            let logged_in = auth?.user().await?.is_some();
            Ok(if logged_in {
                Verdict::Pass
            } else {
                Verdict::Visitor
            })
        });
        // `self.inner` is the clone poll_ready readied; take that one and keep a fresh clone.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        GuardFuture::new(check, inner, req, self.visitors.clone())
    }
}
