//! Helpers shared by the layer's test files.

// Each test file uses a different subset of these helpers.
#![allow(dead_code, unreachable_pub)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::SystemTime,
};

use async_trait::async_trait;
use axum::{Router, body::Body};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode, header};
use http_body_util::BodyExt as _;
use sesh::{
    Error, MemoryStore, StoreKey,
    store::{Applied, Changes, Created, Record, Saved, SessionStore},
};
use tower::ServiceExt as _;

/// `GET /`: increments `n` and answers it.
pub async fn counter(session: sesh::Session) -> Result<String, Error> {
    let n: u64 = session.get("n")?.unwrap_or(0) + 1;
    session.insert("n", n)?;
    Ok(n.to_string())
}

/// `GET /read`: answers `n` without changing it.
pub async fn read(session: sesh::Session) -> Result<String, Error> {
    Ok(session.get::<u64>("n")?.unwrap_or(0).to_string())
}

/// How many times each store method was called.
#[derive(Debug, Default)]
pub struct Counts {
    pub load: AtomicUsize,
    pub create: AtomicUsize,
    pub save: AtomicUsize,
    pub touch: AtomicUsize,
    pub delete: AtomicUsize,
    pub apply: AtomicUsize,
}

impl Counts {
    /// `[load, create, save, touch, delete, apply]`.
    pub fn snapshot(&self) -> [usize; 6] {
        [
            &self.load,
            &self.create,
            &self.save,
            &self.touch,
            &self.delete,
            &self.apply,
        ]
        .map(|c| c.load(Ordering::SeqCst))
    }

    pub fn total(&self) -> usize {
        self.snapshot().iter().sum()
    }

    /// Calls that write: create, save, apply (touch and delete are counted apart).
    pub fn writes(&self) -> usize {
        let [_, create, save, _, _, apply] = self.snapshot();
        create + save + apply
    }
}

/// A memory store that counts every call.
#[derive(Debug, Clone, Default)]
pub struct CountingStore {
    pub inner: MemoryStore,
    pub counts: Arc<Counts>,
}

fn bump(c: &AtomicUsize) {
    c.fetch_add(1, Ordering::SeqCst);
}

#[async_trait]
impl SessionStore for CountingStore {
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        bump(&self.counts.load);
        self.inner.load(key).await
    }
    async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
        bump(&self.counts.create);
        self.inner.create(key, record).await
    }
    async fn save(&self, key: &StoreKey, record: &Record, expected: u64) -> Result<Saved, Error> {
        bump(&self.counts.save);
        self.inner.save(key, record, expected).await
    }
    async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
        bump(&self.counts.touch);
        self.inner.touch(key, expires_at).await
    }
    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        bump(&self.counts.delete);
        self.inner.delete(key).await
    }
    async fn apply(&self, key: &StoreKey, merged: &Record, changes: &Changes) -> Result<Applied, Error> {
        bump(&self.counts.apply);
        self.inner.apply(key, merged, changes).await
    }
}

/// A store whose backend is always down.
#[derive(Debug, Clone, Copy)]
pub struct DownStore;

fn down() -> Error {
    Error::store(std::io::Error::new(
        std::io::ErrorKind::ConnectionRefused,
        "store is down",
    ))
}

#[async_trait]
impl SessionStore for DownStore {
    async fn load(&self, _: &StoreKey) -> Result<Option<Record>, Error> {
        Err(down())
    }
    async fn create(&self, _: &StoreKey, _: &Record) -> Result<Created, Error> {
        Err(down())
    }
    async fn save(&self, _: &StoreKey, _: &Record, _: u64) -> Result<Saved, Error> {
        Err(down())
    }
    async fn touch(&self, _: &StoreKey, _: SystemTime) -> Result<(), Error> {
        Err(down())
    }
    async fn delete(&self, _: &StoreKey) -> Result<(), Error> {
        Err(down())
    }
}

/// What a test looks at in a response.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    /// The one `Set-Cookie` header, if any.
    pub fn set_cookie(&self) -> Option<String> {
        let mut all = self.headers.get_all(header::SET_COOKIE).iter();
        let first = all.next().map(|v| v.to_str().expect("ascii").to_owned());
        assert!(all.next().is_none(), "more than one Set-Cookie");
        first
    }

    /// `name=value` of the `Set-Cookie`, ready to send back as `Cookie`.
    pub fn cookie_pair(&self) -> String {
        let set = self.set_cookie().expect("a Set-Cookie");
        set.split(';').next().expect("a pair").to_owned()
    }
}

/// Sends one request through `app` in-process.
pub async fn send(app: &Router, method: &str, uri: &str, cookie: Option<&str>) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    let res: Response<Body> = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    answer(res).await
}

/// Sends `GET uri` with `headers` (repeated names are all sent) through
/// `app` in-process.
pub async fn send_with(app: &Router, uri: &str, headers: &[(HeaderName, HeaderValue)]) -> Answer {
    let mut req = Request::builder().uri(uri).body(Body::empty()).expect("request");
    for (name, value) in headers {
        req.headers_mut().append(name.clone(), value.clone());
    }
    answer(app.clone().oneshot(req).await.expect("infallible")).await
}

async fn answer(res: Response<Body>) -> Answer {
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).expect("utf-8"),
    }
}

pub async fn get(app: &Router, uri: &str, cookie: Option<&str>) -> Answer {
    send(app, "GET", uri, cookie).await
}
