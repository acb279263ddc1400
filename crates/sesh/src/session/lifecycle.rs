//! A session's life: its ID, rotation, its end, persistence and its own
//! timeouts.

use std::{sync::Arc, time::Duration};

use sesh_core::{Error, ErrorKind, Record, SessionId};

use super::{ChangeLog, Retired, Session};

impl Session {
    /// The ID the session is stored under: `None` for a session that is new
    /// in this request (its ID is chosen when it is stored), or whose ID is
    /// being rotated or destroyed. Treat it as a secret.
    #[must_use]
    pub fn id(&self) -> Option<SessionId> {
        self.loaded_or_panic().stored.clone()
    }

    /// Gives the session a new ID, keeping its data; the old ID stops
    /// working when the response is sent (or, with a
    /// [`rotation_grace`](crate::SessionLayer::rotation_grace), once that has
    /// passed). Call it on login and on any privilege change, to defeat
    /// session fixation. The absolute deadline is not extended.
    ///
    /// Data keys under `sesh.per-id.` belong to one ID and are dropped by
    /// the rotation: the CSRF token ([`crate::csrf`]) is one, so a token a
    /// page got before login is refused after it.
    pub fn cycle_id(&self) {
        let mut state = self.loaded_or_panic();
        if let Some(id) = state.stored.take() {
            let user = state.record.user.clone();
            state.retire = Some(Retired {
                id,
                rotated: true,
                user,
            });
            let per_id: Vec<String> = state
                .record
                .data
                .keys()
                .filter(|key| key.starts_with(PER_ID_PREFIX))
                .map(str::to_owned)
                .collect();
            if !per_id.is_empty() {
                let record = state.record_mut();
                for key in &per_id {
                    record.data.remove(key);
                }
                state.uncount();
            }
        }
    }

    /// Ends the session: its record is deleted and the browser told to drop
    /// the cookie; the user binding goes with it. Data inserted afterwards
    /// starts a new session, with a new ID.
    pub fn destroy(&self) {
        let config = &self.inner.config;
        let fresh = Record::new(config.clock.now(), &config.expiry);
        let mut state = self.loaded_or_panic();
        if let Some(id) = state.stored.take() {
            let user = state.record.user.clone();
            state.retire = Some(Retired {
                id,
                rotated: false,
                user,
            });
        } else if state.retire.is_some() {
            // Rotated, then destroyed: no grace for the old ID either.
            let user = state.record.user.clone();
            if let Some(rotated) = &mut state.retire {
                rotated.rotated = false;
                rotated.user = rotated.user.take().or(user);
            }
        }
        state.record = Arc::new(fresh);
        state.changes = ChangeLog::default();
        state.uncount();
    }

    /// Makes the cookie outlive the browser ("remember me"), or go back to
    /// a browser-session cookie. A persistent cookie expires with the
    /// session: its `Max-Age` follows the idle deadline, within the
    /// absolute one.
    pub fn set_persistent(&self, persistent: bool) {
        let mut state = self.loaded_or_panic();
        if state.record.persistent != persistent {
            state.record_mut().persistent = persistent;
            state.changes.persistent = Some(persistent);
        }
    }

    /// Whether the cookie outlives the browser.
    #[must_use]
    pub fn is_persistent(&self) -> bool {
        self.loaded_or_panic().record.persistent
    }

    /// Gives this session an idle timeout of its own, shorter than the
    /// layer's: an administrator's session, or "sign out after 15 minutes
    /// on a shared computer". It holds from this request on and is kept by
    /// the store, to the second (rounded up); the idle deadline (and a
    /// persistent cookie's `Max-Age`) follows it when the session is
    /// stored.
    ///
    /// ```
    /// # fn on_shared_computer(session: sesh::Session) -> Result<(), sesh::Error> {
    /// use std::{sync::Arc, time::Duration};
    /// session.set_idle_timeout(Duration::from_secs(15 * 60))?;
    /// session.set_absolute_timeout(Duration::from_secs(8 * 60 * 60))?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a zero timeout or one longer than the
    /// layer's: a session never outlives what the layer allows.
    pub fn set_idle_timeout(&self, idle: Duration) -> Result<(), Error> {
        let layer = self.config().expiry.idle();
        check_shorter("set_idle_timeout", idle, layer, "idle_timeout")?;
        // Whole seconds, as every store keeps them.
        let idle = Duration::from_secs(idle.as_secs() + u64::from(idle.subsec_nanos() > 0)).min(layer);
        let mut state = self.loaded()?;
        if state.record.idle_timeout != Some(idle) {
            state.record_mut().idle_timeout = Some(idle);
            state.changes.idle_timeout = Some(idle);
        }
        Ok(())
    }

    /// Gives this session an absolute timeout of its own, counted from its
    /// creation and shorter than the layer's. The absolute deadline only
    /// ever moves earlier: a longer timeout than one set before changes
    /// nothing.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a zero timeout or one longer than the
    /// layer's.
    pub fn set_absolute_timeout(&self, absolute: Duration) -> Result<(), Error> {
        let layer = self.config().expiry.absolute();
        check_shorter("set_absolute_timeout", absolute, layer, "absolute_timeout")?;
        let mut state = self.loaded()?;
        let record = state.record_mut();
        let deadline = record
            .created_at
            .checked_add(absolute)
            .unwrap_or(record.absolute_deadline);
        if deadline < record.absolute_deadline {
            record.absolute_deadline = deadline;
            record.expires_at = record.expires_at.min(deadline);
            state.changes.absolute_deadline = Some(deadline);
        }
        Ok(())
    }

    /// The idle timeout this session lives by: its own, or the layer's.
    #[must_use]
    pub fn idle_timeout(&self) -> Duration {
        let layer = self.config().expiry.idle();
        self.loaded_or_panic()
            .record
            .idle_timeout
            .map_or(layer, |own| own.min(layer))
    }
}

/// Data keys that belong to one session ID: a rotation drops them.
pub(crate) const PER_ID_PREFIX: &str = "sesh.per-id.";

/// Refuses a session's own timeout that is zero or longer than the layer's.
fn check_shorter(setter: &str, timeout: Duration, layer: Duration, layer_setter: &str) -> Result<(), Error> {
    if timeout.is_zero() || timeout > layer {
        return Err(Error::msg(
            ErrorKind::Config,
            format!(
                "{setter}({timeout:?}) must be longer than zero and at most the layer's \
                 {layer_setter} ({layer:?}): a session never outlives what the layer allows"
            ),
        ));
    }
    Ok(())
}
