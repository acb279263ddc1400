//! The cookie a client-side session's response carries: its whole state,
//! sealed.

use http::HeaderValue;
use sesh_core::{Error, SessionId};

use crate::{Session, client_side::payload, response::set_cookie};

/// The cookie to send after the handler, if any: the state re-sealed when
/// it changed, its ID rotated, its idle deadline is due to move (throttled
/// like a store's `touch`) or it came under a previous key; a removal
/// cookie after `destroy`.
///
/// # Errors
/// [`ErrorKind::CookieTooLarge`](sesh_core::ErrorKind::CookieTooLarge) if the final cookie is over the budget
/// (a change that bypassed `insert`'s check, like `set_persistent`).
pub(crate) fn commit(session: &Session, reissue: bool) -> Result<Option<HeaderValue>, Error> {
    let config = session.config();
    let now = config.clock.now();
    let mut state = session.lock();
    let expiry = config.expiry.for_session(state.record.idle_timeout);
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
            return Ok(retire.map(|_| set_cookie::removal(&config.cookie, state.via)));
        }
        None => SessionId::generate(),
    };
    let record = state.record_mut();
    record.last_active = now;
    record.expires_at = expiry.extend(now, record.absolute_deadline);
    let plain = payload::encode(&id.encode(), record)?;
    let max_age = record
        .persistent
        .then(|| set_cookie::until(record.expires_at, now));
    let sent = set_cookie::sealed(&config.cookie, &plain, max_age, state.via)?;
    tracing::debug!(session = %id.log_id(), rotated = retire.is_some(), "client-side session sealed");
    state.stored = Some(id);
    Ok(Some(sent))
}
