//! How things are shown: times, sizes, store keys, text that may hold
//! control characters, and writing to the output.

use std::{io::Write, time::SystemTime};

use sesh_core::StoreKey;

use crate::fail::{Failure, FailureKind};

/// Where a command writes what it prints (stdout, or a buffer in tests).
pub(crate) type Out<'a> = &'a mut (dyn Write + Send);

/// Writes `text`, without trailing spaces, and a newline to `out`.
///
/// # Errors
/// When the output cannot be written (a closed pipe).
pub(crate) fn line(out: Out<'_>, text: &str) -> Result<(), Failure> {
    writeln!(out, "{}", text.trim_end()).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::BrokenPipe {
            FailureKind::OutputClosed
        } else {
            FailureKind::Store
        };
        Failure::new(kind, format!("cannot write the output: {e}"))
    })
}

/// Writes `value` as one line of JSON.
///
/// # Errors
/// As [`line`].
pub(crate) fn json(out: Out<'_>, value: &serde_json::Value) -> Result<(), Failure> {
    line(out, &value.to_string())
}

/// A time as RFC 3339 in UTC, to the second.
#[must_use]
pub(crate) fn time(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Bytes in a unit people read: `512 B`, `1.5 KiB`, `3.0 MiB`.
#[must_use]
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    // Display only: the precision a float loses past 2^53 bytes is never shown.
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

/// `yes` or `no`.
#[must_use]
pub(crate) fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// A name as text safe for a terminal: control characters escaped.
#[must_use]
pub(crate) fn safe(text: &str) -> String {
    if text.chars().any(char::is_control) {
        text.escape_debug().to_string()
    } else {
        text.to_owned()
    }
}

/// The store key given on the command line.
///
/// # Errors
/// A usage failure for anything but 64 hex digits.
pub(crate) fn store_key(text: &str) -> Result<StoreKey, Failure> {
    StoreKey::from_hex(&text.trim().to_ascii_lowercase()).ok_or_else(|| {
        Failure::usage(format!(
            "{:?} is not a store key: expected 64 hex digits, as `sesh list` prints them \
             (a session ID, the cookie's value, is not one: stores never see it)",
            // Never echo what may be a session ID in full.
            text.chars().take(8).collect::<String>() + "…"
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn sizes_and_times_read_well() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(3 << 20), "3.0 MiB");
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(time(t), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn store_keys_are_checked_and_ids_never_echoed() {
        let key = sesh_core::SessionId::generate().key();
        assert_eq!(store_key(&key.to_hex().to_uppercase()).ok(), Some(key));
        let id = sesh_core::SessionId::generate().encode();
        let failure = store_key(&id).expect_err("an ID is not a key");
        assert!(!failure.to_string().contains(&id[8..]), "{failure}");
        assert_eq!(safe("a\nb"), "a\\nb");
    }
}
