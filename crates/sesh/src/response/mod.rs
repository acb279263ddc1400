//! What the layer sends back once the handler has answered.

use http::HeaderValue;
use sesh_core::Error;

use crate::{Session, store_calls::TimedStore};

pub(crate) mod client_side;
mod commit;
pub(crate) mod headers;
pub(crate) mod set_cookie;

pub(crate) use commit::is_idle;

/// Stores what the request did to its store-backed session through
/// `store`; returns the value to send in the transport's response header,
/// if any.
///
/// A value that came under a previous key is re-issued under the current
/// one even when nothing else would be sent, so rotating keys moves every
/// active client over without logging anyone out.
pub(crate) async fn respond(
    session: &Session,
    reissue: bool,
    store: &TimedStore,
) -> Result<Option<HeaderValue>, Error> {
    let config = session.config();
    let (persistent, expires_at) = {
        let state = session.lock();
        (state.record.persistent, state.record.expires_at)
    };
    let sent = commit::commit(session, store).await?;
    if sent.is_some() || !reissue {
        return Ok(sent);
    }
    // Re-issue only for the session the request came with and that still
    // lives: never revive a destroyed, rotated or concurrently ended one.
    let still_stored = {
        let state = session.lock();
        state
            .stored
            .clone()
            .filter(|id| state.incoming.as_ref().is_some_and(|i| i.id == *id))
    };
    let Some(id) = still_stored else {
        return Ok(None);
    };
    // Nothing was sent, so a persistent session's deadline did not move.
    let max_age = persistent.then(|| set_cookie::until(expires_at, config.clock.now()));
    Ok(Some(set_cookie::for_id(&config.cookie, &id, max_age)))
}
