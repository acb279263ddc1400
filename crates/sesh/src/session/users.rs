//! Binding a session to a user, and the per-user session index as seen
//! from a request: list, end one, end the others, end all, limits.

use sesh_core::{Error, ErrorKind, SessionStore as _, StoreKey, UserIndex, UserSession};

use crate::{
    Session,
    config::{LimitPolicy, SessionLimit},
};

impl Session {
    /// The user this session is bound to, if any.
    #[must_use]
    pub fn user(&self) -> Option<String> {
        self.loaded_or_panic().record.user.clone()
    }

    /// Binds the session to `user` (or unbinds it with `None`) without
    /// rotating its ID or checking any limit: prefer [`login`](Self::login).
    /// [`destroy`](Self::destroy) and [`clear`](Self::clear) unbind too.
    pub fn set_user(&self, user: Option<&str>) {
        let mut state = self.loaded_or_panic();
        if state.record.user.as_deref() != user {
            state.record_mut().user = user.map(str::to_owned);
            state.changes.user = Some(state.record.user.clone());
        }
    }

    /// Logs `user` in: rotates the session ID (defeating session fixation),
    /// binds the session to `user` and enforces the layer's session limit.
    ///
    /// # Errors
    /// [`ErrorKind::SessionLimit`] when the user is at the limit and the
    /// policy is [`LimitPolicy::RefuseNew`] (the session is left as it
    /// was); [`ErrorKind::Unsupported`] when a limit is set but the store
    /// keeps no user index; a store error while enforcing the limit.
    pub async fn login(&self, user: &str) -> Result<(), Error> {
        self.ensure_loaded()?;
        if let Some(limit) = self.config().session_limit {
            self.make_room(user, limit).await?;
        }
        self.cycle_id();
        self.set_user(Some(user));
        Ok(())
    }

    async fn make_room(&self, user: &str, limit: SessionLimit) -> Result<(), Error> {
        let index = self.index()?;
        let current = self.current_key();
        let others: Vec<UserSession> = index
            .user_sessions(user)
            .await?
            .into_iter()
            .filter(|s| Some(s.key) != current)
            .collect();
        // This login adds one session: at most `max - 1` others may stay.
        let excess = (others.len() + 1).saturating_sub(limit.max.max(1));
        if excess == 0 {
            return Ok(());
        }
        match limit.policy {
            LimitPolicy::RefuseNew => Err(Error::msg(
                ErrorKind::SessionLimit,
                format!(
                    "the user already has {} sessions (limit {})",
                    others.len(),
                    limit.max
                ),
            )),
            LimitPolicy::EvictOldest => {
                for old in &others[..excess] {
                    index.delete(&old.key).await?;
                    self.fire(crate::hooks::EventKind::Evicted, old.key, Some(user));
                }
                tracing::info!(
                    event = "evicted",
                    evicted = excess,
                    "session limit reached; oldest sessions ended"
                );
                Ok(())
            }
        }
    }

    /// The live sessions of this session's user, oldest first (empty when
    /// no user is bound). Compare [`UserSession::key`] with
    /// [`current_key`](Self::current_key) to mark this one.
    ///
    /// # Errors
    /// [`ErrorKind::Unsupported`] for a store without a user index, or a
    /// store error.
    pub async fn user_sessions(&self) -> Result<Vec<UserSession>, Error> {
        self.ensure_loaded()?;
        let Some(user) = self.user() else {
            return Ok(Vec::new());
        };
        self.index()?.user_sessions(&user).await
    }

    /// The store key (a hash of the ID) of this session as stored now;
    /// `None` for a session not stored yet, or being rotated or destroyed.
    #[must_use]
    pub fn current_key(&self) -> Option<StoreKey> {
        self.loaded_or_panic()
            .stored
            .as_ref()
            .map(sesh_core::SessionId::key)
    }

    /// Ends the user's session stored under `key` ("sign out that
    /// device"); returns whether there was such a session of this user.
    /// Ending the current session this way destroys it.
    ///
    /// # Errors
    /// As [`user_sessions`](Self::user_sessions).
    pub async fn end_session(&self, key: &StoreKey) -> Result<bool, Error> {
        self.ensure_loaded()?;
        let owned = self.user_sessions().await?.iter().any(|s| s.key == *key);
        if owned {
            if self.current_key() == Some(*key) {
                self.destroy();
            } else {
                self.index()?.delete(key).await?;
                let user = self.user();
                self.fire(crate::hooks::EventKind::Destroyed, *key, user.as_deref());
            }
        }
        Ok(owned)
    }

    /// Ends every session of this session's user except this one ("log out
    /// other devices"); returns how many ended. Other users are untouched.
    /// The store ends them in one call, so hooks get no event per session.
    ///
    /// # Errors
    /// As [`user_sessions`](Self::user_sessions).
    pub async fn end_other_sessions(&self) -> Result<u64, Error> {
        self.ensure_loaded()?;
        let Some(user) = self.user() else { return Ok(0) };
        let keep = self.current_key();
        self.index()?.delete_user_sessions(&user, keep.as_ref()).await
    }

    /// Ends every session of this session's user, this one included ("log
    /// out everywhere", after a password change); returns how many ended.
    ///
    /// # Errors
    /// As [`user_sessions`](Self::user_sessions).
    pub async fn end_all_sessions(&self) -> Result<u64, Error> {
        self.ensure_loaded()?;
        let Some(user) = self.user() else { return Ok(0) };
        let ended = self.index()?.delete_user_sessions(&user, None).await?;
        self.destroy();
        Ok(ended)
    }

    fn index(&self) -> Result<&dyn UserIndex, Error> {
        self.config().store.user_index().ok_or_else(|| {
            Error::msg(
                ErrorKind::Unsupported,
                "the session store keeps no per-user index; use a store that implements \
                 sesh::UserIndex (every sesh store does)",
            )
        })
    }
}
