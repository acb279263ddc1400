//! The stored form: one hash per session. Metadata fields hold the
//! record's header; each data key is a field of its own, `d:<key>`,
//! holding that value's JSON, so `apply` can set and remove single keys in
//! place while other keys stay as other requests left them.

use std::time::SystemTime;

use serde_json::Value;
use sesh_core::{Changes, Error, ErrorKind, Record, from_unix_millis, unix_millis};

/// The layout's format version, stored in [`FORMAT`]; others are refused.
pub(crate) const LAYOUT_VERSION: &str = "1";

const FORMAT: &str = "fmt";
const VERSION: &str = "ver";
const ABSOLUTE: &str = "abs";
const CREATED: &str = "created";
const ACTIVE: &str = "active";
const PERSISTENT: &str = "persist";
const USER: &str = "user";
/// The prefix of data fields; no metadata field starts with it.
const DATA: &[u8] = b"d:";

/// The hash field holding data key `key`.
pub(crate) fn data_field(key: &str) -> Vec<u8> {
    [DATA, key.as_bytes()].concat()
}

/// `record` as a flat `field, value, field, value...` list.
pub(crate) fn fields(record: &Record) -> Result<Vec<Vec<u8>>, Error> {
    let mut out = Vec::with_capacity(14 + 2 * record.data.len());
    let mut put = |field: &str, value: String| {
        out.push(field.as_bytes().to_vec());
        out.push(value.into_bytes());
    };
    put(FORMAT, LAYOUT_VERSION.to_owned());
    put(VERSION, record.version.to_string());
    put(ABSOLUTE, unix_millis(record.absolute_deadline).to_string());
    put(CREATED, unix_millis(record.created_at).to_string());
    put(ACTIVE, unix_millis(record.last_active).to_string());
    put(PERSISTENT, u8::from(record.persistent).to_string());
    if let Some(user) = &record.user {
        put(USER, user.clone());
    }
    for (key, value) in &record.data {
        out.push(data_field(key));
        out.push(serde_json::to_vec(value)?);
    }
    Ok(out)
}

/// Decodes `HGETALL`'s flat reply; `expires_at` comes from the key's TTL,
/// which `touch` moves without rewriting the hash.
pub(crate) fn decode(flat: Vec<Vec<u8>>, expires_at: SystemTime) -> Result<Record, Error> {
    let mut header = Header::default();
    let mut data = std::collections::HashMap::new();
    let mut pairs = flat.into_iter();
    while let (Some(field), Some(value)) = (pairs.next(), pairs.next()) {
        if let Some(key) = field.strip_prefix(DATA) {
            let key = String::from_utf8(key.to_vec()).map_err(Error::decode)?;
            let value: Value = serde_json::from_slice(&value).map_err(Error::decode)?;
            data.insert(key, value);
        } else {
            header.set(&field, value)?;
        }
    }
    header.into_record(data, expires_at)
}

/// The metadata fields as read, before they are checked.
#[derive(Default)]
struct Header {
    format: Option<String>,
    version: Option<u64>,
    absolute: Option<u64>,
    created: Option<u64>,
    active: Option<u64>,
    persistent: bool,
    user: Option<String>,
}

impl Header {
    fn set(&mut self, field: &[u8], value: Vec<u8>) -> Result<(), Error> {
        let text = String::from_utf8(value).map_err(Error::decode)?;
        match field {
            b"fmt" => self.format = Some(text),
            b"ver" => self.version = Some(number(&text)?),
            b"abs" => self.absolute = Some(number(&text)?),
            b"created" => self.created = Some(number(&text)?),
            b"active" => self.active = Some(number(&text)?),
            b"persist" => self.persistent = text == "1",
            b"user" => self.user = Some(text),
            // A field a later layout added: ignored, as the format says.
            _ => {}
        }
        Ok(())
    }

    fn into_record(
        self,
        data: std::collections::HashMap<String, Value>,
        expires_at: SystemTime,
    ) -> Result<Record, Error> {
        if self.format.as_deref() != Some(LAYOUT_VERSION) {
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
        record.expires_at = expires_at;
        record.absolute_deadline = from_unix_millis(absolute);
        record.version = version;
        record.user = self.user;
        record.persistent = self.persistent;
        Ok(record)
    }
}

fn number(text: &str) -> Result<u64, Error> {
    text.parse().map_err(Error::decode)
}

fn corrupt(why: &str) -> Error {
    Error::msg(ErrorKind::Decode, format!("stored session is corrupt: {why}"))
}

/// The apply script's arguments for `changes` (see `scripts::APPLY`).
pub(crate) fn apply_args(changes: &Changes) -> Result<Vec<Vec<u8>>, Error> {
    let user = match &changes.user {
        None => b"k".to_vec(),
        Some(None) => b"u".to_vec(),
        Some(Some(name)) => [b"s", name.as_bytes()].concat(),
    };
    let persistent = match changes.persistent {
        None => Vec::new(),
        Some(p) => u8::from(p).to_string().into_bytes(),
    };
    let (sets, removes): (Vec<_>, Vec<_>) = changes.entries.iter().partition(|(_, v)| v.is_some());
    let mut args = vec![
        deadline_millis(changes.expires_at).to_string().into_bytes(),
        unix_millis(changes.now).to_string().into_bytes(),
        if changes.cleared {
            b"1".to_vec()
        } else {
            b"0".to_vec()
        },
        user,
        persistent,
        sets.len().to_string().into_bytes(),
    ];
    for (key, value) in sets {
        args.push(data_field(key));
        args.push(serde_json::to_vec(value)?);
    }
    args.extend(removes.into_iter().map(|(key, _)| data_field(key)));
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

    #[test]
    fn round_trips_with_the_ttl_deadline() {
        let r = record();
        let later = r.expires_at + Duration::from_secs(5);
        let got = decode(fields(&r).expect("fields"), later).expect("decode");
        assert_eq!(got.expires_at, later);
        let mut want = r;
        want.expires_at = later;
        assert_eq!(got, want);
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
        let without_version: Vec<Vec<u8>> = good
            .chunks(2)
            .filter(|p| p[0] != b"ver")
            .flatten()
            .cloned()
            .collect();
        for flat in [
            Vec::new(),
            with("fmt", b"2"),
            with("ver", b"seven"),
            with("abs", b"-1"),
            with("d:n", b"{not json"),
            with("user", b"\xff"),
            without_version,
        ] {
            let e = decode(flat, SystemTime::now()).expect_err("corrupt");
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
        let args = apply_args(&c).expect("args");
        let text: Vec<String> = args
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        assert_eq!(text, ["5000", "1000", "0", "sada", "", "1", "d:a", "1", "d:b"]);
    }
}
