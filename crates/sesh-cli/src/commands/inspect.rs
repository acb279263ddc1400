//! `sesh inspect --key K`: one session's fields, its data keys and their
//! sizes; the values only with `--values`.

use serde_json::{Map, Value, json};
use sesh_core::{Record, json_len};

use crate::{
    args::Cli,
    fail::{Failure, FailureKind},
    output::{self, Out, safe, size, store_key, time, yes_no},
    target::Target,
};

pub(super) async fn run(
    cli: &Cli,
    target: &Target,
    key: &str,
    values: bool,
    out: Out<'_>,
) -> Result<(), Failure> {
    let key = store_key(key)?;
    let record = target
        .store
        .load(&key)
        .await
        .map_err(|e| Failure::store("reading the session", &e))?
        .ok_or_else(|| {
            Failure::new(
                FailureKind::NotFound,
                format!(
                    "no live session has store key {}: it may have ended (expired, logged out, revoked)\n  \
                     fix: find live keys with `sesh list --user <user>` or `sesh list`",
                    key.to_hex()
                ),
            )
        })?;
    if cli.json {
        return output::json(out, &as_json(&key.to_hex(), &record, values));
    }
    let idle = record
        .idle_timeout
        .map_or_else(|| "the app's".to_owned(), |d| format!("{} s", d.as_secs()));
    let fields = [
        ("store key", key.to_hex()),
        (
            "user",
            record.user.as_deref().map_or_else(|| "-".to_owned(), safe),
        ),
        ("created", time(record.created_at)),
        ("last active", time(record.last_active)),
        ("idle deadline", time(record.expires_at)),
        ("absolute", time(record.absolute_deadline)),
        ("idle timeout", idle),
        ("persistent", yes_no(record.persistent).to_owned()),
        ("version", record.version.to_string()),
        ("data", format!("{} keys", record.data.len())),
    ];
    for (name, value) in fields {
        output::line(out, &format!("{name:<14} {value}"))?;
    }
    let width = record
        .data
        .keys()
        .map(|k| safe(k).chars().count())
        .max()
        .unwrap_or(0)
        .max(3);
    let head = if values { "  VALUE" } else { "" };
    output::line(out, &format!("  {:<width$}  {:>10}{head}", "KEY", "SIZE"))?;
    for (name, value) in &record.data {
        let shown = if values {
            format!("  {value}")
        } else {
            String::new()
        };
        output::line(
            out,
            &format!("  {:<width$}  {:>10}{shown}", safe(name), size(json_len(value))),
        )?;
    }
    if !values && !record.data.is_empty() {
        output::line(
            out,
            "values hidden: add --values to show them (they may be secrets)",
        )?;
    }
    Ok(())
}

fn as_json(key: &str, record: &Record, values: bool) -> Value {
    let data: Map<String, Value> = record
        .data
        .iter()
        .map(|(name, value)| {
            let mut entry = json!({ "bytes": json_len(value) });
            if values {
                entry["value"] = value.clone();
            }
            ((*name).to_owned(), entry)
        })
        .collect();
    json!({
        "key": key,
        "user": record.user,
        "created": time(record.created_at),
        "last_active": time(record.last_active),
        "idle_deadline": time(record.expires_at),
        "absolute_deadline": time(record.absolute_deadline),
        "idle_timeout_seconds": record.idle_timeout.map(|d| d.as_secs()),
        "persistent": record.persistent,
        "version": record.version,
        "data": data,
    })
}
