//! What a hostile or merely messy `Cookie` header does to a valid session:
//! other cookies' non-ASCII bytes, stale duplicates. Over real TCP where
//! the bytes on the wire matter. Floods are in `flood.rs`.

mod common;

use std::net::SocketAddr;

use axum::{Router, routing::get};
use common::{counter, get as fetch, read, send_with};
use sesh::{MemoryStore, SessionId, SessionLayer};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{TcpListener, TcpStream},
};

fn app(layer: SessionLayer) -> Router {
    Router::new()
        .route("/", get(counter))
        .route("/read", get(read))
        .route("/health", get(|| async { "ok" }))
        .layer(layer)
}

async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

/// Sends `GET path` with `cookie` as the raw bytes of one `Cookie` header;
/// returns the response head and body as text (lossy).
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

/// A session with `n = 1`, and its `name=value` cookie pair.
async fn live_session(addr: SocketAddr) -> String {
    let (head, body) = raw_get(addr, "/", b"").await;
    assert_eq!(body, "1");
    let set = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .expect("a Set-Cookie");
    set.split(';').next().expect("a pair").to_owned()
}

#[tokio::test]
async fn a_non_ascii_cookie_beside_the_session_does_not_log_the_user_out() {
    let addr = serve(app(SessionLayer::new(MemoryStore::new()).secure(false))).await;
    let pair = live_session(addr).await;
    // What a browser sends once another part of the site set a UTF-8 cookie.
    for header in [
        format!("lang=français; {pair}"),
        format!("{pair}; lang=français"),
        format!("théme=\u{1F600}; {pair}; x=caf\u{e9}"),
    ] {
        let (head, body) = raw_get(addr, "/read", header.as_bytes()).await;
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert_eq!(body, "1", "the session was found through {header:?}");
    }
    // Bytes that are not even UTF-8 (obs-text) beside it.
    let mut latin1 = b"lang=fran\xe7ais; ".to_vec();
    latin1.extend_from_slice(pair.as_bytes());
    let (_, body) = raw_get(addr, "/", &latin1).await;
    assert_eq!(body, "2", "and writes reach the same session");
}

#[tokio::test]
async fn split_cookie_headers_with_non_ascii_still_carry_the_session() {
    // HTTP/2 clients may send each cookie in a header of its own.
    let app = app(SessionLayer::new(MemoryStore::new()));
    let pair = fetch(&app, "/", None).await.cookie_pair();
    let junk = http::HeaderValue::from_bytes("lang=français".as_bytes()).expect("obs-text");
    let answer = send_with(
        &app,
        "/read",
        &[
            (http::header::COOKIE, junk),
            (http::header::COOKIE, pair.parse().expect("ascii")),
        ],
    )
    .await;
    assert_eq!(answer.body, "1");
}

#[tokio::test]
async fn a_stale_duplicate_before_the_live_cookie_does_not_hide_it() {
    let app = app(SessionLayer::new(MemoryStore::new()));
    let live = fetch(&app, "/", None).await.cookie_pair();
    // A well-formed ID that names no session, as a cookie of a more
    // specific path (sent first) left over from an old login would.
    let stale = format!("session={}", SessionId::generate().encode());
    let header = format!("{stale}; {stale}; {live}");
    let answer = fetch(&app, "/", Some(&header)).await;
    assert_eq!(answer.body, "2", "the live session behind two stale ones loaded");
    assert!(answer.set_cookie().is_none(), "and it kept its cookie");
}

#[tokio::test]
async fn only_the_first_three_values_are_tried() {
    let app = app(SessionLayer::new(MemoryStore::new()));
    let live = fetch(&app, "/", None).await.cookie_pair();
    let stale = format!("session={}", SessionId::generate().encode());
    let header = format!("{stale}; session=junk; {stale}; {live}");
    let answer = fetch(&app, "/", Some(&header)).await;
    assert_eq!(
        answer.body, "1",
        "the fourth value is never opened: a new session"
    );
}
