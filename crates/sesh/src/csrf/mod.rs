//! Protection against cross-site request forgery: a synchronizer token
//! kept in the session, handed to each page masked afresh, and checked on
//! every unsafe request by [`CsrfLayer`].
//!
//! A page puts [`CsrfToken`] into its forms (a hidden field named
//! [`FORM_FIELD`]) or hands it to its scripts, which send it back in the
//! [`HEADER`] header (`fetch`). The layer refuses a `POST`, `PUT`, `PATCH`
//! or `DELETE` whose token is missing or is not this session's with a 403
//! that says what to send. The token changes whenever the session ID does
//! (at login), so a token seen before login is worth nothing after it.
//!
//! ```
//! use axum::{Router, response::Html, routing::{get, post}};
//! use sesh::{MemoryStore, SessionLayer, csrf::{CsrfLayer, CsrfToken}};
//!
//! async fn form(token: CsrfToken) -> Html<String> {
//!     Html(format!(r#"<form method="post" action="/save">{}<button>Save</button></form>"#, token.hidden_input()))
//! }
//!
//! let app: Router = Router::new()
//!     .route("/", get(form))
//!     .route("/save", post(|| async { "saved" }))
//!     .layer(CsrfLayer::new()) // inside the session layer: it needs the Session
//!     .layer(SessionLayer::new(MemoryStore::new()));
//! ```
//!
//! From a script, read the token from the page (a `<meta>` tag, say) and send
//! it with each unsafe request:
//!
//! ```js
//! const token = document.querySelector('meta[name="csrf-token"]').content;
//! await fetch("/cart/add", { method: "POST", headers: { "x-csrf-token": token }, body });
//! ```
//!
//! Each page gets the secret masked with fresh random bytes, so the token in
//! a compressed response changes every time (BREACH); the layer unmasks and
//! compares in constant time.

#[cfg(feature = "axum")]
mod layer;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore as _;
use sesh_core::Error;
use subtle::ConstantTimeEq as _;

#[cfg(feature = "axum")]
pub use layer::{CsrfLayer, CsrfService, CsrfToken, ResponseFuture};

use crate::Session;

/// The form field a token comes back in.
pub const FORM_FIELD: &str = "csrf_token";

/// The request header a token comes back in.
pub const HEADER: &str = "x-csrf-token";

/// Where the secret lives: a key of the reserved `sesh.` prefix that
/// belongs to one session ID, so a rotation drops it (see
/// [`Session::cycle_id`]).
const KEY: &str = "sesh.per-id.csrf";

/// The secret's length in bytes.
const SECRET_BYTES: usize = 32;

/// A token for a page of `session` (loaded): the session's secret (made
/// now if it has none) masked with fresh random bytes.
///
/// # Errors
/// As [`Session::insert`], when the secret is made.
pub fn token(session: &Session) -> Result<String, Error> {
    let secret = match secret(session) {
        Some(secret) => secret,
        None => {
            let mut secret = [0; SECRET_BYTES];
            rand::rng().fill_bytes(&mut secret);
            session.insert(KEY, URL_SAFE_NO_PAD.encode(secret))?;
            secret
        }
    };
    let mut masked = [0; 2 * SECRET_BYTES];
    let (mask, hidden) = masked.split_at_mut(SECRET_BYTES);
    rand::rng().fill_bytes(mask);
    for ((h, m), s) in hidden.iter_mut().zip(mask.iter()).zip(secret) {
        *h = m ^ s;
    }
    Ok(URL_SAFE_NO_PAD.encode(masked))
}

/// Whether `token` is one of `session`'s (loaded) tokens, in constant time.
#[must_use]
pub fn verify(session: &Session, token: &str) -> bool {
    let Some(secret) = secret(session) else {
        return false;
    };
    let Ok(masked) = URL_SAFE_NO_PAD.decode(token.trim()) else {
        return false;
    };
    if masked.len() != 2 * SECRET_BYTES {
        return false;
    }
    let (mask, hidden) = masked.split_at(SECRET_BYTES);
    let mut unmasked = [0; SECRET_BYTES];
    for ((u, m), h) in unmasked.iter_mut().zip(mask).zip(hidden) {
        *u = m ^ h;
    }
    unmasked.ct_eq(&secret).into()
}

/// The session's secret, if it has one.
fn secret(session: &Session) -> Option<[u8; SECRET_BYTES]> {
    let stored: String = session.get(KEY).ok()??;
    URL_SAFE_NO_PAD.decode(stored).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn tokens_differ_per_page_and_all_verify() {
        let session = testing::session();
        let (a, b) = (token(&session).expect("token"), token(&session).expect("token"));
        assert_ne!(a, b, "masked afresh for each page");
        assert!(verify(&session, &a) && verify(&session, &b));
        let other = testing::session();
        let theirs = token(&other).expect("token");
        assert!(!verify(&session, &theirs), "another session's token");
        assert!(!verify(&session, ""), "missing");
        assert!(!verify(&session, &a[..a.len() - 1]), "cut");
        let mut flipped = a.into_bytes();
        flipped[70] = if flipped[70] == b'A' { b'B' } else { b'A' };
        assert!(!verify(&session, &String::from_utf8(flipped).expect("ascii")));
    }

    #[tokio::test]
    async fn a_rotation_gives_a_new_secret() {
        let session = testing::session();
        let before = token(&session).expect("token");
        session.save().await.expect("stored, so it has an ID to rotate");
        session.cycle_id();
        assert!(!verify(&session, &before), "the old token dies with the old ID");
        let after = token(&session).expect("token");
        assert!(verify(&session, &after));
    }
}
