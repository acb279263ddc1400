//! The layer's log events: create, rotate, destroy, store failures and
//! refused cookies are recorded with a salted hash, never the session ID
//! or the cookie's value.
//!
//! Every test here installs its own subscriber before emitting anything:
//! tracing caches per call site whether anyone listens, so a test binary
//! mixing threads with and without subscribers can lose events.

mod common;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use axum::{Router, routing::get};
use common::{DownStore, counter, get as fetch};
use sesh::{Key, MemoryStore, Session, SessionId, SessionLayer};
use tracing_subscriber::fmt::MakeWriter;

/// Collects everything the subscriber writes.
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

impl Captured {
    /// Collects the events at `level` and above until the guard drops.
    fn install(&self, level: tracing::Level) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(self.clone())
            .with_max_level(level)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("log buffer").clone()).expect("utf-8 logs")
    }
}

async fn rotate(session: Session) {
    session.cycle_id();
}

async fn logout(session: Session) {
    session.destroy();
}

fn app(layer: SessionLayer) -> Router {
    Router::new()
        .route("/", get(counter))
        .route("/rotate", get(rotate))
        .route("/logout", get(logout))
        .layer(layer)
}

/// The ID inside a `name=value` cookie pair.
fn id_of(pair: &str) -> String {
    let value = pair.split_once('=').expect("a pair").1;
    assert!(value.parse::<SessionId>().is_ok(), "a session ID");
    value.to_owned()
}

#[tokio::test(flavor = "current_thread")]
async fn lifecycle_events_name_a_hash_never_the_id() {
    let logs = Captured::default();
    let _guard = logs.install(tracing::Level::DEBUG);

    let app = app(SessionLayer::new(MemoryStore::new()));
    let first = fetch(&app, "/", None).await.cookie_pair();
    let second = fetch(&app, "/rotate", Some(&first)).await.cookie_pair();
    fetch(&app, "/logout", Some(&second)).await;
    let down = self::app(SessionLayer::new(DownStore));
    fetch(&down, "/", Some(&second)).await;

    let text = logs.text();
    for event in [
        "event=\"created\"",
        "event=\"rotated\"",
        "event=\"destroyed\"",
        "loading the session failed",
    ] {
        assert!(text.contains(event), "no {event} in the logs:\n{text}");
    }
    for pair in [&first, &second] {
        assert!(
            !text.contains(&id_of(pair)),
            "a session ID reached the logs:\n{text}"
        );
    }
    assert!(text.contains("session="), "events carry the salted hash:\n{text}");
}

#[tokio::test(flavor = "current_thread")]
async fn refused_cookies_are_logged_as_a_hash_never_the_value() {
    let logs = Captured::default();
    let _guard = logs.install(tracing::Level::WARN);
    let app = app(SessionLayer::new(MemoryStore::new()).private(Key::generate()));
    let cookie = fetch(&app, "/", None).await.cookie_pair();
    let value = cookie.split_once('=').expect("a pair").1;
    // Another base64 character at position 5: a tampered sealed value.
    let mut bytes = value.as_bytes().to_vec();
    bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).expect("ascii");
    let answer = fetch(&app, "/", Some(&format!("session={tampered}"))).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (http::StatusCode::OK, "1"),
        "a fresh session"
    );

    let text = logs.text();
    assert!(text.contains("WARN sesh:"), "{text}");
    assert!(text.contains("ignored a suspicious session value"), "{text}");
    assert!(text.contains("value="), "a hash names the value:\n{text}");
    assert!(
        !text.contains(&tampered) && !text.contains(value),
        "a cookie value reached the logs:\n{text}"
    );
}
