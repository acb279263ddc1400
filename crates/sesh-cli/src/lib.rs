//! `sesh`, the admin command for sesh session stores, as a library: the
//! command line ([`Cli`]) and [`run`], which the `sesh` binary calls and
//! tests may call in-process.
//!
//! See the crate's README for the commands and a transcript.

mod args;
mod commands;
mod fail;
mod output;
mod progress;
mod scan;
mod target;

pub use args::{Cli, Command, RevokeArgs, ScanArgs};
pub use commands::run;
pub use fail::{Failure, FailureKind};
