//! The plaintext of a client-side session cookie: versioned JSON with the
//! data and the session's own deadlines, so a copied cookie stops working
//! when they pass whatever `Max-Age` the browser was told.

use serde::{Deserialize, Serialize};
use sesh_core::{Error, ErrorKind, Expiry, Record, SessionData, SessionId, from_unix_millis, unix_millis};

/// The payload format; others are refused (and the session starts afresh).
pub(crate) const FORMAT: u32 = 1;

// Short field names: every byte counts against the 4096-byte cookie.
#[derive(Serialize, Deserialize)]
struct Payload<D> {
    /// Format version.
    v: u32,
    /// Session ID: names the session in logs and changes on `cycle_id`.
    i: String,
    d: D,
    /// Created, idle deadline, absolute deadline: Unix milliseconds.
    c: u64,
    e: u64,
    a: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    u: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    p: bool,
    /// The session's own idle timeout, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<u64>,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde passes a reference
fn is_false(b: &bool) -> bool {
    !b
}

#[derive(Deserialize)]
struct Version {
    v: u32,
}

/// `record` under the ID `id` (its encoded form), as payload text.
pub(crate) fn encode(id: &str, record: &Record) -> Result<String, Error> {
    let payload = Payload {
        v: FORMAT,
        i: id.to_owned(),
        d: &record.data,
        c: unix_millis(record.created_at),
        e: unix_millis(record.expires_at),
        a: unix_millis(record.absolute_deadline),
        u: record.user.clone(),
        p: record.persistent,
        t: record
            .idle_timeout
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
    };
    Ok(serde_json::to_string(&payload)?)
}

/// The session a payload holds, whether or not it has expired.
///
/// # Errors
/// [`ErrorKind::Decode`] for text that is not a payload of [`FORMAT`].
pub(crate) fn decode(text: &str) -> Result<(SessionId, Record), Error> {
    let Version { v } = serde_json::from_str(text).map_err(Error::decode)?;
    if v != FORMAT {
        return Err(Error::msg(
            ErrorKind::Decode,
            format!("client-side session format {v} is not {FORMAT}"),
        ));
    }
    let payload: Payload<SessionData> = serde_json::from_str(text).map_err(Error::decode)?;
    let id = SessionId::parse(&payload.i).map_err(Error::decode)?;
    let mut record = Record::new(from_unix_millis(payload.c), &Expiry::new());
    record.data = payload.d;
    record.last_active = record.created_at;
    record.expires_at = from_unix_millis(payload.e);
    record.absolute_deadline = from_unix_millis(payload.a);
    record.user = payload.u;
    record.persistent = payload.p;
    record.idle_timeout = payload.t.map(std::time::Duration::from_millis);
    Ok((id, record))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use serde_json::json;

    use super::*;

    #[test]
    fn round_trips_data_deadlines_and_flags() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut record = Record::new(now, &Expiry::new());
        record.data.insert("n".into(), json!(3));
        record.user = Some("ada".into());
        record.persistent = true;
        let id = SessionId::generate();
        let text = encode(&id.encode(), &record).expect("encode");
        let (decoded_id, decoded) = decode(&text).expect("decode");
        assert_eq!(decoded_id, id);
        assert_eq!(decoded.data, record.data);
        assert_eq!(
            (decoded.expires_at, decoded.absolute_deadline),
            (record.expires_at, record.absolute_deadline)
        );
        assert_eq!((decoded.user, decoded.persistent), (Some("ada".into()), true));
    }

    #[test]
    fn refuses_other_formats_and_garbage() {
        let record = Record::new(SystemTime::now(), &Expiry::new());
        let text = encode(&SessionId::generate().encode(), &record).expect("encode");
        let v2 = text.replacen("\"v\":1", "\"v\":2", 1);
        for bad in [v2.as_str(), "{}", "not json", "{\"v\":1}"] {
            assert_eq!(decode(bad).map(|_| ()).expect_err(bad).kind(), ErrorKind::Decode);
        }
    }
}
