//! The web app's routes and layers, apart from where its sessions live:
//! `main.rs` picks the store, tests serve the same router over any store.
//!
//! | route | what |
//! |---|---|
//! | `GET /` | who is signed in, the flash messages waiting |
//! | `GET /login`, `POST /login` | sign in (`username`, `password`, `remember`, `next`) |
//! | `POST /logout` | sign out |
//! | `GET /cart`, `POST /cart/add` | a count per `item` |
//! | `GET /devices` | the user's sessions (signed-in users only) |
//! | `POST /devices/revoke` | end one (`key`) |
//! | `POST /logout-others` | end all but this one |
//! | `GET /password`, `POST /password` | a new password (`current`, `new`) |
//!
//! Every unsafe request needs the page's CSRF token (403 without it);
//! the signed-in users' routes send a visitor to `/login?next=...` (303).

mod auth;
mod cart;
mod devices;
mod error;
mod home;
mod pages;
mod users;

use std::time::Duration;

use axum::{
    Router,
    routing::{get, post},
};
use sesh::{LimitPolicy, SessionLayer, csrf::CsrfLayer, store::SessionStore};
use sesh_auth::{AuthLayer, RequireLoginLayer};

pub(crate) use users::{DEMO_USERS, Users};

/// A remembered session lasts this long without a request (and the
/// layer allows no longer)...
const IDLE_TIMEOUT: Duration = Duration::from_secs(14 * 24 * 60 * 60);
/// ...and this long at most, however active.
const ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// Sessions per user; an eleventh sign-in ends the oldest.
const MAX_SESSIONS_PER_USER: usize = 10;

/// The app over `store`, with `users`.
///
/// # Errors
/// A template that does not compile.
pub(crate) fn router(store: impl SessionStore, users: Users) -> Result<Router, minijinja::Error> {
    pages::templates()?;
    let signed_in_only = Router::new()
        .route("/devices", get(devices::page))
        .route("/devices/revoke", post(devices::revoke))
        .route("/logout-others", post(devices::logout_others))
        .route("/password", get(auth::password_page).post(auth::change_password))
        .route_layer(RequireLoginLayer::<Users>::new().login_url("/login"));
    let sessions = SessionLayer::new(store)
        .idle_timeout(IDLE_TIMEOUT)
        .absolute_timeout(ABSOLUTE_TIMEOUT)
        .max_sessions_per_user(MAX_SESSIONS_PER_USER, LimitPolicy::EvictOldest);
    // The last layer runs first: sessions, then the user, then the CSRF
    // check, then the guard of the signed-in routes, then the handler.
    Ok(Router::new()
        .route("/", get(home::page))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/cart", get(cart::page))
        .route("/cart/add", post(cart::add))
        .merge(signed_in_only)
        .layer(CsrfLayer::new())
        .layer(AuthLayer::new(users))
        .layer(sessions))
}
