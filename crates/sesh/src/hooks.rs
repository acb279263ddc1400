//! Lifecycle hooks: async callbacks on a session's created, rotated,
//! login, logout, destroyed and evicted events, for audit logs.
//!
//! A hook runs on a task of its own, spawned after the store write the
//! event describes succeeded, so it never delays or fails the request: a
//! hook that panics is logged, one still running after the layer's
//! [`store_timeout`](crate::SessionLayer::store_timeout) is stopped and
//! logged. Events of a write that failed are not fired.

use std::{fmt, future::Future, pin::Pin, sync::Arc, time::Duration};

use sesh_core::StoreKey;

/// What happened to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A new session was stored (its first write).
    Created,
    /// The session moved to a new ID ([`Session::cycle_id`](crate::Session::cycle_id),
    /// [`Session::login`](crate::Session::login)); the event's key is the new one.
    Rotated,
    /// A user was bound to the session ([`Session::login`](crate::Session::login)
    /// or [`Session::set_user`](crate::Session::set_user)); fired after
    /// `Rotated` when the login rotated.
    Login,
    /// A session bound to a user was destroyed; fired before `Destroyed`.
    Logout,
    /// The session was deleted ([`Session::destroy`](crate::Session::destroy),
    /// or another of the user's sessions by [`Session::end_session`](crate::Session::end_session)).
    /// [`end_other_sessions`](crate::Session::end_other_sessions) and
    /// `end_all_sessions` end many in one store call and fire no event per
    /// session; the `sesh` command, outside the app, fires none.
    Destroyed,
    /// The session was ended to make room under
    /// [`max_sessions_per_user`](crate::SessionLayer::max_sessions_per_user).
    Evicted,
}

impl EventKind {
    /// The event's name in logs and metrics: `created`, `rotated`, ...
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Rotated => "rotated",
            Self::Login => "login",
            Self::Logout => "logout",
            Self::Destroyed => "destroyed",
            Self::Evicted => "evicted",
        }
    }
}

/// One event, as a hook receives it: never the session ID (the store key
/// is a hash of it, the key tools such as the `sesh` command show).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionEvent {
    /// What happened.
    pub kind: EventKind,
    /// The session's store key (for `Rotated`, the new one).
    pub key: StoreKey,
    /// The user the session is bound to, if any.
    pub user: Option<String>,
}

/// A hook, boxed: what [`SessionLayer::on_event`](crate::SessionLayer::on_event) keeps.
pub(crate) type Hook = dyn Fn(SessionEvent) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

/// The hooks a layer was given.
#[derive(Clone, Default)]
pub(crate) struct Hooks(Vec<Arc<Hook>>);

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hooks({})", self.0.len())
    }
}

impl Hooks {
    pub(crate) fn push(&mut self, hook: Arc<Hook>) {
        self.0.push(hook);
    }

    /// Starts every hook on `event`, each on a task bounded by `limit`,
    /// and returns at once. Without a Tokio runtime the event is logged and
    /// dropped.
    pub(crate) fn fire(&self, kind: EventKind, key: StoreKey, user: Option<&str>, limit: Duration) {
        if self.0.is_empty() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(target: "sesh", event = kind.as_str(), "no Tokio runtime to run session hooks on");
            return;
        };
        for hook in &self.0 {
            let event = SessionEvent {
                kind,
                key,
                user: user.map(str::to_owned),
            };
            let running = runtime.spawn(hook(event));
            runtime.spawn(watch(running, kind, key, limit));
        }
    }
}

/// Waits for one hook's task: logs a panic, stops it past `limit`.
async fn watch(running: tokio::task::JoinHandle<()>, kind: EventKind, key: StoreKey, limit: Duration) {
    let abort = running.abort_handle();
    match tokio::time::timeout(limit, running).await {
        Ok(Ok(())) => {}
        Ok(Err(failed)) => {
            let why = if failed.is_panic() {
                "panicked"
            } else {
                "was cancelled"
            };
            tracing::error!(target: "sesh", event = kind.as_str(), session = %key.log_id(), "a session hook {why}");
        }
        Err(_) => {
            abort.abort();
            tracing::error!(
                target: "sesh",
                event = kind.as_str(),
                session = %key.log_id(),
                "a session hook ran past the store limit ({limit:?}) and was stopped"
            );
        }
    }
}
