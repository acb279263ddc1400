//! [`RequirePermissionLayer`]: routes for users with a permission.

use std::{
    fmt,
    sync::Arc,
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
use crate::{AuthSession, AuthzBackend};

/// A guard for routes only users with some permissions may reach: 403 for
/// a logged-in user without one of them; for a visitor, 401 or (with a
/// [`login_url`](Self::login_url)) a 303 to the login page, as
/// [`RequireLoginLayer`](crate::RequireLoginLayer) answers.
///
/// The permissions come from the backend's
/// [`AuthzBackend::permissions`], looked up once per request and shared
/// with [`AuthSession::has_permission`].
///
/// ```
/// # use std::{collections::HashSet, convert::Infallible};
/// # use sesh_auth::{AuthBackend, AuthUser, AuthzBackend};
/// # #[derive(Clone)] struct User; impl AuthUser for User {
/// #     fn id(&self) -> String { String::new() } fn auth_hash(&self) -> &[u8] { b"h" } }
/// # struct Backend; impl AuthBackend for Backend {
/// #     type User = User; type Credentials = (); type Error = Infallible;
/// #     async fn authenticate(&self, _: ()) -> Result<Option<User>, Infallible> { Ok(None) }
/// #     async fn user(&self, _: &str) -> Result<Option<User>, Infallible> { Ok(None) } }
/// # #[derive(Clone, PartialEq, Eq, Hash)] enum Permission { Admin }
/// # impl AuthzBackend for Backend { type Permission = Permission;
/// #     async fn permissions(&self, _: &User) -> Result<HashSet<Permission>, Infallible> { Ok(HashSet::new()) } }
/// use axum::{Router, routing::get};
/// use sesh::{MemoryStore, SessionLayer};
/// use sesh_auth::{AuthLayer, RequirePermissionLayer};
///
/// let app: Router = Router::new()
///     .route("/admin", get(|| async { "<h1>Admin</h1>" }))
///     .route_layer(RequirePermissionLayer::<Backend>::new([Permission::Admin]).login_url("/login"))
///     .layer(AuthLayer::new(Backend))
///     .layer(SessionLayer::new(MemoryStore::new()));
/// ```
///
/// # Panics
/// Applying it panics on a login URL that could not be sent in a
/// `Location` header, as [`RequireLoginLayer`](crate::RequireLoginLayer)'s.
pub struct RequirePermissionLayer<B: AuthzBackend> {
    required: Arc<[B::Permission]>,
    visitors: Visitors,
}

impl<B: AuthzBackend> RequirePermissionLayer<B> {
    /// A guard that lets through users with every one of `required`, and
    /// answers a visitor with 401.
    #[must_use]
    pub fn new(required: impl IntoIterator<Item = B::Permission>) -> Self {
        Self {
            required: required.into_iter().collect(),
            visitors: Visitors::default(),
        }
    }

    /// Answers a visitor with a 303 to `login_url` instead, with the path
    /// asked for in `next`, as
    /// [`RequireLoginLayer::login_url`](crate::RequireLoginLayer::login_url)
    /// does. A logged-in user without the permission still gets a 403:
    /// logging in again would not help.
    #[must_use]
    pub fn login_url(mut self, login_url: &str) -> Self {
        self.visitors = Visitors::redirect_to(login_url);
        self
    }
}

impl<B: AuthzBackend> Clone for RequirePermissionLayer<B> {
    fn clone(&self) -> Self {
        Self {
            required: Arc::clone(&self.required),
            visitors: self.visitors.clone(),
        }
    }
}

impl<B: AuthzBackend> fmt::Debug for RequirePermissionLayer<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequirePermissionLayer")
            .field("required", &self.required.len())
            .field("login_url", &self.visitors.login_url())
            .finish()
    }
}

impl<S, B: AuthzBackend> Layer<S> for RequirePermissionLayer<B> {
    type Service = RequirePermission<S, B>;

    fn layer(&self, inner: S) -> Self::Service {
        if let Some(Err(fix)) = self.visitors.login_url().map(check_login_url) {
            panic!("RequirePermissionLayer: {fix}");
        }
        RequirePermission {
            inner,
            layer: self.clone(),
        }
    }
}

/// The middleware built by [`RequirePermissionLayer`]: the inner service
/// for a user with the permissions, 403 for one without, 401 or 303 for a
/// visitor.
pub struct RequirePermission<S, B: AuthzBackend> {
    inner: S,
    layer: RequirePermissionLayer<B>,
}

impl<S: Clone, B: AuthzBackend> Clone for RequirePermission<S, B> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S: fmt::Debug, B: AuthzBackend> fmt::Debug for RequirePermission<S, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequirePermission")
            .field("inner", &self.inner)
            .field("layer", &self.layer)
            .finish()
    }
}

impl<S, B, ReqBody> Service<Request<ReqBody>> for RequirePermission<S, B>
where
    S: Service<Request<ReqBody>> + Clone,
    S::Response: IntoResponse,
    B: AuthzBackend,
{
    type Response = Response;
    type Error = S::Error;
    type Future = GuardFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let auth = AuthSession::<B>::from_extensions(req.extensions());
        let required = Arc::clone(&self.layer.required);
        let check: Check = Box::pin(async move {
            let auth = auth?;
            if auth.user().await?.is_none() {
                return Ok(Verdict::Visitor);
            }
            Ok(if auth.has_all(&required).await? {
                Verdict::Pass
            } else {
                Verdict::Forbidden
            })
        });
        // `self.inner` is the clone poll_ready readied; take that one and keep a fresh clone.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        GuardFuture::new(check, inner, req, self.layer.visitors.clone())
    }
}
