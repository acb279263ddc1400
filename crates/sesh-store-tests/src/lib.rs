//! The conformance suite every sesh [`SessionStore`] runs, and the checks
//! of the optional per-user index ([`user_index_suite!`]) and scanning
//! ([`inspect_suite!`]).
//!
//! Each check is a public async function taking a fresh store; the
//! [`conformance_suite!`] macro turns them all into `#[tokio::test]`s, one
//! per promise of the trait, so a failure names the broken promise:
//!
//! ```ignore
//! // in tests/conformance.rs of a store crate (needs tokio with "macros"
//! // and "rt-multi-thread" as a dev-dependency)
//! sesh_store_tests::conformance_suite!(async { my_store::MyStore::connect("...").await.unwrap() });
//! ```
//!
//! The checks use random keys, so they can share one database with other
//! runs; timing checks wait at most about a second of real time.
//!
//! # Panics
//! Every check panics, naming the broken promise, when the store breaks it:
//! that is how a test fails.

// Documented once above rather than on each check.
#![allow(clippy::missing_panics_doc)]

// The README's example, compiled with the doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod checks;
mod index_checks;
mod inspect_checks;
mod update_checks;

pub use checks::*;
pub use index_checks::*;
pub use inspect_checks::*;
pub use update_checks::*;

use std::future::Future;

use sesh_core::SessionStore;

/// Runs every check of [`conformance_suite!`] in turn, each on a fresh
/// store from `store`: for a doc example or a quick check, where one test
/// is enough. Prefer the macro in a test suite: its failures name the
/// broken promise's test.
///
/// Needs a multi-threaded Tokio runtime (the concurrency checks spawn).
pub async fn check_store<S, F, Fut>(mut store: F)
where
    S: SessionStore,
    F: FnMut() -> Fut,
    Fut: Future<Output = S>,
{
    load_missing_is_none(store().await).await;
    create_then_load(store().await).await;
    create_collides_with_live_record(store().await).await;
    create_replaces_expired_record(store().await).await;
    save_is_compare_and_swap(store().await).await;
    save_never_inserts(store().await).await;
    touch_extends_without_rewriting(store().await).await;
    touch_never_resurrects(store().await).await;
    delete_is_idempotent(store().await).await;
    logout_wins_over_in_flight_apply(store().await).await;
    expired_record_is_never_loaded(store().await).await;
    large_values_round_trip(store().await).await;
    unicode_keys_round_trip(store().await).await;
    concurrent_creates_one_wins(store().await).await;
    concurrent_applies_lose_nothing(store().await).await;
    same_key_race_keeps_one_value(store().await).await;
    default_apply_merges_after_conflicts(store().await).await;
    concurrent_updates_lose_nothing(store().await).await;
    updates_run_on_the_stored_value(store().await).await;
    session_timeouts_are_kept(store().await).await;
}

/// Expands to one `#[tokio::test]` per conformance check, each given a
/// store from `$factory` (an expression evaluating to a future of a store).
///
/// For stores that need a server, `conformance_suite!(server: $factory)`
/// takes a future of `Option<Store>` instead; `None` (see
/// [`server_unreachable`]) makes every test return without checking.
#[macro_export]
macro_rules! conformance_suite {
    (server: $factory:expr) => {
        $crate::conformance_suite!(@list [server] $factory);
    };
    ($factory:expr) => {
        $crate::conformance_suite!(@list [local] $factory);
    };
    (@list [$mode:ident] $factory:expr) => {
        $crate::conformance_suite!(@tests [$mode] $factory;
            load_missing_is_none, create_then_load, create_collides_with_live_record,
            create_replaces_expired_record, save_is_compare_and_swap, save_never_inserts,
            touch_extends_without_rewriting, touch_never_resurrects, delete_is_idempotent,
            logout_wins_over_in_flight_apply, expired_record_is_never_loaded,
            large_values_round_trip, unicode_keys_round_trip, concurrent_creates_one_wins,
            concurrent_applies_lose_nothing, same_key_race_keeps_one_value,
            default_apply_merges_after_conflicts, concurrent_updates_lose_nothing,
            updates_run_on_the_stored_value, session_timeouts_are_kept,
        );
    };
    (@tests [local] $factory:expr; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let store = $factory.await;
                $crate::$check(store).await;
            }
        )+
    };
    (@tests [server] $factory:expr; $($check:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let Some(store) = $factory.await else { return };
                $crate::$check(store).await;
            }
        )+
    };
}

/// Expands to one `#[tokio::test]` per check of the per-user index
/// ([`UserIndex`](sesh_core::UserIndex)), in the same two modes as
/// [`conformance_suite!`]. Invoke it in a module of its own, beside
/// `conformance_suite!`, so test names stay unique.
#[macro_export]
macro_rules! user_index_suite {
    (server: $factory:expr) => {
        $crate::user_index_suite!(@list [server] $factory);
    };
    ($factory:expr) => {
        $crate::user_index_suite!(@list [local] $factory);
    };
    (@list [$mode:ident] $factory:expr) => {
        $crate::conformance_suite!(@tests [$mode] $factory;
            index_is_offered, index_lists_a_users_sessions, index_follows_user_binding,
            index_forgets_deleted_sessions, index_forgets_expired_sessions,
            index_sees_touched_deadline, delete_user_sessions_keeps_one,
            delete_user_sessions_ends_all, delete_user_sessions_spares_foreign_keep,
            concurrent_logins_are_all_listed, index_survives_data_writes,
        );
    };
}

/// Expands to one `#[tokio::test]` per check of scanning
/// ([`Inspect`](sesh_core::Inspect)), in the same two modes as
/// [`conformance_suite!`]. Invoke it in a module of its own, beside
/// `conformance_suite!`, so test names stay unique.
#[macro_export]
macro_rules! inspect_suite {
    (server: $factory:expr) => {
        $crate::inspect_suite!(@list [server] $factory);
    };
    ($factory:expr) => {
        $crate::inspect_suite!(@list [local] $factory);
    };
    (@list [$mode:ident] $factory:expr) => {
        $crate::conformance_suite!(@tests [$mode] $factory;
            scan_returns_every_live_session, scan_refuses_a_foreign_cursor, count_answers,
        );
    };
}

/// The environment variable that turns an unreachable server from a skip
/// into a failure (set it in CI, where the servers must be there).
pub const REQUIRE_SERVERS_ENV: &str = "SESH_REQUIRE_SERVERS";

/// Reports that a store's test server at `url` could not be reached:
/// prints a notice and returns, so the caller can skip its checks, unless
/// `SESH_REQUIRE_SERVERS=1`, where it panics so the test fails.
///
/// # Panics
/// When `SESH_REQUIRE_SERVERS=1`.
pub fn server_unreachable(store: &str, url: &str, error: &(dyn std::error::Error + 'static)) {
    // Drivers' messages are in the causes: show the whole chain.
    let mut reason = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        reason = format!("{reason}: {e}");
        cause = e.source();
    }
    if std::env::var(REQUIRE_SERVERS_ENV).is_ok_and(|v| v == "1") {
        panic!("{store} server at {url} is unreachable ({reason}) and {REQUIRE_SERVERS_ENV}=1");
    }
    eprintln!(
        "skipping {store} suite: {url} unreachable; set {REQUIRE_SERVERS_ENV}=1 to fail instead ({reason})"
    );
}
