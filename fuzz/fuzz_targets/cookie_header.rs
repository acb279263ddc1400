//! The whole layer fed hostile `Cookie` headers (or, with the header
//! transport, hostile `x-session-id` headers): whatever the client sends,
//! the answer is the handler's (2xx, never a 4xx/5xx from the layer), nothing
//! panics, and a session ID the client chose is never adopted.
//!
//! Input: the first byte picks a route and the transport, the rest is split
//! on `\n` into up to eight headers. One session exists in the store under
//! [`KNOWN`], so the fuzzer can also reach the paths of a live session.
//!
//! With bit 6 of the first byte set, the input is instead read as a browser's
//! `Cookie` header around the live session: pairs of other cookies with
//! whatever bytes (non-ASCII included), duplicate `session=` pairs of junk,
//! and `session=KNOWN` at a position the input picks. If fewer than
//! [`MAX_TRIED`] non-empty session values come before it, the live session
//! must be found; whatever comes before, nothing else may be adopted.
#![no_main]

use std::time::{Duration, SystemTime};

use axum::{Router, body::Body, routing::get};
use http::{HeaderValue, Request};
use libfuzzer_sys::fuzz_target;
use sesh::{Expiry, MemoryStore, Session, SessionId, SessionLayer, store::{Created, Record, SessionStore as _}};
use tower::ServiceExt as _;

/// The stored session's ID (also in the seed corpus).
const KNOWN: &str = "c2VzaCBmdXp6OiB0aGUgb25lIHN0b3JlZCBzZXNzbi4";
const ROUTES: [&str; 4] = ["/", "/read", "/logout", "/rotate"];
/// How many session values the layer opens per request.
const MAX_TRIED: usize = 3;

/// The request and response header of the header transport.
const SESSION_HEADER: &str = "x-session-id";

async fn counter(session: Session) -> Result<String, sesh::Error> {
    let n: u64 = session.get("n")?.unwrap_or(0) + 1;
    session.insert("n", n)?;
    Ok(n.to_string())
}

async fn read(session: Session) -> String {
    format!("{:?}", session.get_value("n"))
}

async fn logout(session: Session) -> &'static str {
    session.destroy();
    "bye"
}

async fn rotate(session: Session) -> &'static str {
    session.cycle_id();
    "rotated"
}

/// Where the session value travels in one input.
#[derive(Clone, Copy)]
enum Transport {
    Cookie,
    Header,
}

impl Transport {
    fn of(data: &[u8]) -> Self {
        if data.first().copied().unwrap_or(0) & 0x80 == 0 {
            Self::Cookie
        } else {
            Self::Header
        }
    }

    fn request_header(self) -> &'static str {
        match self {
            Self::Cookie => "cookie",
            Self::Header => SESSION_HEADER,
        }
    }

    fn response_header(self) -> &'static str {
        match self {
            Self::Cookie => "set-cookie",
            Self::Header => SESSION_HEADER,
        }
    }
}

fn request(data: &[u8], transport: Transport) -> Request<Body> {
    let route = ROUTES[usize::from(data.first().copied().unwrap_or(0)) % ROUTES.len()];
    let mut req = Request::builder().uri(route);
    for line in data.get(1..).unwrap_or_default().split(|&b| b == b'\n').take(8) {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            req = req.header(transport.request_header(), value);
        }
    }
    req.body(Body::empty()).expect("a request")
}

/// Every value the request offers for the session, loosely split.
fn offered(req: &Request<Body>, transport: Transport) -> Vec<String> {
    let values = req
        .headers()
        .get_all(transport.request_header())
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    match transport {
        Transport::Header => values.map(|v| v.trim().to_owned()).collect(),
        Transport::Cookie => values
            .flat_map(|v| v.split(';').map(str::to_owned).collect::<Vec<_>>())
            .filter_map(|pair| pair.trim().strip_prefix("session=").map(|v| v.trim().to_owned()))
            .collect(),
    }
}

/// The session value a response hands out must be a well-formed ID the
/// server chose (or the one it already had), or empty to end the session.
fn check_issued(value: &HeaderValue, transport: Transport, offered: &[String]) {
    let text = value.to_str().expect("the issued value is ASCII");
    let id = match transport {
        Transport::Header => text,
        Transport::Cookie => {
            let pair = text.split(';').next().unwrap_or_default();
            pair.strip_prefix("session=").expect("the session cookie")
        }
    };
    if id.is_empty() {
        return; // the session ended
    }
    assert!(SessionId::parse(id).is_ok(), "issued a malformed ID: {text}");
    assert!(
        id == KNOWN || !offered.iter().any(|o| o == id),
        "adopted a client-chosen ID: {text}"
    );
}

/// One app for the whole run; each input starts from a store holding only
/// the known session.
struct Fixture {
    store: MemoryStore,
    cookie_app: Router,
    header_app: Router,
    runtime: tokio::runtime::Runtime,
}

impl Fixture {
    fn new() -> Self {
        // Made outside the runtime, so no sweeper task runs beside the fuzzer.
        let store = MemoryStore::new();
        let routes = Router::new()
            .route(ROUTES[0], get(counter))
            .route(ROUTES[1], get(read))
            .route(ROUTES[2], get(logout))
            .route(ROUTES[3], get(rotate));
        let cookie_app = routes.clone().layer(SessionLayer::new(store.clone()));
        let header_app = routes.layer(SessionLayer::new(store.clone()).header(SESSION_HEADER));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        Self {
            store,
            cookie_app,
            header_app,
            runtime,
        }
    }

    async fn reset(&self) {
        // Everything expires a century from now: this empties the store.
        self.store
            .sweep(SystemTime::now() + Duration::from_secs(100 * 365 * 86_400));
        let mut record = Record::new(SystemTime::now(), &Expiry::new());
        record.data.insert("n".into(), 41.into());
        let known = SessionId::parse(KNOWN).expect("KNOWN is canonical");
        let created = self
            .store
            .create(&known.key(), &record)
            .await
            .expect("memory store");
        assert_eq!(created, Created::Created);
    }
}

thread_local! {
    static FIXTURE: Fixture = Fixture::new();
}

/// A `Cookie` header built from `data` around `session=KNOWN`, and whether
/// the layer must find the live session in it.
fn crowded_cookie(data: &[u8]) -> (Vec<u8>, bool) {
    let mut header = Vec::new();
    let mut session_values_before = 0;
    let position = usize::from(data.get(1).copied().unwrap_or(0) % 8);
    let mut pairs = data.get(2..).unwrap_or_default().split(|&b| b == b'|');
    for i in 0..8 {
        if !header.is_empty() {
            header.extend_from_slice(b"; ");
        }
        if i == position {
            header.extend_from_slice(format!("session={KNOWN}").as_bytes());
            continue;
        }
        // Bytes a header value may hold, `;` aside: obs-text included.
        let junk: Vec<u8> = pairs
            .next()
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(|&b| b != b';' && (b == b'\t' || (b >= 0x20 && b != 0x7f)))
            .collect();
        if junk.first().is_some_and(|&b| b & 1 == 1) {
            // A duplicate session cookie of junk.
            header.extend_from_slice(b"session=");
            header.extend_from_slice(&junk[1..]);
            if i < position && !junk[1..].trim_ascii().is_empty() {
                session_values_before += 1;
            }
        } else {
            header.extend_from_slice(format!("c{i}=").as_bytes());
            header.extend_from_slice(&junk);
        }
    }
    (header, session_values_before < MAX_TRIED)
}

fn crowded(data: &[u8], f: &Fixture) {
    let (header, must_find) = crowded_cookie(data);
    let Ok(value) = HeaderValue::from_bytes(&header) else {
        return;
    };
    let req = Request::builder()
        .uri(ROUTES[1])
        .header("cookie", value)
        .body(Body::empty())
        .expect("a request");
    f.runtime.block_on(async {
        f.reset().await;
        let res = f.cookie_app.clone().oneshot(req).await.expect("infallible");
        assert!(res.status().is_success(), "answered {}", res.status());
        let body = http_body_util::BodyExt::collect(res.into_body())
            .await
            .expect("a body")
            .to_bytes();
        let found = body.as_ref() == b"Some(Number(41))";
        assert!(found || !must_find, "the live session was hidden: {header:?}");
        assert!(found || body.as_ref() == b"None", "read {body:?}");
    });
}

fuzz_target!(|data: &[u8]| {
    if data.first().is_some_and(|b| b & 0x40 != 0) {
        FIXTURE.with(|f| crowded(data, f));
        return;
    }
    let transport = Transport::of(data);
    let req = request(data, transport);
    let offered = offered(&req, transport);
    FIXTURE.with(|f| {
        let app = match transport {
            Transport::Cookie => &f.cookie_app,
            Transport::Header => &f.header_app,
        };
        f.runtime.block_on(async {
            f.reset().await;
            let res = app.clone().oneshot(req).await.expect("infallible");
            assert!(res.status().is_success(), "answered {}", res.status());
            let issued = res.headers().get_all(transport.response_header());
            assert!(issued.iter().count() <= 1, "several session values issued");
            for value in issued {
                check_issued(value, transport, &offered);
            }
            http_body_util::BodyExt::collect(res.into_body())
                .await
                .expect("a body");
        });
    });
});
