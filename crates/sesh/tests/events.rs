//! The layer's log events: create, rotate, destroy and store failures are
//! recorded with a salted hash of the session, never the session ID.

mod common;

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use axum::{Router, routing::get};
use common::{DownStore, counter, get as fetch};
use sesh::{MemoryStore, Session, SessionId, SessionLayer};
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
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

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
