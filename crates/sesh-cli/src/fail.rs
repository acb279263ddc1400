//! [`Failure`]: why a command did not do what it was asked, with the fix,
//! and the exit status that goes with it. A leaf: no other module here.

use std::{error::Error as StdError, fmt};

use sesh_core::ErrorKind;

/// What kind of failure: the exit status follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The command line is wrong: a malformed URL, store key or option.
    /// Exit status 2, as for clap's own usage errors.
    Usage,
    /// The store could not be reached, or did not answer in time.
    Unreachable,
    /// The store answered with an error, or refused the request.
    Store,
    /// What the command names is not there (no live session under a key).
    NotFound,
    /// A mass revoke was not confirmed: nothing was changed.
    Declined,
    /// The output was closed before everything was written (`sesh list |
    /// head`): not a failure to report.
    OutputClosed,
}

/// Why a command failed, in words that say how to fix it. Opaque: match on
/// its [`kind`](Self::kind).
#[derive(Debug)]
pub struct Failure {
    kind: FailureKind,
    message: String,
}

impl Failure {
    /// A failure of `kind` with a message for people.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A usage failure: the command line is wrong.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(FailureKind::Usage, message)
    }

    /// A store's error while `doing` something, with its causes and the fix
    /// its kind suggests. Store errors never carry a stored value or a
    /// session ID, so the causes may be shown.
    pub fn store(doing: &str, error: &sesh_core::Error) -> Self {
        let (kind, fix) = match error.kind() {
            ErrorKind::Timeout => (
                FailureKind::Unreachable,
                "the store did not answer in time: check that it is up and not overloaded, then try again",
            ),
            ErrorKind::Store => (
                FailureKind::Unreachable,
                "check that the store is running and reachable from here, and the URL's host and port",
            ),
            ErrorKind::StoreRefused => (
                FailureKind::Store,
                "the store refused the request for good: check the credentials and database in the URL, \
                 and --table (the app creates its table with migrate())",
            ),
            ErrorKind::Config => (FailureKind::Usage, "check the options named above"),
            ErrorKind::Decode => (
                FailureKind::Store,
                "the record is corrupt or was written by a newer sesh: upgrade this command to the app's version",
            ),
            _ => (FailureKind::Store, "see the cause above"),
        };
        Self::new(kind, format!("{doing}: {}\n  fix: {fix}", chain(error)))
    }

    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// The process's exit status: 2 for usage errors, 0 for an output
    /// closed early (as `head` does), 1 otherwise.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self.kind {
            FailureKind::Usage => 2,
            FailureKind::OutputClosed => 0,
            _ => 1,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Failure {}

/// An error and its causes, `: `-separated.
pub(crate) fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let shown = e.to_string();
        if !text.ends_with(&shown) {
            text = format!("{text}: {shown}");
        }
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_failures_carry_their_cause_and_a_fix() {
        let cause = std::io::Error::other("connection refused");
        let failure = Failure::store("reading sessions", &sesh_core::Error::store(cause));
        assert_eq!(failure.kind(), FailureKind::Unreachable);
        assert_eq!(failure.exit_code(), 1);
        let shown = failure.to_string();
        assert!(
            shown.contains("connection refused") && shown.contains("fix:"),
            "{shown}"
        );
        assert_eq!(Failure::usage("bad").exit_code(), 2);
    }
}
