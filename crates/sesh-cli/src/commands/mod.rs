//! The commands, one file each, and `purge-expired`, which is a few lines.

mod inspect;
mod list;
mod revoke;
mod stats;

use std::time::SystemTime;

use serde_json::json;

use crate::{
    args::{Cli, Command},
    fail::Failure,
    output::{self, Out},
    target::{self, Target},
};

/// Opens the store `cli` names and runs its command, writing what it
/// prints to `out` (progress and questions go to stderr).
///
/// # Errors
/// A [`Failure`] saying what went wrong and how to fix it.
pub async fn run(cli: &Cli, out: Out<'_>) -> Result<(), Failure> {
    // A mistyped key is the command line's mistake, told before connecting.
    match &cli.command {
        Command::Inspect { key, .. } => drop(output::store_key(key)?),
        Command::Revoke(args) => drop(args.key.as_deref().map(output::store_key).transpose()?),
        _ => {}
    }
    let target = target::open(cli).await?;
    match &cli.command {
        Command::Stats => stats::run(cli, &target, out).await,
        Command::List { user, limit } => list::run(cli, &target, user.as_deref(), *limit, out).await,
        Command::Revoke(args) => revoke::run(cli, &target, args, out).await,
        Command::PurgeExpired => purge_expired(cli, &target, out).await,
        Command::Inspect { key, values } => inspect::run(cli, &target, key, *values, out).await,
    }
}

async fn purge_expired(cli: &Cli, target: &Target, out: Out<'_>) -> Result<(), Failure> {
    let Some(sweeper) = &target.sweeper else {
        if cli.json {
            return output::json(out, &json!({ "purged": 0, "needed": false }));
        }
        return output::line(
            out,
            &format!(
                "{} expires sessions itself (each key has a TTL): nothing to purge",
                target.kind
            ),
        );
    };
    let purged = sweeper
        .delete_expired(SystemTime::now())
        .await
        .map_err(|e| Failure::store("deleting expired sessions", &e))?;
    if cli.json {
        return output::json(out, &json!({ "purged": purged, "needed": true }));
    }
    let noun = if purged == 1 { "session" } else { "sessions" };
    output::line(
        out,
        &format!("purged {purged} expired {noun} from {}", target.shown),
    )
}
