//! Loading a session from the store, the first time a request asks for it.

use std::sync::{Arc, atomic::Ordering};

use sesh_core::{Error, ErrorKind, Record, SessionId, StoreKey};

use super::{Candidate, Incoming, Session, commit::FORWARD_TO};

impl Session {
    /// Loads the session's record from the store, once per request; later
    /// calls return at once. The axum extractor calls it; other tower
    /// services and middleware take the `Session` the layer put in the
    /// request's extensions and call it themselves before anything else.
    /// After it, every method works as in a handler, and what they change
    /// is stored after the response, as for an extracted session.
    ///
    /// ```
    /// use http::{Request, Response};
    /// use sesh::{MemoryStore, Session, SessionLayer};
    /// use tower::{ServiceBuilder, ServiceExt as _, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), sesh::Error> {
    /// let service = ServiceBuilder::new()
    ///     .layer(SessionLayer::new(MemoryStore::new()).secure(false))
    ///     .service(service_fn(|req: Request<String>| async move {
    ///         let session = req.extensions().get::<Session>().expect("the layer put it there").clone();
    ///         session.load().await?;
    ///         let visits: u64 = session.get("visits")?.unwrap_or(0) + 1;
    ///         session.insert("visits", visits)?;
    ///         Ok::<_, sesh::Error>(Response::new(visits.to_string()))
    ///     }));
    /// let response = service.oneshot(Request::new(String::new())).await?;
    /// assert!(response.headers().contains_key("set-cookie"));
    /// # Ok(()) }
    /// ```
    ///
    /// The request's candidate IDs are tried in order and the first that
    /// names a live session is loaded, so a stale cookie of a more
    /// specific path does not hide the live one.
    ///
    /// Two clones loading at the same moment (from spawned tasks) may both
    /// read the store; the first result to arrive is kept, so a later one
    /// never overwrites changes made since. A failed read loads nothing,
    /// and the next call tries again.
    ///
    /// # Errors
    /// The store's error: [`ErrorKind::Store`] or [`ErrorKind::Timeout`]
    /// (answered 503). A record that cannot be decoded is not an error:
    /// the session starts afresh.
    pub async fn load(&self) -> Result<(), Error> {
        if self.is_loaded() {
            return Ok(());
        }
        let mut found = None;
        for candidate in &self.inner.candidates {
            match self.find(candidate).await {
                // Another extraction that loaded meanwhile is as good.
                Err(_) if self.is_loaded() => return Ok(()),
                Err(e) => return Err(e),
                Ok(Some(live)) => {
                    found = Some(live);
                    break;
                }
                Ok(None) => {}
            }
        }
        let mut state = self.lock();
        if !self.is_loaded() {
            if let Some((incoming, record)) = found {
                state.record = Arc::new(record);
                state.stored = Some(incoming.id.clone());
                state.via = incoming.via;
                state.incoming = Some(incoming);
            }
            self.inner.loaded.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// The live session `candidate` names: its own, or (within a rotation
    /// grace window) the one it was rotated to, whose ID the response then
    /// sends.
    async fn find(&self, candidate: &Candidate) -> Result<Option<(Incoming, Record)>, Error> {
        let key = candidate.id.key();
        if let Some(record) = self.fetch(&candidate.id, &key).await? {
            let incoming = Incoming {
                id: candidate.id.clone(),
                key,
                reissue: candidate.previous_key,
                via: candidate.via,
            };
            return Ok(Some((incoming, record)));
        }
        if self.config().rotation_grace.is_none() {
            return Ok(None);
        }
        let Some(forward) = self.fetch(&candidate.id, &candidate.id.forward_key()).await? else {
            return Ok(None);
        };
        let next = forward
            .data
            .get(FORWARD_TO)
            .and_then(|masked| masked.as_str())
            .and_then(|masked| candidate.id.unmask(masked));
        let Some(next) = next else { return Ok(None) };
        let key = next.key();
        let Some(record) = self.fetch(&next, &key).await? else {
            return Ok(None);
        };
        tracing::debug!(session = %candidate.id.log_id(), now = %next.log_id(), "a rotated-away ID, within the grace window");
        let incoming = Incoming {
            id: next,
            key,
            reissue: true,
            via: candidate.via,
        };
        Ok(Some((incoming, record)))
    }

    /// The live record stored under `id` (whose store key is `key`), if any.
    async fn fetch(&self, id: &SessionId, key: &StoreKey) -> Result<Option<Record>, Error> {
        let found = match self.inner.config.store.load(key).await {
            Ok(found) => found,
            Err(e) if e.kind() == ErrorKind::Decode => {
                // Corrupt, or written by an incompatible version: a request
                // must not fail for it, so it starts afresh under a new ID.
                tracing::warn!(session = %id.log_id(), error = %e, "stored session is unreadable; treating it as no session");
                None
            }
            Err(e) => {
                tracing::error!(session = %id.log_id(), error = %e, source = ?std::error::Error::source(&e), "loading the session failed");
                return Err(e);
            }
        };
        match found {
            Some(record) if !record.is_expired(self.inner.started) => Ok(Some(record)),
            Some(_) => {
                tracing::debug!(session = %id.log_id(), "session cookie names an expired session");
                Ok(None)
            }
            None => {
                tracing::debug!(session = %id.log_id(), "session cookie names no live session");
                Ok(None)
            }
        }
    }
}
