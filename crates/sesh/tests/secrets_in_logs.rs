//! A stored value never reaches a log line or `Debug` output, whatever
//! goes wrong: session data holds CSRF tokens, OAuth state and the like.
//!
//! One secret is stored, then every error path the layer has is provoked
//! with logging at TRACE, and the captured log is searched for it.

mod common;

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::SystemTime,
};

use async_trait::async_trait;
use axum::{Router, routing::get};
use common::get as fetch;
use http::StatusCode;
use serde::{Serialize, Serializer};
use sesh::{
    Error, ErrorKind, Key, MemoryStore, Session, SessionLayer, StoreKey,
    store::{Applied, Changes, Created, Record, Saved, SessionStore},
};
use tracing_subscriber::fmt::MakeWriter;

const SECRET: &str = "hunter2-s3cret-token";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A value whose serialization fails with the secret in its message.
struct Refuses;

impl Serialize for Refuses {
    fn serialize<S: Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(format!("cannot write {SECRET}")))
    }
}

/// A store over memory whose `load` of one key returns a record that does
/// not decode (the secret among the bad bytes), and whose writes of
/// another fail.
#[derive(Debug, Clone, Default)]
struct BrokenStore {
    inner: MemoryStore,
    fail_writes: Arc<std::sync::atomic::AtomicBool>,
}

fn corrupt() -> Result<Option<Record>, Error> {
    let bytes = format!(r#"{{"v":1,"data":{{"token":"{SECRET}"}},"created":"{SECRET}"}}"#);
    Record::decode(bytes.as_bytes()).map(Some)
}

fn down(what: &str) -> Error {
    Error::store(std::io::Error::other(format!("connection reset during {what}")))
}

#[async_trait]
impl SessionStore for BrokenStore {
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        match self.inner.load(key).await? {
            Some(record) if record.data.contains_key("corrupt") => corrupt(),
            other => Ok(other),
        }
    }
    async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
        self.inner.create(key, record).await
    }
    async fn save(&self, key: &StoreKey, record: &Record, expected: u64) -> Result<Saved, Error> {
        self.inner.save(key, record, expected).await
    }
    async fn touch(&self, key: &StoreKey, at: SystemTime) -> Result<(), Error> {
        self.inner.touch(key, at).await
    }
    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        self.inner.delete(key).await
    }
    async fn apply(&self, key: &StoreKey, merged: &Record, changes: &Changes) -> Result<Applied, Error> {
        if self.fail_writes.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(down("apply"));
        }
        self.inner.apply(key, merged, changes).await
    }
}

fn app(store: BrokenStore) -> Router {
    Router::new()
        .route(
            "/store",
            get(|s: Session| async move { s.insert("token", SECRET) }),
        )
        .route(
            "/wrong-type",
            get(|s: Session| async move { s.get::<u64>("token").map(|n| format!("{n:?}")) }),
        )
        .route(
            "/unserializable",
            get(|s: Session| async move { s.insert("other", Refuses) }),
        )
        .route(
            "/debug",
            get(|s: Session| async move {
                s.insert("changed", SECRET)?;
                tracing::info!(session = ?s, "the handler logs its session");
                Ok::<_, Error>(format!("{s:?}"))
            }),
        )
        .route(
            "/fresh",
            get(|s: Session| async move {
                static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                s.insert("fresh", format!("{SECRET}-{n}"))
            }),
        )
        .route(
            "/corrupt",
            get(|s: Session| async move { s.insert("corrupt", SECRET) }),
        )
        .route("/read", get(|s: Session| async move { s.keys().join(",") }))
        .layer(SessionLayer::new(store))
}

#[tokio::test]
async fn no_error_path_logs_a_stored_value() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let store = BrokenStore::default();
    let app = app(store.clone());
    let cookie = fetch(&app, "/store", None).await.cookie_pair();

    let wrong = fetch(&app, "/wrong-type", Some(&cookie)).await;
    assert_eq!(wrong.status, StatusCode::INTERNAL_SERVER_ERROR);
    let unserializable = fetch(&app, "/unserializable", Some(&cookie)).await;
    assert_eq!(unserializable.status, StatusCode::INTERNAL_SERVER_ERROR);
    let debugged = fetch(&app, "/debug", Some(&cookie)).await;
    assert!(
        debugged.body.contains("changed") && !debugged.body.contains(SECRET),
        "{}",
        debugged.body
    );

    store.fail_writes.store(true, std::sync::atomic::Ordering::SeqCst);
    let failed = fetch(&app, "/fresh", Some(&cookie)).await;
    assert_eq!(
        failed.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "the store is down"
    );
    store
        .fail_writes
        .store(false, std::sync::atomic::Ordering::SeqCst);

    // A stored record that no longer decodes is treated as no session.
    let corrupt = fetch(&app, "/corrupt", Some(&cookie)).await;
    assert_eq!(corrupt.status, StatusCode::OK);
    let after = fetch(&app, "/read", Some(&cookie)).await;
    assert_eq!(after.body, "", "an unreadable record is no session");

    // Client-side sessions: a refused value, and the same errors.
    let key = Key::generate();
    let client = Router::new()
        .route(
            "/store",
            get(|s: Session| async move { s.insert("token", SECRET) }),
        )
        .route(
            "/wrong-type",
            get(|s: Session| async move { s.get::<u64>("token").map(|n| format!("{n:?}")) }),
        )
        .layer(SessionLayer::client_side(key));
    let sealed = fetch(&client, "/store", None).await.cookie_pair();
    assert_eq!(
        fetch(&client, "/wrong-type", Some(&sealed)).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let tampered = format!("{sealed}A");
    assert_eq!(
        fetch(&client, "/wrong-type", Some(&tampered)).await.status,
        StatusCode::OK
    );

    let log = String::from_utf8(captured.0.lock().expect("log").clone()).expect("utf-8");
    assert!(log.contains("ERROR"), "the error paths were taken:\n{log}");
    assert!(log.contains("token"), "keys may be named:\n{log}");
    assert!(!log.contains(SECRET), "a stored value reached the log:\n{log}");
    assert!(
        !log.contains("hunter2"),
        "part of a stored value reached the log:\n{log}"
    );
}

#[test]
fn errors_and_debug_output_never_carry_values() {
    let error = serde_json::from_str::<u64>(&format!("\"{SECRET}\"")).map_err(Error::from);
    let error = error.expect_err("a string is no u64");
    assert_eq!(error.kind(), ErrorKind::Serialization);
    assert!(!format!("{error} {error:?}").contains(SECRET));

    let mut record = Record::new(SystemTime::now(), &sesh::Expiry::new());
    record.data.insert("token".into(), SECRET.into());
    let mut changes = Changes::new(SystemTime::now(), SystemTime::now());
    changes.entries.push(("token".into(), Some(SECRET.into())));
    for shown in [
        format!("{record:?}"),
        format!("{changes:?}"),
        format!("{:?}", record.data),
    ] {
        assert!(shown.contains("token") && !shown.contains(SECRET), "{shown}");
    }
}
