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

/// The header fields as read, before they are checked. A hash with `m`
/// is read from it alone, whatever layout-1 fields it may also hold, as
/// the scripts do.
#[derive(Default)]
struct Header {
    /// From [`META`], when the hash has it.
    packed: Option<Parts>,
    /// Layout 1's separate fields, used only without [`META`].
    legacy: Parts,
    /// Layout 1's `fmt` is present and says `1`.
    legacy_format_known: bool,
    user: Option<String>,
}

/// The header's values, from either layout.
#[derive(Default)]
struct Parts {
    version: Option<u64>,
    absolute: Option<u64>,
    expires: Option<u64>,
    created: Option<u64>,
    active: Option<u64>,
    persistent: bool,
}

impl Header {
    fn set(&mut self, field: &[u8], value: Vec<u8>) -> Result<(), Error> {
        let number = || decimal(std::str::from_utf8(&value).map_err(Error::decode)?);
        let legacy = &mut self.legacy;
        match field {
            META => self.packed = Some(unpack(&value)?),
            b"user" => self.user = Some(String::from_utf8(value).map_err(Error::decode)?),
            // Layout 1.
            b"fmt" => self.legacy_format_known = value == b"1",
            b"ver" => legacy.version = Some(number()?),
            b"abs" => legacy.absolute = Some(number()?),
            b"exp" => legacy.expires = Some(number()?),
            b"created" => legacy.created = Some(number()?),
            b"active" => legacy.active = Some(number()?),
            b"persist" => legacy.persistent = value == b"1",
            // A field a later layout added: ignored, as the format says.
            _ => {}
        }
        Ok(())
    }

    fn into_record(self, data: SessionData) -> Result<Record, Error> {
        let parts = match self.packed {
            Some(parts) => parts,
            None if self.legacy_format_known => self.legacy,
            None => return Err(corrupt("its layout version is missing or unknown")),
        };
        let (Some(version), Some(absolute), Some(created), Some(active)) =
            (parts.version, parts.absolute, parts.created, parts.active)
        else {
            return Err(corrupt("a metadata field is missing"));
        };
        let mut record = Record::new(from_unix_millis(created), &sesh_core::Expiry::new());
        record.data = data;
        record.last_active = from_unix_millis(active);
        record.expires_at = from_unix_millis(parts.expires.unwrap_or(0));
        record.absolute_deadline = from_unix_millis(absolute);
        record.version = version;
        record.user = self.user;
        record.persistent = parts.persistent;
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
    let mut out = Parts {
        version: Some(number()?),
        absolute: Some(number()?),
        expires: Some(number()?),
        created: Some(number()?),
        active: Some(number()?),
        persistent: false,
    };
    out.persistent = match parts.next() {
        Some("0") => false,
        Some("1") => true,
        _ => return Err(corrupt("its persistence flag is neither 0 nor 1")),
    };
    if parts.next().is_some() {
        return Err(corrupt("its header is too long"));
    }
    Ok(out)
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
    fn the_packed_header_wins_over_layout_1_fields() {
        let r = record();
        let packed = fields(&r).expect("fields");
        let mut stale = record();
        stale.version = 1;
        stale.persistent = false;
        let old: Vec<Vec<u8>> = layout_1(&stale, true)
            .chunks(2)
            .filter(|p| !p[0].starts_with(b"d:") && p[0] != b"user")
            .flatten()
            .cloned()
            .collect();
        for flat in [[packed.clone(), old.clone()].concat(), [old, packed].concat()] {
            let got = decode(reply(flat)).expect("decode").expect("a record");
            assert_eq!((got.version, got.persistent), (r.version, true));
        }
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
            with("m", b"2:007:2:3:4:5:0"),
            with("m", b"2:+7:2:3:4:5:0"),
            with("m", b"2:1:2:3:4:5:01"),
            with("m", b"2:1::3:4:5:0"),
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
