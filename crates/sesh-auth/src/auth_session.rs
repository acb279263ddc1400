//! [`AuthSession`]: one request's authentication, over its sesh session.

use std::{any::Any, fmt, sync::Arc};

use http::Extensions;
use sesh::Session;
use tokio::sync::Mutex;

use crate::{AuthBackend, AuthUser as _, Error, hash};

/// Put in a request's extensions by an `AuthService` that found no
/// `Session` there, so the extractor can name the right fix.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoSessionLayer;

/// One request's authentication: the current user, login, logout.
///
/// The [`AuthLayer`](crate::AuthLayer) puts one in every request's
/// extensions; handlers extract it (axum), and any tower service takes it
/// with [`from_extensions`](Self::from_extensions). Clones share the
/// request's state.
///
/// The current user is loaded once per request, the first time anyone asks
/// (this handle, [`CurrentUser`](crate::CurrentUser), a guard), and kept
/// for the rest of the request: the backend's
/// [`user`](AuthBackend::user) is called at most once, however many
/// extractors and guards look. Loading it also checks the
/// [auth hash](crate::AuthUser::auth_hash) stored at login against the
/// user's: when they differ, or the user is gone, the session ends.
///
/// ```
/// use axum::{Form, Router, http::StatusCode, routing::post};
/// use sesh_auth::AuthSession;
/// # use sesh_auth::{AuthBackend, AuthUser};
/// # #[derive(Clone)] struct User; impl AuthUser for User {
/// #     fn id(&self) -> String { String::new() } fn auth_hash(&self) -> &[u8] { b"h" } }
/// # #[derive(serde::Deserialize)] struct Credentials;
/// # struct Backend; impl AuthBackend for Backend {
/// #     type User = User; type Credentials = Credentials; type Error = std::convert::Infallible;
/// #     async fn authenticate(&self, _: Credentials) -> Result<Option<User>, Self::Error> { Ok(None) }
/// #     async fn user(&self, _: &str) -> Result<Option<User>, Self::Error> { Ok(None) } }
///
/// async fn login(auth: AuthSession<Backend>, Form(creds): Form<Credentials>) -> Result<StatusCode, sesh_auth::Error> {
///     match auth.authenticate(creds).await? {
///         Some(user) => {
///             auth.login(&user).await?; // a new session ID, bound to the user
///             Ok(StatusCode::NO_CONTENT)
///         }
///         None => Ok(StatusCode::UNAUTHORIZED),
///     }
/// }
///
/// async fn logout(auth: AuthSession<Backend>) -> Result<StatusCode, sesh_auth::Error> {
///     auth.logout().await?; // the session is destroyed, its cookie removed
///     Ok(StatusCode::NO_CONTENT)
/// }
///
/// let routes: Router = Router::new().route("/login", post(login)).route("/logout", post(logout));
/// ```
///
/// # After a password change
/// Every other session of the user ends on its next request: its stored
/// auth hash no longer matches. To keep *this* session, log the user in
/// again with the new hash in the same request: the session gets a new ID
/// and the new hash, and goes on.
///
/// ```
/// # use sesh_auth::{AuthBackend, AuthSession, AuthUser};
/// # #[derive(Clone)] struct User; impl AuthUser for User {
/// #     fn id(&self) -> String { String::new() } fn auth_hash(&self) -> &[u8] { b"h" } }
/// # struct Backend; impl AuthBackend for Backend {
/// #     type User = User; type Credentials = (); type Error = std::convert::Infallible;
/// #     async fn authenticate(&self, _: ()) -> Result<Option<User>, Self::Error> { Ok(None) }
/// #     async fn user(&self, _: &str) -> Result<Option<User>, Self::Error> { Ok(None) } }
/// # impl Backend { async fn set_password(&self, _: &User, _: &str) -> User { User } }
/// use sesh_auth::CurrentUser;
///
/// async fn change_password(
///     auth: AuthSession<Backend>,
///     CurrentUser(user): CurrentUser<Backend>,
///     new_password: String,
/// ) -> Result<(), sesh_auth::Error> {
///     // The app stores the new password hash; the user it gets back has the new auth hash.
///     let user = auth.backend().set_password(&user, &new_password).await;
///     auth.login(&user).await?; // this session: a new ID and the new hash
///     // Optional: end the others now rather than on their next request.
///     auth.session().end_other_sessions().await?;
///     Ok(())
/// }
/// ```
pub struct AuthSession<B: AuthBackend> {
    session: Session,
    backend: Arc<B>,
    cache: Arc<Cache<B::User>>,
}

/// What this request found out, shared by the clones of one `AuthSession`.
struct Cache<U> {
    /// `None` until loaded; then the current user, if any. An async lock:
    /// it is held while the backend looks the user up, so that two
    /// extractors never both call it.
    user: Mutex<Option<Option<U>>>,
    /// The current user's permissions once looked up, as the
    /// `HashSet<B::Permission>` of an `AuthzBackend` (a type this one
    /// cannot name for every backend).
    pub(crate) permissions: Mutex<Option<Arc<dyn Any + Send + Sync>>>,
}

impl<B: AuthBackend> AuthSession<B> {
    pub(crate) fn new(session: Session, backend: Arc<B>) -> Self {
        Self {
            session,
            backend,
            cache: Arc::new(Cache {
                user: Mutex::new(None),
                permissions: Mutex::new(None),
            }),
        }
    }

    /// The `AuthSession` an [`AuthLayer`](crate::AuthLayer) put in a
    /// request's extensions: what a tower service (or middleware) that is
    /// not an axum handler uses instead of the extractor.
    ///
    /// ```
    /// # use sesh_auth::{AuthBackend, AuthUser, AuthSession};
    /// # #[derive(Clone)] struct User; impl AuthUser for User {
    /// #     fn id(&self) -> String { String::new() } fn auth_hash(&self) -> &[u8] { b"h" } }
    /// # struct Backend; impl AuthBackend for Backend {
    /// #     type User = User; type Credentials = (); type Error = std::convert::Infallible;
    /// #     async fn authenticate(&self, _: ()) -> Result<Option<User>, Self::Error> { Ok(None) }
    /// #     async fn user(&self, _: &str) -> Result<Option<User>, Self::Error> { Ok(None) } }
    /// async fn is_logged_in<Body>(request: &http::Request<Body>) -> Result<bool, sesh_auth::Error> {
    ///     let auth = AuthSession::<Backend>::from_extensions(request.extensions())?;
    ///     Ok(auth.user().await?.is_some())
    /// }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::MissingLayer`](crate::ErrorKind::MissingLayer), naming
    /// the fix, when no `AuthLayer<B>` ran before, or no `SessionLayer`
    /// before it.
    pub fn from_extensions(extensions: &Extensions) -> Result<Self, Error> {
        if let Some(auth) = extensions.get::<Self>() {
            return Ok(auth.clone());
        }
        let fix = if extensions.get::<NoSessionLayer>().is_some() {
            "the AuthLayer found no sesh session: add `.layer(sesh::SessionLayer::new(store))` after \
             `.layer(AuthLayer::new(backend))`, so the session layer runs first"
        } else {
            "no AuthLayer for this backend in front of this handler: add \
             `.layer(sesh_auth::AuthLayer::new(backend))` to the Router, after its routes and guards \
             and before the SessionLayer"
        };
        Err(Error::missing_layer(fix))
    }

    /// The logged-in user, or `None`. Loaded on the first call of the
    /// request (the session, then the backend's
    /// [`user`](AuthBackend::user)), then answered from memory.
    ///
    /// When the user the session is bound to no longer exists, or its
    /// [auth hash](crate::AuthUser::auth_hash) differs from the one stored
    /// at login (the password changed), or none was stored, the session is
    /// destroyed: `None`, and the cookie is removed with this response.
    ///
    /// # Errors
    /// [`ErrorKind::Session`](crate::ErrorKind::Session) when the session
    /// cannot be loaded, [`ErrorKind::Backend`](crate::ErrorKind::Backend)
    /// when the backend fails; nothing is cached then, and a later call
    /// tries again.
    pub async fn user(&self) -> Result<Option<B::User>, Error> {
        let mut cached = self.cache.user.lock().await;
        if let Some(known) = &*cached {
            return Ok(known.clone());
        }
        self.session.load().await?;
        let user = match self.session.user() {
            None => None,
            Some(id) => match self.backend.user(&id).await {
                Err(e) => return Err(Error::backend("loading the user", e)),
                Ok(Some(user)) if hash::matches(&self.session, user.auth_hash()) => Some(user),
                Ok(Some(_)) => self.end("the user's auth hash changed since login"),
                Ok(None) => self.end("the user no longer exists"),
            },
        };
        *cached = Some(user.clone());
        Ok(user)
    }

    /// Ends a session whose user may no longer use it.
    fn end<T>(&self, why: &'static str) -> Option<T> {
        tracing::info!(event = "auth_ended", reason = why, "session ended");
        self.session.destroy();
        None
    }

    /// Checks credentials with the backend's
    /// [`authenticate`](AuthBackend::authenticate); logs nobody in (call
    /// [`login`](Self::login) with the user it returns).
    ///
    /// # Errors
    /// [`ErrorKind::Backend`](crate::ErrorKind::Backend) when the backend
    /// fails.
    pub async fn authenticate(&self, creds: B::Credentials) -> Result<Option<B::User>, Error> {
        self.backend
            .authenticate(creds)
            .await
            .map_err(|e| Error::backend("checking credentials", e))
    }

    /// Logs `user` in: the session gets a new ID (defeating session
    /// fixation), is bound to the user (`sesh::Session::login`: the store's
    /// per-user index, the layer's session limit) and keeps the user's
    /// auth hash. The rest of the request sees `user` as the current user.
    ///
    /// The session's data is kept (a visitor's cart survives the login),
    /// unless the session was bound to another user: then that user's
    /// session is destroyed first and `user` starts afresh.
    ///
    /// Calling it again for the logged-in user, with a new auth hash, is
    /// how a password change keeps this session (see the type's docs).
    ///
    /// # Errors
    /// [`ErrorKind::Session`](crate::ErrorKind::Session): the session could
    /// not be loaded, or the layer's session limit refused the login (409;
    /// the session is left as it was, except that another user's is
    /// destroyed all the same, and nobody is logged in).
    pub async fn login(&self, user: &B::User) -> Result<(), Error> {
        self.session.load().await?;
        let id = user.id();
        if self.session.user().is_some_and(|bound| bound != id) {
            self.session.destroy();
            self.remember(None).await;
        }
        self.session.login(&id).await?;
        hash::store(&self.session, user.auth_hash())?;
        self.remember(Some(user.clone())).await;
        Ok(())
    }

    /// What the rest of the request sees as the current user, now that
    /// this request logged someone in or out; their permissions are
    /// forgotten, to be looked up again.
    async fn remember(&self, user: Option<B::User>) {
        *self.cache.user.lock().await = Some(user);
        *self.cache.permissions.lock().await = None;
    }

    /// Logs out: the session is destroyed (its record deleted, its cookie
    /// removed with this response), and the rest of the request sees
    /// nobody logged in. The user's other sessions go on; for "log out
    /// everywhere" use `session().end_all_sessions()`.
    ///
    /// # Errors
    /// [`ErrorKind::Session`](crate::ErrorKind::Session) when the session
    /// cannot be loaded.
    pub async fn logout(&self) -> Result<(), Error> {
        self.session.load().await?;
        self.session.destroy();
        self.remember(None).await;
        Ok(())
    }

    /// The request's sesh session, for data of the application's own and
    /// the user's other sessions (`user_sessions`, `end_other_sessions`).
    #[must_use]
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The backend the [`AuthLayer`](crate::AuthLayer) was given.
    #[must_use]
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The cached permissions, for `permissions.rs`.
    pub(crate) fn permissions_cache(&self) -> &Mutex<Option<Arc<dyn Any + Send + Sync>>> {
        &self.cache.permissions
    }
}

impl<B: AuthBackend> Clone for AuthSession<B> {
    fn clone(&self) -> Self {
        Self {
            session: self.session.clone(),
            backend: Arc::clone(&self.backend),
            cache: Arc::clone(&self.cache),
        }
    }
}

impl<B: AuthBackend> fmt::Debug for AuthSession<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSession")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}
