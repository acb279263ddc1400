use std::time::{Duration, SystemTime};

use sesh_core::SweepExpired;
use tokio::task::JoinHandle;

/// Deletes expired sessions from `store` every `period`, forever; abort the
/// returned handle to stop. SQL has no native expiry: without a sweeper,
/// expired rows are never returned but stay on disk.
///
/// A failed sweep is logged and retried next period rather than ending the
/// task, so a database restart does not stop sweeping for good.
///
/// # Panics
/// If called outside a Tokio runtime.
pub fn spawn_sweeper<S: SweepExpired + Clone>(store: S, period: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match store.delete_expired(SystemTime::now()).await {
                Ok(n) => tracing::debug!(deleted = n, "swept expired sessions"),
                Err(error) => tracing::warn!(%error, "sweeping expired sessions failed"),
            }
        }
    })
}
