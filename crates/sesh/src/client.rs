//! Client-side sessions: the whole state lives in a private (encrypted)
//! cookie and the server keeps nothing.
//!
//! What that buys and costs: no store, no I/O; but the state is capped by
//! the 4096-byte cookie, and a copy of the cookie keeps working until the
//! deadlines sealed inside it pass, even after `destroy` or `cycle_id`,
//! because there is no server record to delete.

use std::time::SystemTime;

use async_trait::async_trait;
use http::HeaderValue;
use sesh_core::{Created, Error, ErrorKind, Expiry, Record, Saved, SessionId, SessionStore, StoreKey};

use crate::{
    Session,
    config::{CookieConfig, Shared},
    cookie, payload,
};

/// Stands for the ID when sizing a payload: every ID encodes to this length.
const PLACEHOLDER_ID: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The "store" of a client-side layer. The layer never calls it for
/// sessions; anything else that needs a server store (a per-user index,
/// say) gets a clear error instead of silently working on nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoStore;

fn no_store() -> Error {
    Error::msg(
        ErrorKind::Config,
        "client-side sessions have no server store; this operation needs \
         SessionLayer::new(store)",
    )
}

#[async_trait]
impl SessionStore for NoStore {
    async fn load(&self, _: &StoreKey) -> Result<Option<Record>, Error> {
        Err(no_store())
    }
    async fn create(&self, _: &StoreKey, _: &Record) -> Result<Created, Error> {
        Err(no_store())
    }
    async fn save(&self, _: &StoreKey, _: &Record, _: u64) -> Result<Saved, Error> {
        Err(no_store())
    }
    async fn touch(&self, _: &StoreKey, _: SystemTime) -> Result<(), Error> {
        Err(no_store())
    }
    async fn delete(&self, _: &StoreKey) -> Result<(), Error> {
        Err(no_store())
    }
}

/// Refuses a state that would no longer fit in the cookie, so the handler
/// that made it too big sees the error. A no-op for store-backed layers.
///
/// # Errors
/// [`ErrorKind::CookieTooLarge`] past the budget.
pub(crate) fn check_fits(shared: &Shared, record: &Record) -> Result<(), Error> {
    let config = &shared.cookie;
    if !config.client_side {
        return Ok(());
    }
    let plain = payload::encode(PLACEHOLDER_ID, record)?;
    cookie::check_size(config, config.sealing.sealed_len(plain.len()))
}

/// The length of the cookie value of an empty session.
pub(crate) fn smallest_cookie_value(config: &CookieConfig) -> usize {
    let empty = Record::new(SystemTime::now(), &Expiry::new());
    let plain = payload::encode(PLACEHOLDER_ID, &empty).map_or(0, |p| p.len());
    config.sealing.sealed_len(plain)
}

/// The cookie to send after the handler, if any: the state re-sealed when
/// it changed, its ID rotated, its idle deadline is due to move (throttled
/// like a store's `touch`) or it came under a previous key; a removal
/// cookie after `destroy`.
///
/// # Errors
/// [`ErrorKind::CookieTooLarge`] if the final cookie is over the budget
/// (a change that bypassed `insert`'s check, like `set_persistent`).
pub(crate) fn commit(session: &Session, reissue: bool) -> Result<Option<HeaderValue>, Error> {
    let shared = session.shared();
    let (expiry, now) = (&shared.expiry, shared.clock.now());
    let mut state = session.lock();
    let retire = state.retire.take();
    let changes = std::mem::take(&mut state.changes);
    let id = match state.stored.clone() {
        Some(id) => {
            let record = &state.record;
            let due = !changes.is_empty()
                || reissue
                || expiry.needs_touch(now, record.expires_at, record.absolute_deadline);
            if !due {
                return Ok(None);
            }
            id
        }
        None if state.record.data.is_empty() && state.record.user.is_none() => {
            return Ok(retire.map(|_| cookie::removal_cookie(&shared.cookie)));
        }
        None => SessionId::generate(),
    };
    let record = &mut state.record;
    record.last_active = now;
    record.expires_at = expiry.extend(now, record.absolute_deadline);
    let plain = payload::encode(&id.encode(), record)?;
    let max_age = record.persistent.then(|| cookie::until(record.expires_at, now));
    let sent = cookie::outgoing(&shared.cookie, &plain, max_age)?;
    tracing::debug!(session = %id.log_id(), rotated = retire.is_some(), "client-side session sealed");
    state.stored = Some(id);
    Ok(Some(sent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_is_as_long_as_an_id() {
        assert_eq!(PLACEHOLDER_ID.len(), SessionId::ENCODED_LEN);
    }
}
