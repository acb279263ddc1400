//! [`Inspect`]: walking a store's sessions a page at a time, for admin
//! tools (counts, sizes, listings), without a query that visits them all
//! at once.

use std::{
    fmt, io,
    time::{Duration, SystemTime},
};

use async_trait::async_trait;

use crate::{Error, ErrorKind, Record, SessionStore, StoreKey};

/// Where a scan stopped: hand it back to [`Inspect::scan`] to go on.
///
/// Opaque to callers: each store decides what it holds. Stores that walk
/// their sessions in key order (SQL, memory) keep the last key they
/// returned ([`after_key`](Self::after_key)); Redis keeps its `SCAN`
/// cursor and, on a cluster, the node it is walking. It names no session
/// ID and no stored value, so it may be shown or logged.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ScanCursor(String);

impl ScanCursor {
    /// A cursor holding a store's own `token`.
    #[must_use]
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The cursor of a scan in key order that has returned every session
    /// up to `key`: the next page starts after it.
    #[must_use]
    pub fn after_key(key: &StoreKey) -> Self {
        Self(key.to_hex())
    }

    /// The key of an [`after_key`](Self::after_key) cursor.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a cursor that holds no key: one another
    /// store made.
    pub fn last_key(&self) -> Result<StoreKey, Error> {
        StoreKey::from_hex(&self.0).ok_or_else(|| foreign_cursor(self))
    }

    /// The store's token.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ScanCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScanCursor({})", self.0)
    }
}

/// The error for a cursor this store did not make.
#[must_use]
pub fn foreign_cursor(cursor: &ScanCursor) -> Error {
    Error::msg(
        ErrorKind::Config,
        format!(
            "scan cursor {:?} was not made by this store: start the scan again without one",
            cursor.as_str()
        ),
    )
}

/// What a scan tells about one session: everything but its values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordSummary {
    /// When the session was created.
    pub created_at: SystemTime,
    /// When the session was last written.
    pub last_active: SystemTime,
    /// The idle deadline.
    pub expires_at: SystemTime,
    /// The absolute deadline.
    pub absolute_deadline: SystemTime,
    /// The user the session is bound to, if any.
    pub user: Option<String>,
    /// Whether the cookie outlives the browser ("remember me").
    pub persistent: bool,
    /// The session's own idle timeout, if it has one.
    pub idle_timeout: Option<Duration>,
    /// How many data keys the session holds.
    pub keys: usize,
    /// The size of its data: each key's bytes plus its value's JSON bytes.
    pub data_bytes: u64,
}

impl RecordSummary {
    /// The summary of `record`.
    #[must_use]
    pub fn of(record: &Record) -> Self {
        let data_bytes = record
            .data
            .iter()
            .map(|(key, value)| key.len() as u64 + json_len(value))
            .sum();
        Self {
            created_at: record.created_at,
            last_active: record.last_active,
            expires_at: record.expires_at,
            absolute_deadline: record.absolute_deadline,
            user: record.user.clone(),
            persistent: record.persistent,
            idle_timeout: record.idle_timeout,
            keys: record.data.len(),
            data_bytes,
        }
    }
}

/// The length of `value`'s JSON, counted without building it.
#[must_use]
pub fn json_len(value: &serde_json::Value) -> u64 {
    struct Count(u64);
    impl io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0 += buf.len() as u64;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` to a sink that never fails cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// One page of a scan.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ScanPage {
    /// Live sessions, each with its store key.
    pub sessions: Vec<(StoreKey, RecordSummary)>,
    /// Keys whose record could not be decoded (corrupt, or written in a
    /// newer format): the layer treats each as no session. Reported
    /// rather than failing the scan, so one bad record does not hide the
    /// rest.
    pub undecodable: Vec<StoreKey>,
    /// Where to go on from, or `None` when the scan is complete. A page
    /// may be empty while the scan is not.
    pub next: Option<ScanCursor>,
}

impl ScanPage {
    /// A page of `sessions`, to go on from `next`.
    #[must_use]
    pub fn new(sessions: Vec<(StoreKey, RecordSummary)>, next: Option<ScanCursor>) -> Self {
        Self {
            sessions,
            undecodable: Vec::new(),
            next,
        }
    }

    /// The same page, reporting `keys` as undecodable.
    #[must_use]
    pub fn with_undecodable(mut self, keys: Vec<StoreKey>) -> Self {
        self.undecodable = keys;
        self
    }
}

/// Walking a store's sessions a page at a time, with the store's own
/// cursor: keyset pagination by store key on SQL, `SCAN` (per primary, on a
/// cluster) on Redis. Each call does a bounded amount of work, so a scan
/// of millions of sessions never holds the store up for long; an admin
/// tool may pause between pages to leave it room.
///
/// A scan from `None` until a page's `next` is `None` returns every
/// session that is live for the whole scan at least once (Redis may return
/// a session twice while its table grows), and never one that had expired
/// or was deleted before the scan began. Sessions created, deleted or
/// expired during the scan may or may not be returned.
#[async_trait]
pub trait Inspect: SessionStore {
    /// Up to `limit` live sessions after `cursor` (from the start with
    /// `None`). Stores that walk in key order return at most `limit`;
    /// Redis's `SCAN` takes it as a hint (`COUNT`), so a page there may
    /// hold somewhat more, or none while the scan goes on.
    ///
    /// # Errors
    /// The store's errors; [`ErrorKind::Config`] for a cursor another
    /// store made.
    async fn scan(&self, cursor: Option<&ScanCursor>, limit: usize) -> Result<ScanPage, Error>;

    /// How many sessions the store holds, if it can tell without visiting
    /// them: exact for the memory store (expired ones not yet swept
    /// included), the database's own estimate for PostgreSQL and MySQL,
    /// `None` where there is no such number (Redis, whose key count
    /// includes other keys; SQLite). Good for a progress bar, not for a
    /// report.
    ///
    /// # Errors
    /// The store's errors.
    async fn count(&self) -> Result<Option<u64>, Error>;
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{Expiry, SessionId};

    #[test]
    fn summaries_count_keys_and_bytes_but_keep_no_value() {
        let mut record = Record::new(SystemTime::now(), &Expiry::new());
        record.data.insert("n".into(), json!(12));
        record.data.insert("name".into(), json!("s3cret"));
        let summary = RecordSummary::of(&record);
        assert_eq!(summary.keys, 2);
        assert_eq!(summary.data_bytes, 1 + 2 + 4 + 8);
        assert!(!format!("{summary:?}").contains("s3cret"));
    }

    #[test]
    fn key_cursors_round_trip_and_foreign_ones_are_refused() {
        let key = SessionId::generate().key();
        assert_eq!(ScanCursor::after_key(&key).last_key().expect("a key"), key);
        let e = ScanCursor::new("7:0").last_key().expect_err("not a key");
        assert_eq!(e.kind(), ErrorKind::Config);
    }
}
