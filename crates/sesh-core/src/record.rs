use std::{
    fmt,
    time::{Duration, SystemTime},
};

use serde::{Deserialize, Serialize};

use crate::{
    Error, Expiry, SessionData,
    clock::{from_unix_millis, unix_millis},
};

/// The stored form's format version; [`Record::decode`] refuses others.
pub const FORMAT_VERSION: u32 = 1;

/// One session's state as a store keeps it.
///
/// Stores that key expiry separately (a TTL, an `expires_at` column) keep
/// [`expires_at`](Self::expires_at) there too, so [`SessionStore::touch`]
/// can extend it without rewriting the rest.
///
/// [`SessionStore::touch`]: crate::SessionStore::touch
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Record {
    /// The application's key-value data.
    pub data: SessionData,
    /// When the session was created.
    pub created_at: SystemTime,
    /// When the session was last written.
    pub last_active: SystemTime,
    /// The idle deadline, never later than `absolute_deadline`.
    pub expires_at: SystemTime,
    /// The absolute deadline, fixed at creation.
    pub absolute_deadline: SystemTime,
    /// Bumped by every write; the compare-and-swap token of `save`.
    pub version: u64,
    /// The user this session is bound to, if any.
    pub user: Option<String>,
    /// Whether the cookie outlives the browser ("remember me").
    pub persistent: bool,
    /// This session's own idle timeout, shorter than the layer's (an
    /// admin's session, a shared computer); `None` uses the layer's. The
    /// layer sets whole seconds, and stores may keep it to the second.
    pub idle_timeout: Option<Duration>,
}

impl Record {
    /// An empty record created at `now`, with deadlines from `expiry`.
    #[must_use]
    pub fn new(now: SystemTime, expiry: &Expiry) -> Self {
        let (expires_at, absolute_deadline) = expiry.deadlines_from(now);
        Self {
            data: SessionData::new(),
            created_at: now,
            last_active: now,
            expires_at,
            absolute_deadline,
            version: 0,
            user: None,
            persistent: false,
            idle_timeout: None,
        }
    }

    /// Whether the session has ended at `now` (idle or absolute).
    #[must_use]
    pub fn is_expired(&self, now: SystemTime) -> bool {
        now >= self.expires_at || now >= self.absolute_deadline
    }

    /// The stored form: versioned JSON.
    ///
    /// # Errors
    /// Only if a value cannot be serialized, which `serde_json::Value` never does.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        Ok(serde_json::to_vec(&Stored::from(self))?)
    }

    /// Decodes [`encode`](Self::encode)'s output.
    ///
    /// # Errors
    /// [`ErrorKind::Decode`](crate::ErrorKind::Decode) for bytes that are not
    /// a record, or a record of another format version.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let stored: Stored = serde_json::from_slice(bytes).map_err(Error::decode)?;
        if stored.v != FORMAT_VERSION {
            return Err(Error::msg(
                crate::ErrorKind::Decode,
                format!("record format version {} is not {FORMAT_VERSION}", stored.v),
            ));
        }
        Ok(stored.into())
    }
}

impl fmt::Debug for Record {
    // Values may be secrets (CSRF tokens, OAuth state): show keys only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("keys", &self.data)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("absolute_deadline", &self.absolute_deadline)
            .field("version", &self.version)
            .field("user", &self.user)
            .field("persistent", &self.persistent)
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    v: u32,
    data: SessionData,
    created: u64,
    active: u64,
    expires: u64,
    absolute: u64,
    version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    #[serde(default)]
    persistent: bool,
    /// The session's own idle timeout, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    idle: Option<u64>,
}

impl From<&Record> for Stored {
    fn from(r: &Record) -> Self {
        Self {
            v: FORMAT_VERSION,
            data: r.data.clone(),
            created: unix_millis(r.created_at),
            active: unix_millis(r.last_active),
            expires: unix_millis(r.expires_at),
            absolute: unix_millis(r.absolute_deadline),
            version: r.version,
            user: r.user.clone(),
            persistent: r.persistent,
            idle: r
                .idle_timeout
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

impl From<Stored> for Record {
    fn from(s: Stored) -> Self {
        Self {
            data: s.data,
            created_at: from_unix_millis(s.created),
            last_active: from_unix_millis(s.active),
            expires_at: from_unix_millis(s.expires),
            absolute_deadline: from_unix_millis(s.absolute),
            version: s.version,
            user: s.user,
            persistent: s.persistent,
            idle_timeout: s.idle.map(Duration::from_millis),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::*;

    fn record() -> Record {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut r = Record::new(now, &Expiry::new());
        r.data.insert("n".into(), json!(u64::MAX));
        r.data.insert("ключ".into(), json!({"nested": [1, "two", null]}));
        r.user = Some("ada".into());
        r.version = 7;
        r
    }

    #[test]
    fn encode_decode_round_trip() {
        let r = record();
        let bytes = r.encode().expect("encode");
        assert_eq!(Record::decode(&bytes).expect("decode"), r);
    }

    #[test]
    fn decode_rejects_garbage_and_other_versions() {
        let e = Record::decode(b"\xff not json").expect_err("garbage");
        assert_eq!(e.kind(), crate::ErrorKind::Decode);
        let mut v: Value = serde_json::from_slice(&record().encode().expect("encode")).expect("json");
        v["v"] = json!(2);
        let e = Record::decode(&serde_json::to_vec(&v).expect("bytes")).expect_err("v2");
        assert_eq!(e.kind(), crate::ErrorKind::Decode);
    }

    #[test]
    fn debug_hides_values() {
        let shown = format!("{:?}", record());
        assert!(shown.contains("ключ") && !shown.contains("nested"));
    }
}
