use axum_core::extract::FromRequestParts;
use http::request::Parts;
use sesh_core::{Error, ErrorKind};

use crate::Session;

/// Extracting a `Session` loads its record: one store read if the request
/// carried a session cookie, none otherwise, and none for handlers that do
/// not extract it.
///
/// Rejects with a 500 naming the fix when the [`SessionLayer`](crate::SessionLayer)
/// is missing, and with a 503 when the store fails.
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let session = parts.extensions.get::<Session>().cloned().ok_or_else(|| {
            Error::msg(
                ErrorKind::MissingLayer,
                "no SessionLayer in front of this handler: add \
                 `.layer(sesh::SessionLayer::new(store))` to the Router, after the routes that use Session",
            )
        })?;
        session.load().await?;
        Ok(session)
    }
}
