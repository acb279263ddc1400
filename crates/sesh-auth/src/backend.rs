//! What the application provides: its users, and the backend that checks
//! credentials, finds users and (optionally) lists their permissions.

use std::{collections::HashSet, error::Error as StdError, future::Future, hash::Hash};

/// A user of the application, as the session knows it: an ID, and an auth
/// hash that changes whenever the user's credentials do.
///
/// The auth hash is stored in the session at login (under
/// [`AUTH_HASH_KEY`](crate::AUTH_HASH_KEY)) and compared, in constant time,
/// with the user's on every request that loads the user. When they differ
/// (the password was changed on another device, or reset by an
/// administrator) the session ends. Make it:
/// - **change with the password**: a fingerprint of the password hash (a
///   SHA-256 of it), or a random "security stamp" the app renews on every
///   password change and forced logout;
/// - **not the password hash itself**: it is kept in the session store
///   (or, for client-side sessions, in the encrypted cookie);
/// - **never empty**: an empty hash matches an empty hash forever, and a
///   password change would end no session.
///
/// ```
/// use sesh_auth::AuthUser;
///
/// #[derive(Clone)]
/// struct User {
///     id: u64,
///     name: String,
///     /// SHA-256 of the password hash, computed when the user is read.
///     password_fingerprint: [u8; 32],
/// }
///
/// impl AuthUser for User {
///     fn id(&self) -> String {
///         self.id.to_string()
///     }
///
///     fn auth_hash(&self) -> &[u8] {
///         &self.password_fingerprint
///     }
/// }
/// ```
pub trait AuthUser: Clone + Send + Sync + 'static {
    /// The user's ID, as [`AuthBackend::user`] finds it again; the session is
    /// bound to it (`sesh::Session::login`), so it also names the user's
    /// sessions in the store's per-user index.
    fn id(&self) -> String;

    /// A value that changes whenever the user's credentials change; see the
    /// trait's documentation for what to use.
    fn auth_hash(&self) -> &[u8];
}

/// How the application finds its users: by credentials at login, by ID on
/// every later request.
///
/// Implement the methods as `async fn`s; their futures must be `Send`, as
/// every future of a tower service. `Error` is the application's own error
/// type: a failure answers 500 and is logged with it as the cause, and
/// [`Error::source`](std::error::Error::source) of
/// [`sesh_auth::Error`](crate::Error) gives it back.
///
/// ```
/// use std::{collections::HashMap, convert::Infallible};
///
/// use sesh_auth::{AuthBackend, AuthUser};
///
/// #[derive(Clone)]
/// struct User { id: String, auth_hash: Vec<u8> }
///
/// impl AuthUser for User {
///     fn id(&self) -> String { self.id.clone() }
///     fn auth_hash(&self) -> &[u8] { &self.auth_hash }
/// }
///
/// struct Credentials { user: String, password: String }
///
/// /// In a real app: a database pool, and a password hasher's `verify`.
/// struct Users(HashMap<String, (String, User)>);
///
/// impl AuthBackend for Users {
///     type User = User;
///     type Credentials = Credentials;
///     type Error = Infallible;
///
///     async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, Infallible> {
///         Ok(self.0.get(&creds.user).filter(|(password, _)| *password == creds.password).map(|(_, u)| u.clone()))
///     }
///
///     async fn user(&self, id: &str) -> Result<Option<User>, Infallible> {
///         Ok(self.0.get(id).map(|(_, user)| user.clone()))
///     }
/// }
/// ```
pub trait AuthBackend: Send + Sync + 'static {
    /// The application's user.
    type User: AuthUser;
    /// What a login form sends: a user name and a password, a token...
    type Credentials: Send;
    /// The application's error.
    type Error: StdError + Send + Sync + 'static;

    /// The user these credentials prove to be, or `None` when they prove
    /// nothing (unknown user, wrong password: answer both alike).
    ///
    /// # Errors
    /// When the check could not be made (the database is down).
    fn authenticate(
        &self,
        creds: Self::Credentials,
    ) -> impl Future<Output = Result<Option<Self::User>, Self::Error>> + Send;

    /// The user with this ID, or `None` if there is none any more (a
    /// session bound to a deleted user then ends).
    ///
    /// # Errors
    /// When the user could not be read.
    fn user(&self, id: &str) -> impl Future<Output = Result<Option<Self::User>, Self::Error>> + Send;
}

/// The permissions (or groups, or roles) of a user, for
/// [`RequirePermissionLayer`](crate::RequirePermissionLayer) and
/// [`AuthSession::has_permission`](crate::AuthSession::has_permission).
///
/// ```
/// use std::{collections::HashSet, convert::Infallible};
///
/// use sesh_auth::{AuthBackend, AuthUser, AuthzBackend};
///
/// #[derive(Clone)]
/// struct User { id: String, admin: bool, auth_hash: Vec<u8> }
///
/// impl AuthUser for User {
///     fn id(&self) -> String { self.id.clone() }
///     fn auth_hash(&self) -> &[u8] { &self.auth_hash }
/// }
///
/// #[derive(Clone, PartialEq, Eq, Hash)]
/// enum Permission { ReadReports, Admin }
///
/// struct Users;
///
/// impl AuthBackend for Users {
///     // ... as in AuthBackend's example
/// #   type User = User;
/// #   type Credentials = ();
/// #   type Error = Infallible;
/// #   async fn authenticate(&self, _: ()) -> Result<Option<User>, Infallible> { Ok(None) }
/// #   async fn user(&self, _: &str) -> Result<Option<User>, Infallible> { Ok(None) }
/// }
///
/// impl AuthzBackend for Users {
///     type Permission = Permission;
///
///     async fn permissions(&self, user: &User) -> Result<HashSet<Permission>, Infallible> {
///         let mut granted = HashSet::from([Permission::ReadReports]);
///         if user.admin {
///             granted.insert(Permission::Admin);
///         }
///         Ok(granted)
///     }
/// }
/// ```
pub trait AuthzBackend: AuthBackend {
    /// A permission, a group or a role: whatever a route may require.
    type Permission: Eq + Hash + Clone + Send + Sync + 'static;

    /// Every permission `user` has.
    ///
    /// # Errors
    /// When the permissions could not be read.
    fn permissions(
        &self,
        user: &Self::User,
    ) -> impl Future<Output = Result<HashSet<Self::Permission>, Self::Error>> + Send;
}
