//! `sesh list`: a user's sessions through the store's per-user index, or
//! every session through a scan, printed as they come.

use std::ops::ControlFlow;

use serde_json::json;
use sesh_core::{RecordSummary, StoreKey};

use crate::{
    args::Cli,
    fail::Failure,
    output::{self, Out, safe, time, yes_no},
    scan,
    target::Target,
};

pub(super) async fn run(
    cli: &Cli,
    target: &Target,
    user: Option<&str>,
    limit: Option<u64>,
    out: Out<'_>,
) -> Result<(), Failure> {
    let mut printer = Printer {
        json: cli.json,
        with_user: user.is_none(),
        printed: 0,
        limit: limit.unwrap_or(u64::MAX),
    };
    printer.header(out)?;
    let Some(user) = user else {
        scan::walk(&*target.store, &cli.scan, |page| {
            for (key, summary) in &page.sessions {
                if printer.row(out, key, summary)?.is_break() {
                    return Ok(ControlFlow::Break(()));
                }
            }
            Ok(ControlFlow::Continue(()))
        })
        .await?;
        return printer.footer(out, "sessions in the store");
    };
    let sessions = target
        .store
        .user_sessions(user)
        .await
        .map_err(|e| Failure::store("listing the user's sessions", &e))?;
    for session in &sessions {
        let summary = RecordSummary::of(&session.record);
        if printer.row(out, &session.key, &summary)?.is_break() {
            break;
        }
    }
    printer.footer(out, &format!("sessions of user {:?}", safe(user)))
}

/// Rows as text columns, or JSON lines.
struct Printer {
    json: bool,
    /// Whether rows show their user (every session, not one user's).
    with_user: bool,
    printed: u64,
    limit: u64,
}

impl Printer {
    fn header(&self, out: Out<'_>) -> Result<(), Failure> {
        if self.json {
            return Ok(());
        }
        let user = if self.with_user { "  USER" } else { "" };
        output::line(
            out,
            &format!(
                "{:<64}  {:<20}  {:<20}  {:<10}{user}",
                "STORE KEY", "CREATED", "LAST ACTIVE", "PERSISTENT"
            ),
        )
    }

    fn row(&mut self, out: Out<'_>, key: &StoreKey, s: &RecordSummary) -> Result<ControlFlow<()>, Failure> {
        if self.printed >= self.limit {
            return Ok(ControlFlow::Break(()));
        }
        self.printed += 1;
        if self.json {
            output::json(
                out,
                &json!({
                    "key": key.to_hex(),
                    "user": s.user,
                    "created": time(s.created_at),
                    "last_active": time(s.last_active),
                    "expires": time(s.expires_at.min(s.absolute_deadline)),
                    "persistent": s.persistent,
                    "keys": s.keys,
                    "data_bytes": s.data_bytes,
                }),
            )?;
        } else {
            let user = match (&s.user, self.with_user) {
                (Some(user), true) => format!("  {}", safe(user)),
                (None, true) => "  -".to_owned(),
                (_, false) => String::new(),
            };
            output::line(
                out,
                &format!(
                    "{}  {:<20}  {:<20}  {:<10}{user}",
                    key.to_hex(),
                    time(s.created_at),
                    time(s.last_active),
                    yes_no(s.persistent)
                ),
            )?;
        }
        Ok(if self.printed >= self.limit {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        })
    }

    fn footer(&self, out: Out<'_>, what: &str) -> Result<(), Failure> {
        if self.json {
            return Ok(());
        }
        let limited = if self.printed >= self.limit {
            " (--limit reached)"
        } else {
            ""
        };
        output::line(out, &format!("{} {what}{limited}", self.printed))
    }
}
