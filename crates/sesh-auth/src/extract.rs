//! The axum extractors: [`AuthSession`] and [`CurrentUser`].

use std::fmt;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;

use crate::{AuthBackend, AuthSession, Error};

/// Extracting an `AuthSession` costs no I/O: the session and the user are
/// loaded when it is first asked.
///
/// Rejects with a 500 naming the fix when the
/// [`AuthLayer`](crate::AuthLayer) or the `SessionLayer` is missing.
impl<S: Send + Sync, B: AuthBackend> FromRequestParts<S> for AuthSession<B> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Self::from_extensions(&parts.extensions)
    }
}

/// The logged-in user, as an axum extractor: rejects with a 401 when nobody
/// is logged in. `Option<CurrentUser<B>>` is `None` then instead, for pages
/// that show either.
///
/// The user is loaded once per request (see [`AuthSession::user`]): this
/// extractor, an `AuthSession`'s [`user`](AuthSession::user) and the guards
/// share it, however many of them look.
///
/// ```
/// # use sesh_auth::{AuthBackend, AuthUser};
/// # #[derive(Clone)] struct User { name: String } impl AuthUser for User {
/// #     fn id(&self) -> String { String::new() } fn auth_hash(&self) -> &[u8] { b"h" } }
/// # struct Backend; impl AuthBackend for Backend {
/// #     type User = User; type Credentials = (); type Error = std::convert::Infallible;
/// #     async fn authenticate(&self, _: ()) -> Result<Option<User>, Self::Error> { Ok(None) }
/// #     async fn user(&self, _: &str) -> Result<Option<User>, Self::Error> { Ok(None) } }
/// use sesh_auth::CurrentUser;
///
/// /// An API route: 401 for a visitor.
/// async fn me(CurrentUser(user): CurrentUser<Backend>) -> String {
///     user.name
/// }
///
/// /// A page for everyone.
/// async fn home(user: Option<CurrentUser<Backend>>) -> String {
///     match user {
///         Some(CurrentUser(user)) => format!("Hello, {}", user.name),
///         None => "Hello! Log in to see your orders.".to_owned(),
///     }
/// }
/// ```
pub struct CurrentUser<B: AuthBackend>(pub B::User);

impl<B: AuthBackend> Clone for CurrentUser<B> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

/// Names no user: a user's ID is the session's stored binding.
impl<B: AuthBackend> fmt::Debug for CurrentUser<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurrentUser").finish_non_exhaustive()
    }
}

/// Rejects with [`ErrorKind::Unauthenticated`](crate::ErrorKind::Unauthenticated)
/// (401) when nobody is logged in, and as [`AuthSession::user`] fails
/// otherwise.
impl<S: Send + Sync, B: AuthBackend> FromRequestParts<S> for CurrentUser<B> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let auth = AuthSession::<B>::from_extensions(&parts.extensions)?;
        auth.user().await?.map(Self).ok_or_else(Error::unauthenticated)
    }
}

/// `None` when nobody is logged in; rejects only when the user cannot be
/// loaded (a missing layer, a session or backend failure).
impl<S: Send + Sync, B: AuthBackend> OptionalFromRequestParts<S> for CurrentUser<B> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Self::Rejection> {
        let auth = AuthSession::<B>::from_extensions(&parts.extensions)?;
        Ok(auth.user().await?.map(Self))
    }
}
