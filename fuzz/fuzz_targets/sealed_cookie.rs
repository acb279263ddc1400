//! Signed, private and client-side (cookie-only) sessions fed hostile
//! cookies: raw bytes, genuine cookies with bytes altered or cut off, and
//! arbitrary plaintext sealed with the server's own key (which reaches the
//! ID parser and the client-side payload decoder behind the seal).
//!
//! Nothing may panic and every answer is the handler's 2xx. An altered or
//! truncated genuine cookie must be refused: the request sees no session.
//! A genuine cookie, under the current or the previous key, must be honoured.
//!
//! Input: `[layer, route, how, rest..]`; `layer` picks signed, private or
//! client-side; `how` picks how `rest` becomes the request's cookies.
#![no_main]

use std::time::{Duration, SystemTime};

use axum::{Router, body::Body, routing::get};
use cookie::{Cookie, CookieJar};
use http::{HeaderValue, Request, header};
use http_body_util::BodyExt as _;
use libfuzzer_sys::fuzz_target;
use sesh::{Key, MemoryStore, Session, SessionLayer, UserSession, store::{Created, SessionStore as _, UserIndex as _}};
use tower::ServiceExt as _;

const CURRENT: [u8; 64] = *b"sesh fuzz current key: sixty-four bytes of not-so-secret data..!";
const PREVIOUS: [u8; 64] = *b"sesh fuzz previous key: also sixty-four bytes, rotated out now..";
const ROUTES: [&str; 5] = ["/", "/read", "/logout", "/rotate", "/login"];
/// What every handler answers for a session holding the genuine state.
const GENUINE: &str = "Some(Number(41))";
/// Plaintext sealed from fuzz input stays well inside the 4096-byte cookie,
/// so a handler's insert never legitimately overflows it.
const MAX_PLAINTEXT: usize = 1024;

/// Every handler answers what `n` was before it acted.
fn before(session: &Session) -> String {
    format!("{:?}", session.get_value("n"))
}

async fn counter(session: Session) -> Result<String, sesh::Error> {
    let was = before(&session);
    let n = session.get::<u64>("n").ok().flatten().unwrap_or(0);
    session.insert("n", n.saturating_add(1))?;
    Ok(was)
}

async fn read(session: Session) -> String {
    before(&session)
}

async fn logout(session: Session) -> String {
    let was = before(&session);
    session.destroy();
    was
}

async fn rotate(session: Session) -> String {
    let was = before(&session);
    session.cycle_id();
    was
}

async fn login(session: Session) -> Result<String, sesh::Error> {
    let was = before(&session);
    session.login("fuzz").await?;
    session.insert("n", 41)?;
    Ok(was)
}

fn app(layer: SessionLayer) -> Router {
    Router::new()
        .route(ROUTES[0], get(counter))
        .route(ROUTES[1], get(read))
        .route(ROUTES[2], get(logout))
        .route(ROUTES[3], get(rotate))
        .route(ROUTES[4], get(login))
        .layer(layer)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Signed,
    Private,
    ClientSide,
}

fn layer(kind: Kind, store: &MemoryStore, key: &[u8; 64], previous: Option<&[u8; 64]>) -> SessionLayer {
    let key = Key::from_bytes(key).expect("64 bytes");
    let layer = match kind {
        Kind::Signed => SessionLayer::new(store.clone()).signed(key),
        Kind::Private => SessionLayer::new(store.clone()).private(key),
        Kind::ClientSide => SessionLayer::client_side(key),
    };
    match previous {
        Some(old) => layer.previous_keys([Key::from_bytes(old).expect("64 bytes")]),
        None => layer,
    }
}

struct Answer {
    status: http::StatusCode,
    body: String,
    set_cookies: Vec<String>,
}

async fn send(app: &Router, route: &str, cookies: Vec<HeaderValue>) -> Answer {
    let mut req = Request::builder().uri(route);
    for cookie in cookies {
        req = req.header(header::COOKIE, cookie);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("a request"))
        .await
        .expect("infallible");
    let status = res.status();
    let set_cookies = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("Set-Cookie is ASCII").to_owned())
        .collect();
    let body = res.into_body().collect().await.expect("a body").to_bytes();
    Answer {
        status,
        body: String::from_utf8_lossy(&body).into_owned(),
        set_cookies,
    }
}

/// One layer kind with a genuine cookie under each key, and (for stores)
/// the records those cookies name, to restore before every input.
struct Fixture {
    kind: Kind,
    store: MemoryStore,
    app: Router,
    current: String,
    previous: String,
    records: Vec<UserSession>,
}

impl Fixture {
    async fn new(kind: Kind, store: MemoryStore) -> Self {
        let app = app(layer(kind, &store, &CURRENT, Some(&PREVIOUS)));
        // The same store behind a layer that still seals with the old key.
        let old = app_with_old_key(kind, &store);
        let current = genuine_cookie(&app).await;
        let previous = genuine_cookie(&old).await;
        let records = if kind == Kind::ClientSide {
            Vec::new()
        } else {
            let records = store.user_sessions("fuzz").await.expect("memory store");
            assert_eq!(records.len(), 2, "one session per key");
            records
        };
        Self {
            kind,
            store,
            app,
            current,
            previous,
            records,
        }
    }

    async fn reset(&self) {
        // Everything expires within a century: this empties the store.
        self.store
            .sweep(SystemTime::now() + Duration::from_secs(100 * 365 * 86_400));
        for s in &self.records {
            let created = self.store.create(&s.key, &s.record).await.expect("memory store");
            assert_eq!(created, Created::Created);
        }
    }
}

fn app_with_old_key(kind: Kind, store: &MemoryStore) -> Router {
    app(layer(kind, store, &PREVIOUS, None))
}

/// Logs in on `app` without a cookie; returns the cookie value it set.
async fn genuine_cookie(app: &Router) -> String {
    let answer = send(app, "/login", Vec::new()).await;
    let set = answer.set_cookies.first().expect("login sets the cookie");
    let pair = set.split(';').next().expect("a pair");
    pair.strip_prefix("session=")
        .expect("the session cookie")
        .to_owned()
}

/// `plaintext` encrypted as the private and client-side modes do: the
/// cookie crate's private jar (AES-256-GCM, the name as associated data).
fn seal_private(plaintext: &str) -> String {
    let key = cookie::Key::from(&CURRENT);
    let mut jar = CookieJar::new();
    jar.private_mut(&key)
        .add(Cookie::new("session", plaintext.to_owned()));
    jar.get("session").expect("just added").value().to_owned()
}

/// The request's cookies, and the answer the handler must give when the
/// session value decides it.
enum Plan {
    Cookies(Vec<HeaderValue>),
    Expect(Vec<HeaderValue>, Expected),
}

enum Expected {
    /// The genuine session was honoured.
    Genuine,
    /// An altered value was refused: no session.
    Refused,
}

fn header_lines(rest: &[u8]) -> Vec<HeaderValue> {
    rest.split(|&b| b == b'\n')
        .take(8)
        .filter_map(|line| HeaderValue::from_bytes(line).ok())
        .collect()
}

fn cookie(value: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("session={value}")).ok()
}

fn plan(f: &Fixture, how: u8, rest: &[u8]) -> Plan {
    match how % 6 {
        0 => Plan::Cookies(header_lines(rest)),
        // A genuine cookie first, whatever else follows: it must win.
        1 | 2 => {
            let value = if how % 6 == 1 { &f.current } else { &f.previous };
            let mut cookies = vec![cookie(value).expect("a genuine cookie is a header")];
            cookies.extend(header_lines(rest));
            Plan::Expect(cookies, Expected::Genuine)
        }
        // The genuine value with bytes changed in place.
        3 => {
            let mut bytes = f.current.clone().into_bytes();
            for (i, x) in rest.iter().enumerate().take(64) {
                let at = usize::from(*x) % bytes.len();
                bytes[at] ^= u8::try_from(i % 255 + 1).expect("below 256");
            }
            tampered(&f.current, &bytes)
        }
        // The genuine value cut short.
        4 => {
            let keep = rest.first().map_or(0, |&n| usize::from(n)) % f.current.len();
            tampered(&f.current, &f.current.as_bytes()[..keep])
        }
        // Arbitrary plaintext sealed with the server's own key: reaches
        // what runs after decryption (ID parsing, the client-side payload).
        _ if f.kind != Kind::Signed => {
            let text = String::from_utf8_lossy(&rest[..rest.len().min(MAX_PLAINTEXT)]);
            Plan::Cookies(cookie(&seal_private(&text)).into_iter().collect())
        }
        _ => Plan::Cookies(header_lines(rest)),
    }
}

fn tampered(genuine: &str, bytes: &[u8]) -> Plan {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Plan::Cookies(Vec::new());
    };
    match cookie(text) {
        // Whitespace around a cookie value is not part of it.
        Some(value) if text.trim() == genuine => Plan::Expect(vec![value], Expected::Genuine),
        Some(value) => Plan::Expect(vec![value], Expected::Refused),
        None => Plan::Cookies(Vec::new()),
    }
}

struct Fixtures {
    runtime: tokio::runtime::Runtime,
    all: [Fixture; 3],
}

thread_local! {
    static FIXTURES: Fixtures = {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        // Each store is made before `block_on`, outside the runtime, so no
        // sweeper task runs beside the fuzzer.
        let all = [Kind::Signed, Kind::Private, Kind::ClientSide]
            .map(|kind| runtime.block_on(Fixture::new(kind, MemoryStore::new())));
        Fixtures { runtime, all }
    };
}

fuzz_target!(|data: &[u8]| {
    let [layer, route, how, rest @ ..] = data else {
        return;
    };
    FIXTURES.with(|fixtures| {
        let f = &fixtures.all[usize::from(*layer) % 3];
        let route = ROUTES[usize::from(*route) % ROUTES.len()];
        let (cookies, expected) = match plan(f, *how, rest) {
            Plan::Cookies(cookies) => (cookies, None),
            Plan::Expect(cookies, expected) => (cookies, Some(expected)),
        };
        fixtures.runtime.block_on(async {
            f.reset().await;
            let answer = send(&f.app, route, cookies).await;
            assert!(
                answer.status.is_success(),
                "answered {}: {}",
                answer.status,
                answer.body
            );
            assert!(
                answer.set_cookies.len() <= 1,
                "several Set-Cookie: {:?}",
                answer.set_cookies
            );
            match expected {
                Some(Expected::Genuine) => assert_eq!(answer.body, GENUINE, "a genuine cookie was refused"),
                Some(Expected::Refused) => assert_eq!(answer.body, "None", "an altered cookie was honoured"),
                None => {}
            }
        });
    });
});
