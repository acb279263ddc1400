//! Turning what a request carries into its [`Session`].
//!
//! Strict: a missing, malformed, oversized, forged, tampered or expired
//! value is "no session", never an error and never adopted. Values that
//! fail a signature or decryption, or are not even well-formed, are logged
//! as a warning with a salted hash of the value, never the value.

use std::sync::Arc;

use http::HeaderMap;
use sesh_core::{LogId, SessionId, StoreKey};
use sha2::{Digest as _, Sha256};

use crate::{
    Session,
    config::Shared,
    keys::{Opened, Seal},
    payload,
};

/// The session a request names and whether its value came under a
/// previous key, so the response re-issues it under the current one.
pub(crate) fn session_for(shared: &Arc<Shared>, headers: &HeaderMap) -> (Session, bool) {
    let config = &shared.cookie;
    for offered in config.transport.offered(headers, &config.name) {
        let value = match offered {
            // An echoed removal (empty cookie or header) is simply no session.
            Ok("") => continue,
            Ok(value) => value,
            Err(bytes) => {
                suspicious(bytes, "not visible ASCII");
                continue;
            }
        };
        let (plain, previous_key) = match config.sealing.open(&config.name, value) {
            Opened::Current(plain) => (plain, false),
            Opened::Previous(plain) => (plain, true),
            Opened::Refused => {
                suspicious(value.as_bytes(), refusal(&config.sealing.seal));
                continue;
            }
        };
        let session = if config.client_side {
            client_side(shared, &plain, value)
        } else {
            store_backed(shared, &plain, value)
        };
        if let Some(session) = session {
            if previous_key {
                tracing::debug!(target: "sesh", "session value sealed under a previous key; re-issuing");
            }
            return (session, previous_key);
        }
    }
    (Session::new(Arc::clone(shared), None), false)
}

fn store_backed(shared: &Arc<Shared>, plain: &str, value: &str) -> Option<Session> {
    match SessionId::parse(plain) {
        Ok(id) => Some(Session::new(Arc::clone(shared), Some(id))),
        Err(why) => {
            suspicious(value.as_bytes(), &why.to_string());
            None
        }
    }
}

fn client_side(shared: &Arc<Shared>, plain: &str, value: &str) -> Option<Session> {
    let (id, record) = match payload::decode(plain) {
        Ok(decoded) => decoded,
        Err(error) => {
            suspicious(value.as_bytes(), &error.to_string());
            return None;
        }
    };
    if record.is_expired(shared.clock.now()) {
        tracing::debug!(target: "sesh", session = %id.log_id(), "client-side session has expired");
        return None;
    }
    let session = Session::new(Arc::clone(shared), None);
    {
        let mut state = session.lock();
        state.record = record;
        state.stored = Some(id);
    }
    Some(session)
}

fn refusal(seal: &Seal) -> &'static str {
    match seal {
        Seal::Plain => "malformed",
        Seal::Signed(_) => "bad signature (altered, truncated, another cookie's or a retired key's)",
        Seal::Private(_) => "did not decrypt (altered, truncated, another cookie's or a retired key's)",
    }
}

fn suspicious(value: &[u8], reason: &str) {
    tracing::warn!(target: "sesh", value = %fingerprint(value), reason, "ignored a suspicious session value");
}

/// A salted hash naming a value in logs without revealing it.
fn fingerprint(value: &[u8]) -> LogId {
    StoreKey::from_bytes(Sha256::digest(value).into()).log_id()
}
