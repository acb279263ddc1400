//! The four benchmark routes, built on each implementation.
//!
//! | route | what the handler does |
//! |-------|-----------------------|
//! | `GET /untouched` | ignores the session (the session layer is still installed) |
//! | `GET /read` | reads [`KEY`] of the request's session |
//! | `GET /write` | increments [`KEY`] of the request's session |
//! | `GET /new` | inserts [`KEY`] into a fresh session (the request sends no cookie) |
//!
//! `/read` and `/write` answer 410 Gone when the session has no [`KEY`]:
//! wrk counts that as an error, so a load run whose cookies do not reach
//! the store shows up as failed instead of measuring the wrong thing.

use std::{fmt, str::FromStr};

use axum::{
    Router,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{MethodRouter, get},
};

/// The one data key the routes read and write.
pub const KEY: &str = "n";

/// Which implementation serves the routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Impl {
    /// axum without any session layer: the floor.
    Bare,
    /// sesh's `SessionLayer`.
    Sesh,
    /// tower-sessions' `SessionManagerLayer`.
    TowerSessions,
    /// No session library: the store work a session needs and nothing
    /// else (see [`crate::floor`]); memory and Redis stores.
    Floor,
}

impl Impl {
    /// The implementations compared on every store, in the order the load
    /// driver runs them.
    pub const ALL: [Self; 3] = [Self::Bare, Self::Sesh, Self::TowerSessions];

    /// The name used on the command line and in reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Bare => "bare",
            Self::Sesh => "sesh",
            Self::TowerSessions => "tower-sessions",
            Self::Floor => "floor",
        }
    }
}

impl fmt::Display for Impl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Impl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .chain([Self::Floor])
            .find(|i| i.name() == s)
            .ok_or_else(|| {
                format!("unknown implementation {s:?}: expected bare, sesh, tower-sessions or floor")
            })
    }
}

/// The four routes, `/untouched` answering at once and the others served
/// by `read`, `write` and `new`: every implementation is built on it.
pub(crate) fn routes<S>(read: MethodRouter<S>, write: MethodRouter<S>, new: MethodRouter<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/untouched", get(untouched))
        .route("/read", read)
        .route("/write", write)
        .route("/new", new)
}

/// The routes without sessions: every route answers at once.
pub fn bare() -> Router {
    routes(get(untouched), get(untouched), get(untouched))
}

/// The routes behind sesh's `layer`.
pub fn sesh(layer: sesh::SessionLayer) -> Router {
    routes(
        get(sesh_handlers::read),
        get(sesh_handlers::write),
        get(sesh_handlers::new),
    )
    .layer(layer)
}

/// sesh's layer over `store`, with the cookie's `Secure` flag off (the
/// benchmark speaks plain HTTP; wrk would send the cookie either way).
pub fn sesh_layer(store: impl sesh::store::SessionStore) -> sesh::SessionLayer {
    sesh::SessionLayer::new(store).secure(false)
}

/// The routes behind tower-sessions' layer over `store`, with `Secure` off.
pub fn tower_sessions<S>(store: S) -> Router
where
    S: tower_sessions::SessionStore + Clone,
{
    let layer = tower_sessions::SessionManagerLayer::new(store).with_secure(false);
    routes(
        get(tower_handlers::read),
        get(tower_handlers::write),
        get(tower_handlers::new),
    )
    .layer(layer)
}

async fn untouched() -> &'static str {
    "ok"
}

/// `n` as the body, or 410 Gone when the session holds no [`KEY`].
pub(crate) fn counted(n: Option<u64>) -> Response {
    match n {
        Some(n) => n.to_string().into_response(),
        None => (StatusCode::GONE, "no session").into_response(),
    }
}

mod sesh_handlers {
    use axum::response::Response;
    use sesh::Session;

    use super::{KEY, counted};

    pub(super) async fn read(session: Session) -> Result<Response, sesh::Error> {
        Ok(counted(session.get::<u64>(KEY)?))
    }

    pub(super) async fn write(session: Session) -> Result<Response, sesh::Error> {
        let Some(n) = session.get::<u64>(KEY)? else {
            return Ok(counted(None));
        };
        session.insert(KEY, n + 1)?;
        Ok(counted(Some(n + 1)))
    }

    pub(super) async fn new(session: Session) -> Result<&'static str, sesh::Error> {
        session.insert(KEY, 1_u64)?;
        Ok("created")
    }
}

pub(crate) mod tower_handlers {
    use axum::{
        http::StatusCode,
        response::{IntoResponse, Response},
    };
    use tower_sessions::{Session, session::Error};

    use super::{KEY, counted};

    /// tower-sessions' error as a 500 whose body says what failed.
    pub(crate) fn failed(error: &Error) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
    }

    pub(super) async fn read(session: Session) -> Response {
        match session.get::<u64>(KEY).await {
            Ok(n) => counted(n),
            Err(e) => failed(&e),
        }
    }

    pub(super) async fn write(session: Session) -> Response {
        let n = match session.get::<u64>(KEY).await {
            Ok(Some(n)) => n,
            Ok(None) => return counted(None),
            Err(e) => return failed(&e),
        };
        match session.insert(KEY, n + 1).await {
            Ok(()) => counted(Some(n + 1)),
            Err(e) => failed(&e),
        }
    }

    pub(super) async fn new(session: Session) -> Response {
        match session.insert(KEY, 1_u64).await {
            Ok(()) => "created".into_response(),
            Err(e) => failed(&e),
        }
    }
}
