//! The stored form: one hash per session. The record's header is packed
//! into one field, [`META`]; each data key is a field of its own,
//! `d:<key>`, holding that value's JSON, so `apply` can set and remove
//! single keys in place while other keys stay as other requests left them.
//! A bound user is the field [`USER`], so the delete scripts can read it.
//!
//! Packing the header matters on every read: an `HGETALL` reply is parsed
//! value by value, and a one-key session is 4 values in this layout
//! against 16 in layout 1, which kept each header value in a field of its
//! own. Hashes of layout 1 still load, and the write scripts turn them
//! into this layout (see `scripts`).

use std::{collections::HashMap, time::SystemTime};

use redis::Value as Reply;
use serde_json::Value;
use sesh_core::{Changes, Error, ErrorKind, Record, from_unix_millis, unix_millis};

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
    for (key, value) in &record.data {
        out.push(data_field(key));
        out.push(serde_json::to_vec(value)?);
    }
    Ok(out)
}

/// Decodes an `HGETALL` reply; `None` if it is empty (no such key).
///
/// A hash of layout 1 written before its `exp` field existed decodes with
/// `expires_at` at the Unix epoch: it looks expired, so `load` asks Redis
/// for the key's TTL, as it does for any hash whose deadline has passed
/// while Redis still holds it.
pub(crate) fn decode(reply: Reply) -> Result<Option<Record>, Error> {
    let pairs = match &reply {
        Reply::Array(flat) => flat.len() / 2,
        Reply::Map(pairs) => pairs.len(),
        _ => 0,
    };
    let mut header = Header::default();
    let mut data = HashMap::with_capacity(pairs.saturating_sub(1));
    let mut put = |field: Reply, value: Reply| -> Result<(), Error> {
        let (mut field, value) = (bytes(field)?, bytes(value)?);
        if field.starts_with(DATA) {
            // In place: the key's bytes move to the front, no copy.
            field.drain(..DATA.len());
            let key = String::from_utf8(field).map_err(Error::decode)?;
            data.insert(key, serde_json::from_slice(&value).map_err(Error::decode)?);
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
    header.into_record(data).map(Some)
}

fn bytes(reply: Reply) -> Result<Vec<u8>, Error> {
    match reply {
        Reply::BulkString(bytes) => Ok(bytes),
        _ => Err(corrupt("a field is not a string")),
    }
}

/// The header fields as read, before they are checked: from [`META`], or
/// from layout 1's separate fields.
#[derive(Default)]
struct Header {
    /// `m` is present and well formed, or layout 1's `fmt` says `1`.
    format_known: bool,
    version: Option<u64>,
    absolute: Option<u64>,
    expires: Option<u64>,
    created: Option<u64>,
    active: Option<u64>,
    persistent: bool,
    user: Option<String>,
}

impl Header {
    fn set(&mut self, field: &[u8], value: Vec<u8>) -> Result<(), Error> {
        let number = || -> Result<u64, Error> {
            let text = std::str::from_utf8(&value).map_err(Error::decode)?;
            text.parse().map_err(Error::decode)
        };
        match field {
            META => self.unpack(&value)?,
            b"user" => self.user = Some(String::from_utf8(value).map_err(Error::decode)?),
            // Layout 1.
            b"fmt" => self.format_known = value == b"1",
            b"ver" => self.version = Some(number()?),
            b"abs" => self.absolute = Some(number()?),
            b"exp" => self.expires = Some(number()?),
            b"created" => self.created = Some(number()?),
            b"active" => self.active = Some(number()?),
            b"persist" => self.persistent = value == b"1",
            // A field a later layout added: ignored, as the format says.
            _ => {}
        }
        Ok(())
    }

    /// Reads a packed header (see [`META`]).
    fn unpack(&mut self, meta: &[u8]) -> Result<(), Error> {
        let text = std::str::from_utf8(meta).map_err(Error::decode)?;
        let mut parts = text.split(':');
        if parts.next() != Some(LAYOUT_VERSION) {
            return Err(corrupt("its layout version is unknown"));
        }
        let mut number = || -> Result<u64, Error> {
            let part = parts.next().ok_or_else(|| corrupt("its header is cut short"))?;
            part.parse().map_err(Error::decode)
        };
        self.version = Some(number()?);
        self.absolute = Some(number()?);
        self.expires = Some(number()?);
        self.created = Some(number()?);
        self.active = Some(number()?);
        self.persistent = match number()? {
            0 => false,
            1 => true,
            _ => return Err(corrupt("its persistence flag is neither 0 nor 1")),
        };
        if parts.next().is_some() {
            return Err(corrupt("its header is too long"));
        }
        self.format_known = true;
        Ok(())
    }

    fn into_record(self, data: HashMap<String, Value>) -> Result<Record, Error> {
        if !self.format_known {
            return Err(corrupt("its layout version is missing or unknown"));
        }
        let (Some(version), Some(absolute), Some(created), Some(active)) =
            (self.version, self.absolute, self.created, self.active)
        else {
            return Err(corrupt("a metadata field is missing"));
        };
        let mut record = Record::new(from_unix_millis(created), &sesh_core::Expiry::new());
        record.data = data;
        record.last_active = from_unix_millis(active);
        record.expires_at = from_unix_millis(self.expires.unwrap_or(0));
        record.absolute_deadline = from_unix_millis(absolute);
        record.version = version;
        record.user = self.user;
        record.persistent = self.persistent;
        Ok(record)
    }
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

/// The inverse of [`deadline_millis`] for a `PEXPIRETIME` reply.
pub(crate) fn from_deadline(ms: u64) -> SystemTime {
    from_unix_millis(ms)
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

    /// `record` as layout 1 wrote it: each header value in its own field,
    /// with `exp` or (before that field existed) without.
    fn layout_1(record: &Record, with_exp: bool) -> Vec<Vec<u8>> {
        let millis = |t: SystemTime| unix_millis(t).to_string();
        let mut pairs = vec![
            ("fmt".to_owned(), "1".to_owned()),
            ("ver".to_owned(), record.version.to_string()),
            ("abs".to_owned(), millis(record.absolute_deadline)),
            ("created".to_owned(), millis(record.created_at)),
            ("active".to_owned(), millis(record.last_active)),
            ("persist".to_owned(), u8::from(record.persistent).to_string()),
        ];
        if with_exp {
            pairs.push(("exp".to_owned(), ttl_deadline(record).to_string()));
        }
        pairs.extend(record.user.iter().map(|u| ("user".to_owned(), u.clone())));
        pairs.extend(record.data.iter().map(|(k, v)| (format!("d:{k}"), v.to_string())));
        pairs
            .into_iter()
            .flat_map(|(f, v)| [f.into_bytes(), v.into_bytes()])
            .collect()
    }

    #[test]
    fn one_key_sessions_are_four_values() {
        let mut r = Record::new(from_unix_millis(1_700_000_000_000), &Expiry::new());
        r.data.insert("n".into(), json!(1));
        assert_eq!(fields(&r).expect("fields").len(), 4);
    }

    #[test]
    fn layout_1_hashes_decode_to_the_same_record() {
        let r = record();
        let got = decode(reply(layout_1(&r, true)))
            .expect("decode")
            .expect("a record");
        assert_eq!(
            got,
            decode(reply(fields(&r).expect("fields")))
                .expect("decode")
                .expect("a record")
        );
    }

    #[test]
    fn hashes_without_exp_look_expired() {
        let r = record();
        let got = decode(reply(layout_1(&r, false)))
            .expect("decode")
            .expect("a record");
        assert_eq!(got.expires_at, SystemTime::UNIX_EPOCH);
        assert_eq!(got.data, r.data);
        assert_eq!(got.version, r.version);
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
        let old = layout_1(&record(), true);
        let without_version: Vec<Vec<u8>> = old
            .chunks(2)
            .filter(|p| p[0] != b"ver")
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
            with("d:n", b"{not json"),
            [good.clone(), vec![b"d:\xff".to_vec(), b"1".to_vec()]].concat(),
            with("user", b"\xff"),
            without_version,
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
