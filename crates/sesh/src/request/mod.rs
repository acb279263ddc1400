//! Turning what a request carries into its [`Session`].
//!
//! Strict: a missing, malformed, oversized, forged, tampered or expired
//! value is "no session", never an error and never adopted.
//!
//! Bounded: a request may carry any number of session values (a stale
//! cookie of a more specific path before the live one, or a hostile
//! flood). Only the first [`MAX_CANDIDATES`] are opened and checked; the
//! rest are counted and dropped unread. Refused values are reported in at
//! most one warning per request, with their count and a salted hash of the
//! first, never a value.

use std::sync::Arc;

use http::HeaderMap;
use sesh_core::{LogId, SessionId, StoreKey};
use sha2::{Digest as _, Sha256};

use crate::{
    Session,
    client_side::payload,
    config::Config,
    seal::{Opened, Seal},
    session::Candidate,
    transport::Via,
};

mod offered;

/// How many of the session values a request offers are opened and tried,
/// in order: enough for a stale cookie of another path or two before the
/// live one, and a bound on the work (signature checks, decryption, store
/// loads) one request can cause.
pub(crate) const MAX_CANDIDATES: usize = 3;

/// The session a request names.
pub(crate) fn session_for(config: &Arc<Config>, headers: &HeaderMap) -> Session {
    let cookie = &config.cookie;
    let mut candidates = Vec::new();
    let mut refused = Refused::default();
    let mut tried = 0;
    for (via, offered) in offered::offered(&cookie.transport, headers, &cookie.name) {
        let value = match offered {
            // An echoed removal (empty cookie or header) is simply no session.
            Ok("") => continue,
            _ if tried == MAX_CANDIDATES => {
                refused.skipped += 1;
                continue;
            }
            Ok(value) => value,
            Err(bytes) => {
                tried += 1;
                refused.note(bytes, "not_ascii", "not visible ASCII");
                continue;
            }
        };
        tried += 1;
        let (plain, previous_key) = match cookie.sealing.open(&cookie.name, value) {
            Opened::Current(plain) => (plain, false),
            Opened::Previous(plain) => (plain, true),
            Opened::Refused => {
                let (label, why) = refusal(&cookie.sealing.seal);
                refused.note(value.as_bytes(), label, why);
                continue;
            }
        };
        if cookie.client_side {
            // The state itself: the first that opens and is live wins.
            let opened = Unsealed {
                plain: &plain,
                value,
                previous_key,
                via,
            };
            if let Some(session) = client_side(config, &opened, &mut refused) {
                refused.report();
                return session;
            }
            continue;
        }
        match SessionId::parse(&plain) {
            Ok(id) => candidates.push(Candidate {
                id,
                previous_key,
                via,
            }),
            Err(why) => refused.note(value.as_bytes(), "malformed", &why.to_string()),
        }
    }
    refused.report();
    Session::new(
        Arc::clone(config),
        candidates,
        cookie.transport.reply_via(headers),
    )
}

/// One session value as it came and as it opened.
struct Unsealed<'a> {
    plain: &'a str,
    value: &'a str,
    previous_key: bool,
    via: Via,
}

fn client_side(config: &Arc<Config>, opened: &Unsealed<'_>, refused: &mut Refused) -> Option<Session> {
    let (id, record) = match payload::decode(opened.plain) {
        Ok(decoded) => decoded,
        Err(error) => {
            refused.note(opened.value.as_bytes(), "bad_state", &error.to_string());
            return None;
        }
    };
    if record.is_expired(config.clock.now()) {
        tracing::debug!(target: "sesh", session = %id.log_id(), "client-side session has expired");
        return None;
    }
    Some(Session::client_side(
        Arc::clone(config),
        id,
        record,
        opened.previous_key,
        opened.via,
    ))
}

/// A refused sealed value's metrics label and log reason.
fn refusal(seal: &Seal) -> (&'static str, &'static str) {
    match seal {
        Seal::Plain => ("malformed", "malformed"),
        Seal::Signed(_) => (
            "bad_signature",
            "bad signature (altered, truncated, another cookie's or a retired key's)",
        ),
        Seal::Private(_) => (
            "undecryptable",
            "did not decrypt (altered, truncated, another cookie's or a retired key's)",
        ),
    }
}

/// The session values one request offered that were refused or skipped.
#[derive(Default)]
struct Refused {
    /// The first refused value's fingerprint and why it was refused.
    first: Option<(LogId, String)>,
    /// Values opened and refused.
    count: usize,
    /// Values past [`MAX_CANDIDATES`], dropped unread.
    skipped: usize,
}

impl Refused {
    fn note(&mut self, value: &[u8], label: &'static str, reason: &str) {
        crate::metrics::refused(label, 1);
        self.count += 1;
        if self.first.is_none() {
            self.first = Some((fingerprint(value), reason.to_owned()));
        }
    }

    /// One warning for the whole request, if anything was refused.
    fn report(self) {
        if self.skipped > 0 {
            crate::metrics::refused("surplus", self.skipped);
        }
        let Some((value, reason)) = self.first else {
            if self.skipped > 0 {
                tracing::warn!(target: "sesh", skipped = self.skipped, "ignored surplus session values");
            }
            return;
        };
        tracing::warn!(
            target: "sesh",
            value = %value,
            reason,
            refused = self.count,
            skipped = self.skipped,
            "ignored a suspicious session value"
        );
    }
}

/// A salted hash naming a value in logs without revealing it.
fn fingerprint(value: &[u8]) -> LogId {
    StoreKey::from_bytes(Sha256::digest(value).into()).log_id()
}
