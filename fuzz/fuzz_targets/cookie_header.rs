//! The whole layer fed hostile `Cookie` headers: whatever the client sends,
//! the answer is the handler's (2xx, never a 4xx/5xx from the layer), nothing
//! panics, and a session ID the client chose is never adopted.
//!
//! Input: the first byte picks a route, the rest is split on `\n` into up
//! to eight `Cookie` headers. One session exists in the store under
//! [`KNOWN`], so the fuzzer can also reach the paths of a live session.
#![no_main]

use std::time::{Duration, SystemTime};

use axum::{Router, body::Body, routing::get};
use http::{HeaderValue, Request, header};
use libfuzzer_sys::fuzz_target;
use sesh::{Created, Expiry, MemoryStore, Record, Session, SessionId, SessionLayer, SessionStore as _};
use tower::ServiceExt as _;

/// The stored session's ID (also in the seed corpus).
const KNOWN: &str = "c2VzaCBmdXp6OiB0aGUgb25lIHN0b3JlZCBzZXNzbi4";
const ROUTES: [&str; 4] = ["/", "/read", "/logout", "/rotate"];

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

fn request(data: &[u8]) -> Request<Body> {
    let route = ROUTES[usize::from(data.first().copied().unwrap_or(0)) % ROUTES.len()];
    let mut req = Request::builder().uri(route);
    for line in data.get(1..).unwrap_or_default().split(|&b| b == b'\n').take(8) {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            req = req.header(header::COOKIE, value);
        }
    }
    req.body(Body::empty()).expect("a request")
}

/// Every value the request offers for the `session` cookie, loosely split.
fn offered(req: &Request<Body>) -> Vec<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .into_owned()
                .split(';')
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter_map(|pair| pair.trim().strip_prefix("session=").map(|v| v.trim().to_owned()))
        .collect()
}

fn check_set_cookie(value: &HeaderValue, offered: &[String]) {
    let text = value.to_str().expect("Set-Cookie is ASCII");
    let pair = text.split(';').next().unwrap_or_default();
    let id = pair.strip_prefix("session=").expect("the session cookie");
    if id.is_empty() {
        return; // a removal cookie
    }
    assert!(SessionId::parse(id).is_ok(), "set a malformed ID: {text}");
    assert!(
        id == KNOWN || !offered.iter().any(|o| o == id),
        "adopted a client-chosen ID: {text}"
    );
}

/// One app for the whole run; each input starts from a store holding only
/// the known session.
struct Fixture {
    store: MemoryStore,
    app: Router,
    runtime: tokio::runtime::Runtime,
}

impl Fixture {
    fn new() -> Self {
        // Made outside the runtime, so no sweeper task runs beside the fuzzer.
        let store = MemoryStore::new();
        let app = Router::new()
            .route(ROUTES[0], get(counter))
            .route(ROUTES[1], get(read))
            .route(ROUTES[2], get(logout))
            .route(ROUTES[3], get(rotate))
            .layer(SessionLayer::new(store.clone()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        Self { store, app, runtime }
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

fuzz_target!(|data: &[u8]| {
    let req = request(data);
    let offered = offered(&req);
    FIXTURE.with(|f| {
        f.runtime.block_on(async {
            f.reset().await;
            let res = f.app.clone().oneshot(req).await.expect("infallible");
            assert!(res.status().is_success(), "answered {}", res.status());
            for value in res.headers().get_all(header::SET_COOKIE) {
                check_set_cookie(value, &offered);
            }
            http_body_util::BodyExt::collect(res.into_body())
                .await
                .expect("a body");
        });
    });
});
