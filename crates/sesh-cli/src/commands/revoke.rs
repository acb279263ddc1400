//! `sesh revoke`: ending a user's sessions (after asking, unless `--yes`)
//! or one session by its store key, and saying how many ended.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use serde_json::json;

use crate::{
    args::{Cli, RevokeArgs},
    fail::{Failure, FailureKind},
    output::{self, Out, safe, store_key},
    target::Target,
};

pub(super) async fn run(cli: &Cli, target: &Target, args: &RevokeArgs, out: Out<'_>) -> Result<(), Failure> {
    let (revoked, whose) = match (&args.user, &args.key) {
        (Some(user), _) => (
            revoke_user(target, user, args.yes).await?,
            format!("of user {:?}", safe(user)),
        ),
        (None, Some(key)) => {
            let key = store_key(key)?;
            let store = &target.store;
            let live = store
                .load(&key)
                .await
                .map_err(|e| Failure::store("reading the session", &e))?
                .is_some();
            if live {
                store
                    .delete(&key)
                    .await
                    .map_err(|e| Failure::store("revoking the session", &e))?;
            }
            (u64::from(live), format!("with store key {}", key.to_hex()))
        }
        (None, None) => return Err(Failure::usage("revoke needs --user or --key")),
    };
    if cli.json {
        return output::json(
            out,
            &json!({ "revoked": revoked, "user": args.user, "key": args.key.as_deref().map(str::trim) }),
        );
    }
    let noun = if revoked == 1 { "session" } else { "sessions" };
    output::line(out, &format!("revoked {revoked} {noun} {whose}"))
}

/// Ends every session of `user`, once confirmed; how many ended.
async fn revoke_user(target: &Target, user: &str, yes: bool) -> Result<u64, Failure> {
    let store = &target.store;
    let live = store
        .user_sessions(user)
        .await
        .map_err(|e| Failure::store("listing the user's sessions", &e))?
        .len();
    if live == 0 {
        return Ok(0);
    }
    if !yes {
        confirm(&format!(
            "Revoke all {live} sessions of user {:?} in {}?",
            safe(user),
            target.shown
        ))?;
    }
    store
        .delete_user_sessions(user, None)
        .await
        .map_err(|e| Failure::store("revoking the user's sessions", &e))
}

/// Asks `question` on the terminal; fails unless the answer is yes.
fn confirm(question: &str) -> Result<(), Failure> {
    let declined = |why: &str| {
        Failure::new(
            FailureKind::Declined,
            format!("{why}: nothing revoked\n  fix: answer y, or pass --yes to revoke without asking"),
        )
    };
    if !std::io::stdin().is_terminal() {
        return Err(declined("not confirmed (stdin is not a terminal to ask on)"));
    }
    let mut err = std::io::stderr().lock();
    // If the question cannot be shown, the answer below decides anyway.
    let _ = write!(err, "{question} [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| declined(&format!("no answer ({e})")))?;
    match answer.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(declined("not confirmed")),
    }
}
