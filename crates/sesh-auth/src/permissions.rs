//! The current user's permissions, looked up once per request.

use std::{collections::HashSet, sync::Arc};

use crate::{AuthSession, AuthzBackend, Error};

impl<B: AuthzBackend> AuthSession<B> {
    /// Every permission of the logged-in user (none when nobody is logged
    /// in), from the backend's [`permissions`](AuthzBackend::permissions):
    /// looked up on the first call of the request, then answered from
    /// memory. A [`login`](Self::login) or [`logout`](Self::logout) in the
    /// request forgets them.
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
    /// # impl AuthzBackend for Backend { type Permission = &'static str;
    /// #     async fn permissions(&self, _: &User) -> Result<HashSet<&'static str>, Infallible> { Ok(HashSet::new()) } }
    /// use sesh_auth::AuthSession;
    ///
    /// async fn report(auth: AuthSession<Backend>) -> Result<String, sesh_auth::Error> {
    ///     if auth.has_permission(&"reports.all").await? {
    ///         Ok("every team's numbers".into())
    ///     } else {
    ///         Ok("your team's numbers".into())
    ///     }
    /// }
    /// ```
    ///
    /// # Errors
    /// As [`user`](Self::user), and
    /// [`ErrorKind::Backend`](crate::ErrorKind::Backend) when the backend
    /// fails to list the permissions.
    pub async fn permissions(&self) -> Result<HashSet<B::Permission>, Error> {
        Ok(self.cached_permissions().await?.as_ref().clone())
    }

    /// Whether the logged-in user has `permission` (`false` when nobody is
    /// logged in).
    ///
    /// # Errors
    /// As [`permissions`](Self::permissions).
    pub async fn has_permission(&self, permission: &B::Permission) -> Result<bool, Error> {
        Ok(self.cached_permissions().await?.contains(permission))
    }

    /// Whether the logged-in user has every one of `permissions`.
    pub(crate) async fn has_all(&self, permissions: &[B::Permission]) -> Result<bool, Error> {
        let granted = self.cached_permissions().await?;
        Ok(permissions.iter().all(|p| granted.contains(p)))
    }

    async fn cached_permissions(&self) -> Result<Arc<HashSet<B::Permission>>, Error> {
        let mut cached = self.permissions_cache().lock().await;
        if let Some(known) = cached
            .as_ref()
            .and_then(|any| Arc::clone(any).downcast::<HashSet<B::Permission>>().ok())
        {
            return Ok(known);
        }
        let granted = match self.user().await? {
            Some(user) => self
                .backend()
                .permissions(&user)
                .await
                .map_err(|e| Error::backend("listing the user's permissions", e))?,
            None => HashSet::new(),
        };
        let granted = Arc::new(granted);
        *cached = Some(Arc::clone(&granted) as _);
        Ok(granted)
    }
}
