//! The stored form: one hash per session. The record's header is packed
//! into one field, [`META`]; each data key is a field of its own,
//! `d:<key>`, holding that value's JSON, so `apply` can set and remove
//! single keys in place while other keys stay as other requests left them.
//! A bound user is the field [`USER`], so the delete scripts can read it.
//!
//! The header is one field rather than six because every read parses the
//! `HGETALL` reply value by value: a one-key session is 4 values, not 16.
//! A hash without a readable packed header is not a session this store can
//! read: decoding it is an [`ErrorKind::Decode`] error, which the layer
//! treats as no session.

use std::time::SystemTime;

use redis::Value as Reply;
use sesh_core::{Changes, Error, ErrorKind, Record, SessionData, from_unix_millis, unix_millis};

use crate::scripts;

/// This layout's version: the first part of [`META`].
pub(crate) const LAYOUT_VERSION: &str = "2";

/// The packed header, ASCII:
/// `2:<version>:<absolute>:<expires>:<created>:<active>:<persistent>`,
/// times in Unix milliseconds, `<expires>` being when Redis drops the key
/// (its `PEXPIREAT` deadline) and `<persistent>` `0` or `1`. The scripts
/// parse it with Lua patterns; keep the two in step.
const META: &[u8] = b"m";
const USER: &str = "user";
/// The session's own idle timeout, decimal milliseconds; absent for the
/// layer's. Only whole-record writes (create, save) set it; the scripts
/// leave it as it is.
const IDLE: &[u8] = b"i";
/// The prefix of data fields; no header field starts with it.
const DATA: &[u8] = b"d:";

/// The hash field holding data key `key`.
pub(crate) fn data_field(key: &str) -> Vec<u8> {
    [DATA, key.as_bytes()].concat()
}

/// `record`'s packed header (see [`META`]).
fn meta(record: &Record) -> Vec<u8> {
    let mut out = String::with_capacity(80);
    out.push_str(LAYOUT_VERSION);
    let mut number = |n: u64| {
        out.push(':');
        out.push_str(itoa::Buffer::new().format(n));
    };
    number(record.version);
    number(unix_millis(record.absolute_deadline));
    number(ttl_deadline(record));
    number(unix_millis(record.created_at));
    number(unix_millis(record.last_active));
    number(u64::from(record.persistent));
    out.into_bytes()
}

/// `record` as a flat `field, value, field, value...` list.
pub(crate) fn fields(record: &Record) -> Result<Vec<Vec<u8>>, Error> {
    let mut out = Vec::with_capacity(2 * (2 + record.data.len()));
    out.push(META.to_vec());
    out.push(meta(record));
    if let Some(user) = &record.user {
        out.push(USER.as_bytes().to_vec());
        out.push(user.clone().into_bytes());
    }
    if let Some(idle) = record.idle_timeout {
        out.push(IDLE.to_vec());
        let millis = u64::try_from(idle.as_millis()).unwrap_or(u64::MAX);
        out.push(itoa::Buffer::new().format(millis).as_bytes().to_vec());
    }
    for (key, value) in &record.data {
        out.push(data_field(key));
        out.push(serde_json::to_vec(value)?);
    }
    Ok(out)
}

/// Decodes an `HGETALL` reply; `None` if it is empty (no such key).
pub(crate) fn decode(reply: Reply) -> Result<Option<Record>, Error> {
    let pairs = match &reply {
        Reply::Array(flat) => flat.len() / 2,
        Reply::Map(pairs) => pairs.len(),
        _ => 0,
    };
    let mut header = Header::default();
    // Pairs gathered first and sorted once, not inserted one by one.
    let mut data = Vec::with_capacity(pairs.saturating_sub(1));
    let mut put = |field: Reply, value: Reply| -> Result<(), Error> {
        let (mut field, value) = (bytes(field)?, bytes(value)?);
        if field.starts_with(DATA) {
            // In place: the key's bytes move to the front, no copy.
            field.drain(..DATA.len());
            let key = String::from_utf8(field).map_err(Error::decode)?;
            data.push((key, serde_json::from_slice(&value).map_err(Error::decode)?));
            Ok(())
        } else {
            header.set(&field, value)
        }
    };
    match reply {
        // RESP2: field, value, field, value...
        Reply::Array(flat) if flat.is_empty() => return Ok(None),
        Reply::Array(flat) => {
            let mut items = flat.into_iter();
            while let (Some(field), Some(value)) = (items.next(), items.next()) {
                put(field, value)?;
            }
        }
        // RESP3.
        Reply::Map(pairs) if pairs.is_empty() => return Ok(None),
        Reply::Map(pairs) => {
            for (field, value) in pairs {
                put(field, value)?;
            }
        }
        _ => return Err(corrupt("HGETALL answered something other than fields")),
    }
    header.into_record(SessionData::from(data)).map(Some)
}

fn bytes(reply: Reply) -> Result<Vec<u8>, Error> {
    match reply {
        Reply::BulkString(bytes) => Ok(bytes),
        _ => Err(corrupt("a field is not a string")),
    }
}

/// The header fields as read, before they are checked.
#[derive(Default)]
struct Header {
    /// From [`META`]; a hash without it is undecodable.
    packed: Option<Parts>,
    user: Option<String>,
    idle: Option<u64>,
}

/// The packed header's values.
struct Parts {
    version: u64,
    absolute: u64,
    expires: u64,
    created: u64,
    active: u64,
    persistent: bool,
}

impl Header {
    fn set(&mut self, field: &[u8], value: Vec<u8>) -> Result<(), Error> {
        match field {
            META => self.packed = Some(unpack(&value)?),
            b"user" => self.user = Some(String::from_utf8(value).map_err(Error::decode)?),
            IDLE => {
                let text = std::str::from_utf8(&value).map_err(Error::decode)?;
                self.idle = Some(decimal(text)?);
            }
            // A field a later layout added: ignored, as the format says.
            _ => {}
        }
        Ok(())
    }

    fn into_record(self, data: SessionData) -> Result<Record, Error> {
        let Some(parts) = self.packed else {
            return Err(corrupt("it has no packed header"));
        };
        let mut record = Record::new(from_unix_millis(parts.created), &sesh_core::Expiry::new());
        record.data = data;
        record.last_active = from_unix_millis(parts.active);
        record.expires_at = from_unix_millis(parts.expires);
        record.absolute_deadline = from_unix_millis(parts.absolute);
        record.version = parts.version;
        record.user = self.user;
        record.persistent = parts.persistent;
        record.idle_timeout = self.idle.map(std::time::Duration::from_millis);
        Ok(record)
    }
}

/// Reads a packed header (see [`META`]) exactly as the scripts' Lua
/// patterns do: anything they would refuse is refused here too.
fn unpack(meta: &[u8]) -> Result<Parts, Error> {
    let text = std::str::from_utf8(meta).map_err(Error::decode)?;
    let mut parts = text.split(':');
    if parts.next() != Some(LAYOUT_VERSION) {
        return Err(corrupt("its layout version is unknown"));
    }
    let mut number = || decimal(parts.next().ok_or_else(|| corrupt("its header is cut short"))?);
    let version = number()?;
    let absolute = number()?;
    let expires = number()?;
    let created = number()?;
    let active = number()?;
    let persistent = match parts.next() {
        Some("0") => false,
        Some("1") => true,
        _ => return Err(corrupt("its persistence flag is neither 0 nor 1")),
    };
    if parts.next().is_some() {
        return Err(corrupt("its header is too long"));
    }
    Ok(Parts {
        version,
        absolute,
        expires,
        created,
        active,
        persistent,
    })
}

/// A number as this store writes them: decimal digits, no sign, no leading
/// zero. The scripts compare versions and deadlines as text, so `007`
/// would load here and then never match there.
fn decimal(text: &str) -> Result<u64, Error> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    if !canonical {
        return Err(corrupt("a header number is not plain decimal"));
    }
    text.parse().map_err(Error::decode)
}

fn corrupt(why: &str) -> Error {
    Error::msg(ErrorKind::Decode, format!("stored session is corrupt: {why}"))
}

/// The apply script's arguments for `changes` (see `scripts::APPLY`).
pub(crate) fn apply_args(changes: &Changes) -> Result<Vec<Vec<u8>>, Error> {
    let mut set = Vec::with_capacity(2 * changes.entries.len() + 2);
    let mut removed = Vec::new();
    match &changes.user {
        None => {}
        Some(None) => removed.push(USER.into()),
        Some(Some(name)) => set.extend([USER.into(), name.clone().into_bytes()]),
    }
    for (key, value) in &changes.entries {
        match value {
            Some(value) => set.extend([data_field(key), serde_json::to_vec(value)?]),
            None => removed.push(data_field(key)),
        }
    }
    let persistent: &[u8] = match changes.persistent {
        None => b"",
        Some(false) => b"0",
        Some(true) => b"1",
    };
    let mut args = Vec::with_capacity(5 + set.len() + removed.len());
    args.push(deadline_millis(changes.expires_at).to_string().into_bytes());
    args.push(unix_millis(changes.now).to_string().into_bytes());
    args.push(persistent.to_vec());
    // The header is one more value in the script's HSET.
    if !changes.cleared && removed.is_empty() && set.len() + 2 <= scripts::APPLY_DIRECT_VALUES {
        // The common form: an empty marker, then only pairs to set.
        args.push(Vec::new());
        args.append(&mut set);
    } else {
        args.push(if changes.cleared { b"1".into() } else { b"0".into() });
        args.push(set.len().to_string().into_bytes());
        args.append(&mut set);
        args.append(&mut removed);
    }
    Ok(args)
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;
    use sesh_core::Expiry;

    use super::*;

    fn record() -> Record {
        let now = from_unix_millis(1_700_000_000_000);
        let mut r = Record::new(now, &Expiry::new());
        r.version = u64::MAX;
        r.user = Some("ada".into());
        r.persistent = true;
        r.data.insert("n".into(), json!(u64::MAX));
        r.data.insert("".into(), json!({"nested": [1, null]}));
        r.data.insert("d:looks like a field".into(), json!("x"));
        r
    }

    fn reply(flat: Vec<Vec<u8>>) -> Reply {
        Reply::Array(flat.into_iter().map(Reply::BulkString).collect())
    }

    #[test]
    fn round_trips_with_the_ttl_deadline() {
        let mut r = record();
        r.expires_at = r.absolute_deadline + Duration::from_secs(5);
        let got = decode(reply(fields(&r).expect("fields")))
            .expect("decode")
            .expect("a record");
        assert_eq!(got.expires_at, r.absolute_deadline, "the TTL is capped");
        r.expires_at = r.absolute_deadline;
        assert_eq!(got, r);
    }

    #[test]
    fn resp3_maps_decode_as_resp2_arrays_do() {
        let flat = fields(&record()).expect("fields");
        let map = flat
            .chunks(2)
            .map(|p| (Reply::BulkString(p[0].clone()), Reply::BulkString(p[1].clone())))
            .collect();
        let got = decode(Reply::Map(map)).expect("decode");
        assert_eq!(got, decode(reply(flat)).expect("decode"));
        assert!(got.is_some());
    }

    #[test]
    fn empty_replies_are_no_session() {
        assert_eq!(decode(Reply::Array(Vec::new())).expect("decode"), None);
        assert_eq!(decode(Reply::Map(Vec::new())).expect("decode"), None);
    }

    #[test]
    fn one_key_sessions_are_four_values() {
        let mut r = Record::new(from_unix_millis(1_700_000_000_000), &Expiry::new());
        r.data.insert("n".into(), json!(1));
        assert_eq!(fields(&r).expect("fields").len(), 4);
    }

    /// A hash whose header is not packed into `m` (as the unreleased
    /// layout 1 wrote it, each header value in a field of its own) is not
    /// read field by field: it is undecodable, however complete.
    #[test]
    fn hashes_without_the_packed_header_are_decode_errors() {
        let unpacked: Vec<Vec<u8>> = [
            ("fmt", "1"),
            ("ver", "3"),
            ("abs", "1700001200000"),
            ("exp", "1700000600000"),
            ("created", "1700000000000"),
            ("active", "1700000000000"),
            ("persist", "0"),
            ("user", "ada"),
            ("d:n", "1"),
        ]
        .into_iter()
        .flat_map(|(f, v)| [f.as_bytes().to_vec(), v.as_bytes().to_vec()])
        .collect();
        let e = decode(reply(unpacked)).expect_err("no packed header");
        assert_eq!(e.kind(), ErrorKind::Decode);
    }

    #[test]
    fn corrupt_hashes_are_decode_errors() {
        let good = fields(&record()).expect("fields");
        let with = |field: &str, value: &[u8]| {
            let mut f = good.clone();
            let at = f.iter().position(|x| x == field.as_bytes()).expect("field");
            f[at + 1] = value.to_vec();
            f
        };
        let without_header: Vec<Vec<u8>> = good
            .chunks(2)
            .filter(|p| p[0] != b"m")
            .flatten()
            .cloned()
            .collect();
        for flat in [
            vec![b"fmt".to_vec(), b"1".to_vec()],
            vec![b"d:n".to_vec(), b"1".to_vec()],
            with("m", b"3:1:2:3:4:5:0"),
            with("m", b"2:seven:2:3:4:5:0"),
            with("m", b"2:1:2:3:4:5"),
            with("m", b"2:1:2:3:4:5:0:6"),
            with("m", b"2:1:2:3:4:5:2"),
            with("m", b"2:1:-2:3:4:5:0"),
            with("m", b"\xff"),
            with("m", b"2:007:2:3:4:5:0"),
            with("m", b"2:+7:2:3:4:5:0"),
            with("m", b"2:1:2:3:4:5:01"),
            with("m", b"2:1::3:4:5:0"),
            with("d:n", b"{not json"),
            [good.clone(), vec![b"d:\xff".to_vec(), b"1".to_vec()]].concat(),
            with("user", b"\xff"),
            without_header,
        ] {
            let e = decode(reply(flat)).expect_err("corrupt");
            assert_eq!(e.kind(), ErrorKind::Decode);
        }
        for odd in [Reply::Int(1), Reply::Array(vec![Reply::Int(1), Reply::Int(2)])] {
            let e = decode(odd).expect_err("not a hash reply");
            assert_eq!(e.kind(), ErrorKind::Decode);
        }
    }

    #[test]
    fn apply_args_split_sets_and_removes() {
        let now = from_unix_millis(1_000);
        let mut c = Changes::new(now, from_unix_millis(5_000));
        c.entries.push(("a".into(), Some(json!(1))));
        c.entries.push(("b".into(), None));
        c.user = Some(Some("ada".into()));
        let text = |args: Vec<Vec<u8>>| -> Vec<String> {
            args.iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        };
        assert_eq!(
            text(apply_args(&c).expect("args")),
            ["5000", "1000", "", "0", "4", "user", "ada", "d:a", "1", "d:b"]
        );
        c.entries.pop();
        assert_eq!(
            text(apply_args(&c).expect("args")),
            ["5000", "1000", "", "", "user", "ada", "d:a", "1"],
            "nothing removed: the common form"
        );
        c.persistent = Some(true);
        for n in 0..scripts::APPLY_DIRECT_VALUES {
            c.entries.push((format!("k{n}"), Some(json!(n))));
        }
        let args = text(apply_args(&c).expect("args"));
        assert_eq!(args[2..5], ["1", "0", "2000"], "too many values for one HSET");
        c.entries.truncate(1);
        c.entries.push(("b".into(), None));
        c.user = Some(None);
        c.persistent = Some(false);
        c.cleared = true;
        assert_eq!(
            text(apply_args(&c).expect("args")),
            ["5000", "1000", "0", "1", "2", "d:a", "1", "user", "d:b"]
        );
    }
}
