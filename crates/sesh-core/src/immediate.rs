use std::time::SystemTime;

use crate::{Applied, Changes, Created, Error, Record, StoreKey};

/// The calls of a store that answers at once: it lives in this process
/// and never waits on I/O, a timer or another task, so each call is a
/// plain function call.
///
/// A store offers it through [`SessionStore::immediate`](crate::SessionStore::immediate).
/// The layer then makes these calls in place of the async ones, without
/// boxing the commit and each call's future or wrapping each in a time
/// limit: over the [`MemoryStore`](crate::MemoryStore) that saved 5.5 %
/// of a write's instructions in process (`BENCHMARKS.md`, seventh round).
/// Each method must behave exactly as its async namesake on
/// [`SessionStore`](crate::SessionStore); check both with
/// `sesh-store-tests`' `immediate_suite!` beside its `conformance_suite!`.
///
/// The layer calls these inside its response future's `poll`, on an
/// executor thread, with no time limit: a method must never block for
/// longer than a short lock. Only a store that merges changes atomically
/// under its own lock can offer this: [`apply_now`](Self::apply_now)
/// takes the changes alone, never a merged record to compare-and-swap.
pub trait ImmediateStore: Send + Sync {
    /// As [`SessionStore::load`](crate::SessionStore::load).
    ///
    /// # Errors
    /// Whatever the store cannot do.
    fn load_now(&self, key: &StoreKey) -> Result<Option<Record>, Error>;

    /// As [`SessionStore::create`](crate::SessionStore::create).
    ///
    /// # Errors
    /// Whatever the store cannot do.
    fn create_now(&self, key: &StoreKey, record: &Record) -> Result<Created, Error>;

    /// As [`SessionStore::touch`](crate::SessionStore::touch).
    ///
    /// # Errors
    /// Whatever the store cannot do.
    fn touch_now(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error>;

    /// As [`SessionStore::delete`](crate::SessionStore::delete).
    ///
    /// # Errors
    /// Whatever the store cannot do.
    fn delete_now(&self, key: &StoreKey) -> Result<(), Error>;

    /// As [`SessionStore::apply`](crate::SessionStore::apply): merges
    /// `changes` into the live record under `key`, per key, atomically.
    ///
    /// # Errors
    /// Whatever the store cannot do.
    fn apply_now(&self, key: &StoreKey, changes: &Changes) -> Result<Applied, Error>;
}
