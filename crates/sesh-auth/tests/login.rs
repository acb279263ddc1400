//! Login, logout and the current user, over real TCP with cookie-keeping
//! clients.

mod common;

use std::sync::{Arc, atomic::Ordering};

use axum::{Router, http::StatusCode, routing::get};
use common::{Backend, Browser, start};
use sesh::{LimitPolicy, MemoryStore, SessionLayer, store::UserIndex as _};
use sesh_auth::{AuthLayer, CurrentUser};

#[tokio::test]
async fn login_with_the_right_password_binds_the_user_under_a_new_id() {
    let (_, store, addr) = start().await;
    let browser = Browser::new(addr);
    // A visitor's session first, with data of the app's own.
    assert_eq!(
        browser.post("/note", &[("text", "cart: 2 books")]).await.status,
        StatusCode::OK
    );
    let visitor = browser.session_cookie().expect("a visitor's session");

    browser.log_in("ada", "ada-pw").await;

    let logged_in = browser.session_cookie().expect("a session");
    assert_ne!(logged_in, visitor, "login must rotate the session ID");
    assert_eq!(browser.get("/me").await.body, "ada");
    assert_eq!(browser.get("/home").await.body, "hello ada");
    assert_eq!(
        browser.get("/note").await.body,
        "cart: 2 books",
        "a visitor's data survives login"
    );
    assert_eq!(store.user_sessions("ada").await.expect("index").len(), 1);
    // The ID the visitor had before the login leads nowhere now.
    let old = browser.get_with_cookie("/me", &visitor).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_wrong_password_or_an_unknown_user_logs_nobody_in() {
    let (_, store, addr) = start().await;
    let browser = Browser::new(addr);
    for (name, password) in [("ada", "wrong"), ("ada", ""), ("nobody", "ada-pw")] {
        let answer = browser
            .post("/login", &[("name", name), ("password", password)])
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}/{password}");
        assert_eq!(answer.body, "wrong name or password");
        assert!(
            answer.set_cookie.is_empty(),
            "no session for a failed login: {answer:?}"
        );
    }
    let me = browser.get("/me").await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    assert_eq!(me.body, "not logged in: log in first");
    assert_eq!(browser.get("/home").await.body, "hello visitor");
    assert!(store.user_sessions("ada").await.expect("index").is_empty());
}

#[tokio::test]
async fn logout_destroys_the_session_and_its_cookie() {
    let (_, store, addr) = start().await;
    let browser = Browser::new(addr);
    browser.log_in("ada", "ada-pw").await;
    let cookie = browser.session_cookie().expect("a session");

    let bye = browser.post("/logout", &[]).await;

    assert_eq!(bye.body, "bye");
    assert!(
        bye.set_cookie
            .iter()
            .any(|c| c.starts_with("session=;") && c.contains("Max-Age=0")),
        "the cookie is removed: {bye:?}"
    );
    assert_eq!(browser.session_cookie(), None);
    assert_eq!(browser.get("/me").await.status, StatusCode::UNAUTHORIZED);
    // A copy of the cookie is worthless: the record is gone.
    assert_eq!(
        browser.get_with_cookie("/me", &cookie).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(store.user_sessions("ada").await.expect("index").is_empty());
}

#[tokio::test]
async fn the_backend_is_asked_for_the_user_once_per_request_however_many_look() {
    let (backend, _, addr) = start().await;
    let browser = Browser::new(addr);
    browser.log_in("ada", "ada-pw").await;

    for _ in 0..3 {
        let before = backend.user_calls();
        // A guard, CurrentUser, Option<CurrentUser> and AuthSession::user.
        let answer = browser.get("/many").await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body, r#"ada Some("ada") Some("ada")"#);
        assert_eq!(backend.user_calls() - before, 1, "one backend call per request");
    }
    // And once per request: a new request asks again.
    let before = backend.user_calls();
    browser.get("/me").await;
    browser.get("/me").await;
    assert_eq!(backend.user_calls() - before, 2);
}

#[tokio::test]
async fn a_visitor_costs_no_backend_call() {
    let (backend, _, addr) = start().await;
    let browser = Browser::new(addr);
    assert_eq!(browser.get("/home").await.body, "hello visitor");
    assert_eq!(browser.get("/api/secret").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(backend.user_calls(), 0, "no session is bound: nothing to look up");
}

#[tokio::test]
async fn logging_in_as_another_user_starts_afresh() {
    let (_, store, addr) = start().await;
    let browser = Browser::new(addr);
    browser.log_in("ada", "ada-pw").await;
    browser.post("/note", &[("text", "ada's draft")]).await;

    browser.log_in("bob", "bob-pw").await;

    assert_eq!(browser.get("/me").await.body, "bob");
    assert_eq!(
        browser.get("/note").await.body,
        "",
        "ada's data must not reach bob"
    );
    assert!(store.user_sessions("ada").await.expect("index").is_empty());
    assert_eq!(store.user_sessions("bob").await.expect("index").len(), 1);
}

#[tokio::test]
async fn a_deleted_user_is_logged_out_on_the_next_request() {
    let (backend, store, addr) = start().await;
    let browser = Browser::new(addr);
    browser.log_in("bob", "bob-pw").await;

    backend.remove("bob");

    let answer = browser.get("/me").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(browser.session_cookie(), None, "the session's cookie is removed");
    assert!(store.user_sessions("bob").await.expect("index").is_empty());
}

#[tokio::test]
async fn a_failing_backend_answers_500_and_logs_nobody_out() {
    let (backend, store, addr) = start().await;
    let browser = Browser::new(addr);
    browser.log_in("ada", "ada-pw").await;

    backend.down.store(true, Ordering::SeqCst);
    for path in ["/me", "/api/secret", "/home"] {
        let answer = browser.get(path).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert_eq!(answer.body, "authentication error", "no internals in the body");
    }
    let login = browser
        .post("/login", &[("name", "ada"), ("password", "ada-pw")])
        .await;
    assert_eq!(login.status, StatusCode::INTERNAL_SERVER_ERROR);

    backend.down.store(false, Ordering::SeqCst);
    assert_eq!(
        browser.get("/me").await.body,
        "ada",
        "the session outlived the outage"
    );
    assert_eq!(store.user_sessions("ada").await.expect("index").len(), 1);
}

async fn me(CurrentUser(user): CurrentUser<Backend>) -> String {
    user.name
}

#[tokio::test]
async fn a_missing_layer_is_a_500_naming_the_fix() {
    let no_auth_layer = Router::new()
        .route("/me", get(me))
        .layer(SessionLayer::new(MemoryStore::new()).secure(false));
    let no_session_layer = Router::new()
        .route("/me", get(me))
        .route("/plain", get(|| async { "still served" }))
        .layer(AuthLayer::from_arc(Arc::new(Backend::default())));

    let browser = Browser::new(common::serve(no_auth_layer).await);
    let answer = browser.get("/me").await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        answer.body.contains("sesh_auth::AuthLayer::new(backend)"),
        "{}",
        answer.body
    );

    let browser = Browser::new(common::serve(no_session_layer).await);
    let answer = browser.get("/me").await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        answer.body.contains("sesh::SessionLayer::new(store)"),
        "{}",
        answer.body
    );
    assert_eq!(browser.get("/plain").await.body, "still served");
}

#[tokio::test]
async fn a_login_over_the_session_limit_answers_409_and_logs_nobody_in() {
    let store = MemoryStore::new();
    let sessions = SessionLayer::new(store.clone())
        .secure(false)
        .max_sessions_per_user(1, LimitPolicy::RefuseNew);
    let addr = common::serve(common::app::app_with(common::backend(), sessions)).await;
    let (first, second) = (Browser::new(addr), Browser::new(addr));
    first.log_in("ada", "ada-pw").await;

    let refused = second
        .post("/login", &[("name", "ada"), ("password", "ada-pw")])
        .await;

    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(second.get("/me").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(first.get("/me").await.body, "ada");
    assert_eq!(store.user_sessions("ada").await.expect("index").len(), 1);
}
