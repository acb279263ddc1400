//! Authentication on [sesh](https://docs.rs/sesh) sessions: login with ID
//! rotation, the current user loaded once per request, logout, sessions
//! that end when the password changes elsewhere, and route guards.
//!
//! The application says who its users are ([`AuthUser`]) and how to find
//! them ([`AuthBackend`]); [`AuthLayer`] gives every request an
//! [`AuthSession`]; [`CurrentUser`] extracts the logged-in user;
//! [`RequireLoginLayer`] and [`RequirePermissionLayer`] guard routes.
//!
//! ```
//! use std::{collections::HashMap, convert::Infallible};
//!
//! use axum::{Form, Router, extract::Query, response::{IntoResponse, Redirect, Response}, routing::{get, post}};
//! use http::StatusCode;
//! use serde::Deserialize;
//! use sesh::{MemoryStore, SessionLayer};
//! use sesh_auth::{AuthBackend, AuthLayer, AuthSession, AuthUser, CurrentUser, RequireLoginLayer, safe_next};
//!
//! #[derive(Clone)]
//! struct User {
//!     name: String,
//!     /// Changes with the password: here a hash of its hash.
//!     fingerprint: Vec<u8>,
//! }
//!
//! impl AuthUser for User {
//!     fn id(&self) -> String { self.name.clone() }
//!     fn auth_hash(&self) -> &[u8] { &self.fingerprint }
//! }
//!
//! #[derive(Deserialize)]
//! struct Credentials { name: String, password: String }
//!
//! /// Name to password. A real app keeps password hashes in a database and
//! /// checks them with argon2 or bcrypt.
//! struct Users(HashMap<String, String>);
//!
//! impl Users {
//!     fn find(&self, name: &str) -> Option<User> {
//!         let password = self.0.get(name)?;
//!         Some(User { name: name.to_owned(), fingerprint: fingerprint(password) })
//!     }
//! }
//! # fn fingerprint(s: &str) -> Vec<u8> { s.bytes().rev().collect() }
//!
//! impl AuthBackend for Users {
//!     type User = User;
//!     type Credentials = Credentials;
//!     type Error = Infallible;
//!
//!     async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, Infallible> {
//!         let known = self.0.get(&creds.name).is_some_and(|p| *p == creds.password);
//!         Ok(known.then(|| self.find(&creds.name)).flatten())
//!     }
//!
//!     async fn user(&self, id: &str) -> Result<Option<User>, Infallible> {
//!         Ok(self.find(id))
//!     }
//! }
//!
//! #[derive(Deserialize)]
//! struct Next { next: Option<String> }
//!
//! async fn login(
//!     auth: AuthSession<Users>,
//!     Query(q): Query<Next>,
//!     Form(creds): Form<Credentials>,
//! ) -> Result<Response, sesh_auth::Error> {
//!     let Some(user) = auth.authenticate(creds).await? else {
//!         return Ok((StatusCode::UNAUTHORIZED, "wrong name or password").into_response());
//!     };
//!     auth.login(&user).await?;
//!     // Back where the guard sent the user from, if that is a path on this site.
//!     let to = q.next.as_deref().and_then(safe_next).unwrap_or("/");
//!     Ok(Redirect::to(to).into_response())
//! }
//!
//! async fn logout(auth: AuthSession<Users>) -> Result<Redirect, sesh_auth::Error> {
//!     auth.logout().await?;
//!     Ok(Redirect::to("/"))
//! }
//!
//! async fn orders(CurrentUser(user): CurrentUser<Users>) -> String {
//!     format!("{}'s orders", user.name)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let users = Users(HashMap::from([("ada".to_owned(), "correct horse".to_owned())]));
//! let app: Router = Router::new()
//!     .route("/orders", get(orders))
//!     .route_layer(RequireLoginLayer::<Users>::new().login_url("/login"))
//!     .route("/login", post(login))
//!     .route("/logout", post(logout))
//!     .layer(AuthLayer::new(users))
//!     .layer(SessionLayer::new(MemoryStore::new()));
//!
//! // In process, with a cookie jar (`sesh::testing::TestClient`):
//! let mut browser = sesh::testing::TestClient::new(app);
//! let page = browser.get("/orders").await;
//! assert_eq!(page.status, StatusCode::SEE_OTHER);
//! assert_eq!(page.headers["location"], "/login?next=%2Forders");
//!
//! let form = [("name", "ada"), ("password", "correct horse")];
//! let login = browser.post_form("/login?next=%2Forders", &form).await;
//! assert_eq!(login.headers["location"], "/orders");
//! assert_eq!(browser.get("/orders").await.text, "ada's orders");
//!
//! browser.post_form("/logout", &[]).await;
//! assert_eq!(browser.get("/orders").await.status, StatusCode::SEE_OTHER);
//! # }
//! ```
//!
//! # Layers, in order
//! The `SessionLayer` runs first, then the [`AuthLayer`], then the guards,
//! then the handler. In axum the last layer added runs first: routes, then
//! `route_layer(guard)`, then `layer(AuthLayer)`, then `layer(SessionLayer)`.
//! A missing layer is a 500 whose text names the fix.
//!
//! # What each request costs
//! Nothing, for routes that neither guard nor extract the user. Otherwise
//! the session is loaded (one store read) and the backend's
//! [`user`](AuthBackend::user) called once, however many extractors and
//! guards ask; permissions are listed once too.
//!
//! # When the password changes
//! At login the user's [auth hash](AuthUser::auth_hash) is stored in the
//! session, under [`AUTH_HASH_KEY`]. Every request that loads the user
//! compares it with the user's own, in constant time; when they differ
//! (the password was changed on another device), or the user is gone, the
//! session is destroyed and the request sees a visitor. To keep the
//! session that changed the password, call [`AuthSession::login`] again in
//! that request with the updated user: it gets a new ID and the new hash,
//! and every other session of the user ends on its next request (or at
//! once, with `auth.session().end_other_sessions()`). See
//! [`AuthSession`]'s docs.
//!
//! # After login: `next`
//! A guard with a login URL sends a visitor there with the path it asked
//! for in `next`. [`safe_next`] lets through only a path on this site, so
//! the login page cannot be made into an open redirect.
//!
//! # Errors and logs
//! One opaque [`Error`] with an [`ErrorKind`] and the cause
//! ([`source`](std::error::Error::source)): a `sesh::Error`, or the
//! backend's own error. No session ID, stored value or credential goes
//! into an error or a log; a session ended for a changed hash is logged
//! at `info` (target `sesh_auth`) with the reason only.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth_session;
mod backend;
mod error;
mod extract;
mod guard;
mod hash;
mod layer;
mod next;
mod permissions;

pub use auth_session::AuthSession;
pub use backend::{AuthBackend, AuthUser, AuthzBackend};
pub use error::{Error, ErrorKind};
pub use extract::CurrentUser;
pub use guard::{GuardFuture, RequireLogin, RequireLoginLayer, RequirePermission, RequirePermissionLayer};
pub use hash::AUTH_HASH_KEY;
pub use layer::{AuthLayer, AuthService};
pub use next::safe_next;
