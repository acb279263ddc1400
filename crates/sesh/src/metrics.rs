//! Metrics through the [`metrics`](https://docs.rs/metrics) facade, with
//! the `metrics` feature: the app installs a recorder (a Prometheus
//! exporter, say) and sesh's counters and histograms appear in it. Without
//! the feature every function here is empty and compiles away.
//!
//! | name | type | labels | counts |
//! |------|------|--------|--------|
//! | `sesh_sessions_created_total` | counter | | new sessions stored |
//! | `sesh_sessions_rotated_total` | counter | | IDs rotated (`cycle_id`, `login`) |
//! | `sesh_sessions_destroyed_total` | counter | | sessions destroyed (`destroy`, logout) |
//! | `sesh_sessions_evicted_total` | counter | | sessions ended by `max_sessions_per_user` |
//! | `sesh_logins_total`, `sesh_logouts_total` | counter | | users bound; bound sessions destroyed |
//! | `sesh_commits_total` | counter | `outcome`: `stored`, `gone`, `failed` | commits of changes to a stored session (`gone`: it ended meanwhile, logout wins) |
//! | `sesh_store_conflicts_total` | counter | | lost version races a compare-and-swap store merged again (SQL; Redis and memory merge in one step and never race) |
//! | `sesh_store_call_duration_seconds` | histogram | `operation`: `load`, `create`, `apply`, `save`, `touch`, `delete`, `user_sessions`, `delete_user_sessions`; `result`: `ok`, `error`, `timeout` | each store call the layer makes, its retries included |
//! | `sesh_refused_values_total` | counter | `reason`: `not_ascii`, `malformed`, `bad_signature`, `undecryptable`, `bad_state`, `surplus` | session cookie or header values refused (`surplus`: past the three a request may offer) |
//! | `sesh_live_sessions` | gauge | | set by [`record_live_sessions`] where a store can count cheaply |

use crate::hooks::EventKind;

/// Counts one lifecycle event.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn event(kind: EventKind) {
    #[cfg(feature = "metrics")]
    {
        let name = match kind {
            EventKind::Created => "sesh_sessions_created_total",
            EventKind::Rotated => "sesh_sessions_rotated_total",
            EventKind::Destroyed => "sesh_sessions_destroyed_total",
            EventKind::Evicted => "sesh_sessions_evicted_total",
            EventKind::Login => "sesh_logins_total",
            EventKind::Logout => "sesh_logouts_total",
        };
        metrics::counter!(name).increment(1);
    }
}

/// How a commit of changes to a stored session ended.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome {
    Stored,
    Gone,
    Failed,
}

/// Counts one commit of changes to a stored session.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn commit(outcome: Outcome) {
    #[cfg(feature = "metrics")]
    {
        let outcome = match outcome {
            Outcome::Stored => "stored",
            Outcome::Gone => "gone",
            Outcome::Failed => "failed",
        };
        metrics::counter!("sesh_commits_total", "outcome" => outcome).increment(1);
    }
}

/// When a store call started. Without the feature it holds nothing, so no
/// store call reads the clock for a histogram nobody keeps.
pub(crate) struct Started {
    #[cfg(feature = "metrics")]
    at: std::time::Instant,
}

impl Started {
    pub(crate) fn now() -> Self {
        Self {
            #[cfg(feature = "metrics")]
            at: std::time::Instant::now(),
        }
    }
}

/// Records one store call's duration (since `started`) and result.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn store_call(operation: &'static str, started: &Started, result: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::histogram!(
        "sesh_store_call_duration_seconds",
        "operation" => operation,
        "result" => result
    )
    .record(started.at.elapsed());
}

/// Counts `count` refused session values of one `reason`.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn refused(reason: &'static str, count: usize) {
    #[cfg(feature = "metrics")]
    metrics::counter!("sesh_refused_values_total", "reason" => reason).increment(count as u64);
}

/// Sets the `sesh_live_sessions` gauge to `count`: call it from a metrics
/// endpoint (or a timer) with a count the store gives cheaply.
///
/// ```
/// let store = sesh::MemoryStore::new();
/// sesh::metrics::record_live_sessions(store.len() as u64);
/// ```
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub fn record_live_sessions(count: u64) {
    #[cfg(feature = "metrics")]
    #[allow(clippy::cast_precision_loss)] // a gauge is an f64; session counts stay far below 2^52
    metrics::gauge!("sesh_live_sessions").set(count as f64);
}
