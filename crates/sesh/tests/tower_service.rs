//! Sessions in a plain tower service over hyper, without axum: the layer
//! puts the `Session` in the request's extensions and the service loads it.
//!
//! Compiles and passes without sesh's default features too:
//! `cargo test -p sesh --no-default-features --test tower_service` (in CI).

use std::{convert::Infallible, net::SocketAddr};

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto::Builder,
    service::TowerToHyperService,
};
use sesh::{ErrorKind, MemoryStore, Session, SessionLayer};
use tokio::net::TcpListener;
use tower::{ServiceBuilder, service_fn};

/// Counts visits; `/unloaded` forgets to load first.
async fn handle(req: Request<Incoming>) -> Result<Response<String>, Infallible> {
    let session = req
        .extensions()
        .get::<Session>()
        .cloned()
        .expect("the layer puts a Session in every request");
    if req.uri().path() == "/unloaded" {
        let error = session.get::<u64>("visits").expect_err("not loaded");
        let message = format!("{:?} {error}", error.kind());
        return Ok(answer(StatusCode::INTERNAL_SERVER_ERROR, message));
    }
    if let Err(e) = session.load().await {
        return Ok(answer(StatusCode::SERVICE_UNAVAILABLE, e.to_string()));
    }
    let visits = session.get::<u64>("visits").unwrap_or_default().unwrap_or(0) + 1;
    match session.insert("visits", visits) {
        Ok(()) => Ok(answer(StatusCode::OK, visits.to_string())),
        Err(e) => Ok(answer(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())),
    }
}

fn answer(status: StatusCode, body: String) -> Response<String> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    response
}

async fn serve() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let service = ServiceBuilder::new()
        .layer(SessionLayer::new(MemoryStore::new()).secure(false))
        .service(service_fn(handle));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let service = TowerToHyperService::new(service.clone());
            tokio::spawn(async move {
                let _ = Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_tower_service_loads_and_writes_its_session() {
    let base = format!("http://{}", serve().await);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    for want in ["1", "2", "3"] {
        let res = client.get(format!("{base}/")).send().await.expect("request");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.text().await.expect("body"), want, "the writes were stored");
    }
    // Another client is another session.
    let other = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let res = other.get(format!("{base}/")).send().await.expect("request");
    assert_eq!(res.text().await.expect("body"), "1");
}

#[tokio::test]
async fn using_a_session_before_loading_it_is_a_clear_error() {
    let base = format!("http://{}", serve().await);
    let res = reqwest::get(format!("{base}/unloaded")).await.expect("request");
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = res.text().await.expect("body");
    assert!(body.contains(&format!("{:?}", ErrorKind::NotLoaded)), "{body}");
    assert!(
        body.contains("session.load().await"),
        "the error names the fix: {body}"
    );
}

#[tokio::test]
async fn methods_without_a_result_panic_naming_the_fix_before_load() {
    use tower::ServiceExt as _;
    let service = ServiceBuilder::new()
        .layer(SessionLayer::new(MemoryStore::new()))
        .service(service_fn(|req: Request<String>| async move {
            let session = req.extensions().get::<Session>().cloned().expect("a Session");
            let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| session.remove("k")))
                .expect_err("remove before load panics");
            let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
            Ok::<_, Infallible>(Response::new(message))
        }));
    let res = service
        .oneshot(Request::new(String::new()))
        .await
        .expect("infallible");
    assert!(res.body().contains("session.load().await"), "{}", res.body());
    assert!(res.headers().get("set-cookie").is_none(), "nothing was stored");
}
