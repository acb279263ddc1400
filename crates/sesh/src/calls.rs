//! The store calls a commit makes, written once for both kinds of store:
//! awaited, each within its time limit, on a store that goes through
//! futures; answered on the spot by an [`ImmediateStore`].

use std::{
    future::{Future, ready},
    pin::pin,
    task::{Context, Poll, Waker},
    time::SystemTime,
};

use sesh_core::{Applied, Changes, Created, Error, ImmediateStore, Record, StoreKey};

/// One store's calls, as futures.
pub(crate) trait Calls: Sync {
    fn create<'a>(
        &'a self,
        key: &'a StoreKey,
        record: &'a Record,
    ) -> impl Future<Output = Result<Created, Error>> + Send + 'a;

    fn touch<'a>(
        &'a self,
        key: &'a StoreKey,
        expires_at: SystemTime,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'a;

    fn delete<'a>(&'a self, key: &'a StoreKey) -> impl Future<Output = Result<(), Error>> + Send + 'a;

    fn apply<'a>(
        &'a self,
        key: &'a StoreKey,
        merged: Record,
        changes: &'a Changes,
    ) -> impl Future<Output = Result<Applied, Error>> + Send + 'a;
}

/// An immediate store's calls, each a [`ready`] future: the call is made
/// before the future is returned.
pub(crate) struct Now<'s>(pub(crate) &'s dyn ImmediateStore);

impl Calls for Now<'_> {
    fn create<'a>(
        &'a self,
        key: &'a StoreKey,
        record: &'a Record,
    ) -> impl Future<Output = Result<Created, Error>> + Send + 'a {
        ready(self.0.create_now(key, record))
    }

    fn touch<'a>(
        &'a self,
        key: &'a StoreKey,
        expires_at: SystemTime,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'a {
        ready(self.0.touch_now(key, expires_at))
    }

    fn delete<'a>(&'a self, key: &'a StoreKey) -> impl Future<Output = Result<(), Error>> + Send + 'a {
        ready(self.0.delete_now(key))
    }

    fn apply<'a>(
        &'a self,
        key: &'a StoreKey,
        _merged: Record,
        changes: &'a Changes,
    ) -> impl Future<Output = Result<Applied, Error>> + Send + 'a {
        ready(self.0.apply_now(key, changes))
    }
}

/// Runs `work` to its end in one poll, on the stack: for work whose only
/// awaits are on [`Now`]'s ready futures, which therefore never waits and
/// needs neither a box nor a waker.
pub(crate) fn at_once<T>(work: impl Future<Output = T>) -> T {
    match pin!(work).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(done) => done,
        Poll::Pending => unreachable!("work over an immediate store awaited something that was not ready"),
    }
}
