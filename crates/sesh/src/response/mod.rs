//! What the layer sends back once the handler has answered: the session's
//! value (a `Set-Cookie`, or the session header), and headers that keep
//! caches from mixing users up.

use http::HeaderValue;
use sesh_core::Error;

use crate::{Session, session::Told, store_calls::TimedStore};

pub(crate) mod client_side;
pub(crate) mod headers;
pub(crate) mod set_cookie;

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
    let told = session.commit(store).await?;
    // What an earlier `save` stored and nothing since replaced.
    let (told, via) = {
        let mut state = session.lock();
        let told = match told {
            Told::Nothing => std::mem::take(&mut state.told),
            told => told,
        };
        (told, state.via)
    };
    Ok(match told {
        Told::Id { id, max_age } => Some(set_cookie::for_id(&config.cookie, &id, max_age, via)),
        Told::Removal => Some(set_cookie::removal(&config.cookie, via)),
        Told::Nothing if reissue => reissued(session),
        Told::Nothing => None,
    })
}

/// The session's value again, for the session the request came with and
/// that still lives: never a destroyed, rotated or concurrently ended one.
fn reissued(session: &Session) -> Option<HeaderValue> {
    let config = session.config();
    let state = session.lock();
    let id = state
        .stored
        .as_ref()
        .filter(|id| state.incoming.as_ref().is_some_and(|i| i.id == **id))?;
    // Nothing was sent, so a persistent session's deadline did not move.
    let record = &state.record;
    let max_age = record
        .persistent
        .then(|| set_cookie::until(record.expires_at, config.clock.now()));
    Some(set_cookie::for_id(&config.cookie, id, max_age, state.via))
}
