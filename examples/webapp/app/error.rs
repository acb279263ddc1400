//! What a handler fails with, and the page that says so.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

use super::users::HashError;

/// A handler's failure: the session, the login machinery, a template or
/// the password hasher.
#[derive(Debug)]
pub(crate) enum AppError {
    Session(sesh::Error),
    Auth(sesh_auth::Error),
    Template(minijinja::Error),
    Hash(HashError),
}

impl From<sesh::Error> for AppError {
    fn from(e: sesh::Error) -> Self {
        Self::Session(e)
    }
}

impl From<sesh_auth::Error> for AppError {
    fn from(e: sesh_auth::Error) -> Self {
        Self::Auth(e)
    }
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        Self::Template(e)
    }
}

impl From<HashError> for AppError {
    fn from(e: HashError) -> Self {
        Self::Hash(e)
    }
}

/// sesh's and sesh-auth's errors answer as they do everywhere (503 for a
/// store that is down, 409 at the session limit...); the app's own
/// failures are a logged 500 that shows no detail.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            Self::Session(e) => e.into_response(),
            Self::Auth(e) => e.into_response(),
            Self::Template(e) => internal("rendering a page", &e),
            Self::Hash(e) => internal("checking a password", &e),
        }
    }
}

fn internal(what: &str, e: &dyn std::error::Error) -> Response {
    tracing::error!(error = %e, "{what} failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side.",
    )
        .into_response()
}
