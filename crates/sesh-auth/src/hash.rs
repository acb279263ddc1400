//! The user's auth hash in the session: stored at login, compared in
//! constant time on every request that loads the user.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sesh::Session;
use subtle::ConstantTimeEq as _;

/// The session data key the user's [auth hash](crate::AuthUser::auth_hash)
/// is stored under at login, base64url-encoded.
///
/// Data keys that start with `sesh.` are reserved for sesh's own features:
/// an application must not write this one. Removing it (or
/// `Session::clear`) logs the user out on the next request.
pub const AUTH_HASH_KEY: &str = "sesh.auth.hash";

/// Stores `hash` in the session, for [`matches`] on later requests.
pub(crate) fn store(session: &Session, hash: &[u8]) -> Result<(), sesh::Error> {
    session.insert(AUTH_HASH_KEY, URL_SAFE_NO_PAD.encode(hash))
}

/// Whether the session holds `hash`, compared in constant time (for equal
/// lengths). A missing or unreadable stored hash matches nothing.
pub(crate) fn matches(session: &Session, hash: &[u8]) -> bool {
    let Ok(Some(stored)) = session.get::<String>(AUTH_HASH_KEY) else {
        return false;
    };
    let Ok(stored) = URL_SAFE_NO_PAD.decode(stored) else {
        return false;
    };
    stored.ct_eq(hash).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_stored_hash_matches() {
        let session = sesh::testing::session();
        assert!(!matches(&session, b"abc"), "nothing stored matches nothing");
        store(&session, b"abc").expect("insert");
        assert!(matches(&session, b"abc"));
        assert!(!matches(&session, b"abd"));
        assert!(!matches(&session, b"ab"));
        session.insert(AUTH_HASH_KEY, "not base64!").expect("insert");
        assert!(!matches(&session, b"abc"));
    }
}
