//! The benchmark routes do what the load driver relies on, on every
//! implementation and store: `/new` sets a cookie, `/read` and `/write`
//! see that session and answer 410 without one, `/untouched` sets nothing.
#![allow(clippy::unwrap_used)]

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt as _;
use sesh_bench::{
    Impl, Store,
    stores::{self, RedisOptions},
};
use tower::ServiceExt as _;

struct Answer {
    status: StatusCode,
    body: String,
    /// The whole `Set-Cookie` value.
    set_cookie: Option<String>,
}

impl Answer {
    /// The `name=value` pair a client sends back.
    fn cookie(&self) -> Option<String> {
        let set_cookie = self.set_cookie.as_deref()?;
        Some(set_cookie.split(';').next().unwrap().to_owned())
    }
}

async fn get(app: &Router, path: &str, cookie: Option<&str>) -> Answer {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let set_cookie = response
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        body: String::from_utf8(body.to_vec()).unwrap(),
        set_cookie,
    }
}

async fn check_session_routes(app: &Router, name: &str) {
    let created = get(app, "/new", None).await;
    assert_eq!(created.status, StatusCode::OK, "{name}");
    let cookie = created.cookie().expect("/new sets the session cookie");
    let attributes = created.set_cookie.unwrap().to_ascii_lowercase();
    assert!(
        !attributes.contains("secure"),
        "{name}: plain HTTP needs no Secure: {attributes}"
    );

    let read = get(app, "/read", Some(&cookie)).await;
    assert_eq!((read.status, read.body.as_str()), (StatusCode::OK, "1"), "{name}");
    let written = get(app, "/write", Some(&cookie)).await;
    assert_eq!(
        (written.status, written.body.as_str()),
        (StatusCode::OK, "2"),
        "{name}"
    );
    let read = get(app, "/read", Some(&cookie)).await;
    assert_eq!(read.body, "2", "{name}: the write was stored");

    for path in ["/read", "/write"] {
        let none = get(app, path, None).await;
        assert_eq!(none.status, StatusCode::GONE, "{name} {path} without a session");
        assert_eq!(none.set_cookie, None, "{name} {path} creates nothing");
    }
    let untouched = get(app, "/untouched", Some(&cookie)).await;
    assert_eq!(
        (untouched.status, untouched.set_cookie),
        (StatusCode::OK, None),
        "{name}"
    );
}

#[tokio::test]
async fn memory_store_routes_work_on_both_libraries_and_the_floor() {
    let redis = RedisOptions::default();
    for implementation in [Impl::Sesh, Impl::TowerSessions, Impl::Floor] {
        let app = stores::app(implementation, Store::Memory, &redis).await.unwrap();
        check_session_routes(&app, implementation.name()).await;
    }
}

#[tokio::test]
async fn redis_store_routes_work_on_both_libraries_and_the_floor() {
    let redis = RedisOptions::from_env();
    let cases = [Store::Redis, Store::RedisCached]
        .into_iter()
        .flat_map(|store| [(store, Impl::Sesh), (store, Impl::TowerSessions)])
        .chain([(Store::Redis, Impl::Floor)]);
    for (store, implementation) in cases {
        let app = match stores::app(implementation, store, &redis).await {
            Ok(app) => app,
            Err(e) => return sesh_store_tests::server_unreachable("Redis", &redis.url, &*e),
        };
        check_session_routes(&app, &format!("{implementation} over {store}")).await;
    }
}

#[tokio::test]
async fn bare_routes_answer_without_sessions() {
    let app = stores::app(Impl::Bare, Store::Memory, &RedisOptions::default())
        .await
        .unwrap();
    for path in ["/untouched", "/read", "/write", "/new"] {
        let answer = get(&app, path, None).await;
        assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, "ok"));
        assert_eq!(answer.set_cookie, None);
    }
}
