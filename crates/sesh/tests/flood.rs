//! A flood of session values in one request: one log event, bounded work.
//!
//! The only test in its binary: tracing caches per call site whether anyone
//! listens, so tests on other threads without a subscriber could make this
//! one lose events.

use std::{
    io::Write,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{Router, routing::get};
use sesh::{Key, MemoryStore, Session, SessionLayer};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{TcpListener, TcpStream},
};
use tracing_subscriber::fmt::MakeWriter;

fn app(layer: SessionLayer) -> Router {
    Router::new()
        .route(
            "/read",
            get(|s: Session| async move { s.get::<u64>("n").map(|n| n.unwrap_or(0).to_string()) }),
        )
        .route("/health", get(|| async { "ok" }))
        .layer(layer)
}

async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

/// Sends `GET path` with `cookie` as one `Cookie` header over TCP.
async fn raw_get(addr: SocketAddr, path: &str, cookie: &[u8]) -> (String, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: ").into_bytes();
    request.extend_from_slice(cookie);
    request.extend_from_slice(b"\r\n\r\n");
    stream.write_all(&request).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    (head.to_owned(), body.to_owned())
}

/// Collects what the subscriber writes.
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

/// 38,000 `session=x` pairs in one 380 KB header, on a route that never
/// uses the session, under each seal: one warning with the count, and
/// only three values opened.
#[tokio::test]
async fn a_flood_of_session_values_logs_once_and_opens_three() {
    let flood = vec!["session=x"; 38_000].join("; ");
    assert!(flood.len() > 380_000);
    let layers = [
        ("plain", SessionLayer::new(MemoryStore::new())),
        (
            "signed",
            SessionLayer::new(MemoryStore::new()).signed(Key::generate()),
        ),
        (
            "private",
            SessionLayer::new(MemoryStore::new()).private(Key::generate()),
        ),
        ("client-side", SessionLayer::client_side(Key::generate())),
    ];
    for (mode, layer) in layers {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .finish();
        // Current-thread test runtime: the server's tasks log here too.
        let _guard = tracing::subscriber::set_default(subscriber);
        let addr = serve(app(layer)).await;
        for path in ["/health", "/read"] {
            let (head, body) = raw_get(addr, path, flood.as_bytes()).await;
            assert!(head.starts_with("HTTP/1.1 200"), "{mode} {path}: {head}");
            assert!(body == "ok" || body == "0", "{mode} {path}: {body}");
        }
        let log = String::from_utf8(captured.0.lock().expect("log").clone()).expect("utf-8");
        let warnings: Vec<&str> = log.lines().filter(|l| l.contains("WARN")).collect();
        assert_eq!(warnings.len(), 2, "{mode}: one warning per request:\n{log}");
        for warning in warnings {
            assert!(
                warning.contains("refused=3") && warning.contains("skipped=37997"),
                "{mode}: three opened, the rest counted unread: {warning}"
            );
        }
        assert!(
            log.len() < 4096,
            "{mode}: {} bytes of log for two requests",
            log.len()
        );
    }
}
