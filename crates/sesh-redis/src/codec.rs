//! The stored value: `VERSION ABSOLUTE RECORD`, where the first two are
//! zero-padded 20-digit decimals. The Lua scripts read them with `GETRANGE`
//! and plain string comparison, so they never parse the record's JSON.

use std::time::SystemTime;

use sesh_core::{Error, ErrorKind, Record, from_unix_millis, unix_millis};

/// Digits of one header field: enough for `u64::MAX`.
pub(crate) const FIELD_LEN: usize = 20;
const HEADER_LEN: usize = 2 * FIELD_LEN;

/// The header form of a version, as the save script compares it.
pub(crate) fn version_field(version: u64) -> String {
    format!("{version:0FIELD_LEN$}")
}

/// The bytes stored for `record`.
pub(crate) fn encode(record: &Record) -> Result<Vec<u8>, Error> {
    let body = record.encode()?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(version_field(record.version).as_bytes());
    out.extend_from_slice(version_field(unix_millis(record.absolute_deadline)).as_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// Decodes stored bytes; `expires_at` comes from the key's TTL, which
/// `touch` moves without rewriting the value.
pub(crate) fn decode(bytes: &[u8], expires_at: SystemTime) -> Result<Record, Error> {
    let (header, body) = bytes
        .split_at_checked(HEADER_LEN)
        .ok_or_else(|| Error::msg(ErrorKind::Decode, "stored session is shorter than its header"))?;
    let version = field(&header[..FIELD_LEN])?;
    let mut record = Record::decode(body)?;
    if record.version != version {
        return Err(Error::msg(
            ErrorKind::Decode,
            "stored session's header and record disagree on the version",
        ));
    }
    record.expires_at = expires_at;
    Ok(record)
}

fn field(digits: &[u8]) -> Result<u64, Error> {
    let text = std::str::from_utf8(digits).map_err(Error::decode)?;
    text.parse().map_err(Error::decode)
}

/// A deadline in Unix milliseconds, as `PXAT`/`PEXPIREAT` take it. Redis
/// rejects 0, so a deadline at or before the epoch becomes 1 ms (long past).
pub(crate) fn deadline_millis(t: SystemTime) -> u64 {
    unix_millis(t).max(1)
}

/// When Redis will drop a key holding `record`.
pub(crate) fn ttl_deadline(record: &Record) -> u64 {
    deadline_millis(record.expires_at.min(record.absolute_deadline))
}

/// The inverse of [`deadline_millis`] for a `PEXPIRETIME` reply.
pub(crate) fn from_deadline(ms: u64) -> SystemTime {
    from_unix_millis(ms)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sesh_core::Expiry;

    use super::*;

    fn record() -> Record {
        let now = from_unix_millis(1_700_000_000_000);
        let mut r = Record::new(now, &Expiry::new());
        r.version = 42;
        r
    }

    #[test]
    fn round_trips_with_the_ttl_deadline() {
        let r = record();
        let bytes = encode(&r).expect("encode");
        assert!(bytes.starts_with(b"00000000000000000042"));
        let later = r.expires_at + Duration::from_secs(5);
        let got = decode(&bytes, later).expect("decode");
        assert_eq!(got.expires_at, later);
        assert_eq!(got.version, 42);
        assert_eq!(got.data, r.data);
    }

    #[test]
    fn corrupt_values_are_decode_errors() {
        let good = encode(&record()).expect("encode");
        let mut wrong_version = good.clone();
        wrong_version[19] = b'3';
        let mut not_digits = good.clone();
        not_digits[0] = b'x';
        let cases: [&[u8]; 5] = [
            b"",
            b"short",
            &good[..HEADER_LEN + 3],
            &wrong_version,
            &not_digits,
        ];
        for bytes in cases {
            let e = decode(bytes, SystemTime::now()).expect_err("corrupt");
            assert_eq!(e.kind(), ErrorKind::Decode);
        }
    }
}
