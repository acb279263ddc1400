//! `sesh stats`: live sessions, users with sessions, persistence and sizes,
//! from one full scan.

use std::{collections::HashSet, ops::ControlFlow};

use serde_json::json;
use sesh_core::StoreKey;

use crate::{
    args::Cli,
    fail::Failure,
    output::{self, Out, size},
    scan,
    target::Target,
};

/// What a scan counted.
#[derive(Debug, Default)]
struct Tally {
    sessions: u64,
    users: HashSet<String>,
    bound: u64,
    persistent: u64,
    keys: u64,
    bytes: u64,
    largest: Option<(u64, StoreKey)>,
    undecodable: u64,
}

pub(super) async fn run(cli: &Cli, target: &Target, out: Out<'_>) -> Result<(), Failure> {
    let mut tally = Tally::default();
    let walked = scan::walk(&*target.store, &cli.scan, |page| {
        tally.undecodable += page.undecodable.len() as u64;
        for (key, summary) in page.sessions {
            tally.sessions += 1;
            tally.keys += summary.keys as u64;
            tally.bytes += summary.data_bytes;
            tally.persistent += u64::from(summary.persistent);
            if tally.largest.is_none_or(|(bytes, _)| summary.data_bytes > bytes) {
                tally.largest = Some((summary.data_bytes, key));
            }
            if let Some(user) = summary.user {
                tally.bound += 1;
                tally.users.insert(user);
            }
        }
        Ok(ControlFlow::Continue(()))
    })
    .await?;
    let average = tally.bytes.checked_div(tally.sessions).unwrap_or(0);
    let (largest, largest_key) = tally.largest.map_or((0, None), |(b, k)| (b, Some(k.to_hex())));
    if cli.json {
        return output::json(
            out,
            &json!({
                "store": target.kind.to_string(),
                "sessions": tally.sessions,
                "users": tally.users.len(),
                "bound_sessions": tally.bound,
                "anonymous_sessions": tally.sessions - tally.bound,
                "persistent_sessions": tally.persistent,
                "data_keys": tally.keys,
                "data_bytes": { "total": tally.bytes, "average": average, "largest": largest, "largest_key": largest_key },
                "undecodable": tally.undecodable,
                "pages": walked.pages,
                "seconds": walked.took.as_secs_f64(),
            }),
        );
    }
    let rows = [
        ("store", target.shown.clone()),
        ("live sessions", tally.sessions.to_string()),
        (
            "users",
            format!(
                "{} ({} sessions bound to a user, {} anonymous)",
                tally.users.len(),
                tally.bound,
                tally.sessions - tally.bound
            ),
        ),
        ("persistent", tally.persistent.to_string()),
        (
            "data",
            format!(
                "{} in {} keys; average {} a session, largest {}{}",
                size(tally.bytes),
                tally.keys,
                size(average),
                size(largest),
                largest_key.map(|k| format!(" ({k})")).unwrap_or_default()
            ),
        ),
        ("undecodable", tally.undecodable.to_string()),
        (
            "scanned in",
            format!(
                "{:.2} s ({} {} of up to {} sessions)",
                walked.took.as_secs_f64(),
                walked.pages,
                if walked.pages == 1 { "page" } else { "pages" },
                cli.scan.batch
            ),
        ),
    ];
    for (name, value) in rows {
        output::line(out, &format!("{name:<15} {value}"))?;
    }
    Ok(())
}
