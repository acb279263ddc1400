//! Sessions bound to users, in-process: login rotation, unbinding, the
//! index seen from a request, and the per-user session limit.

mod common;

use axum::{Router, extract::Path, http::StatusCode, routing::get};
use common::{CountingStore, get as fetch};
use sesh::{
    LimitPolicy, MemoryStore, Session, SessionLayer,
    store::{SessionStore, UserIndex},
};

async fn login(session: Session, Path(user): Path<String>) -> Result<String, sesh::Error> {
    session.login(&user).await?;
    Ok(user)
}

async fn me(session: Session) -> (StatusCode, String) {
    match session.user() {
        Some(user) => (StatusCode::OK, user),
        None => (StatusCode::UNAUTHORIZED, String::new()),
    }
}

async fn count(session: Session) -> Result<String, sesh::Error> {
    Ok(session.user_sessions().await?.len().to_string())
}

async fn clear(session: Session) {
    session.clear();
}

async fn others(session: Session) -> Result<String, sesh::Error> {
    Ok(session.end_other_sessions().await?.to_string())
}

fn routes() -> Router {
    Router::new()
        .route("/login/{user}", get(login))
        .route("/me", get(me))
        .route("/count", get(count))
        .route("/clear", get(clear))
        .route("/others", get(others))
}

fn app(store: MemoryStore, layer: impl FnOnce(SessionLayer) -> SessionLayer) -> Router {
    routes().layer(layer(SessionLayer::new(store)))
}

async fn log_in(app: &Router, user: &str) -> String {
    let answer = fetch(app, &format!("/login/{user}"), None).await;
    assert_eq!(answer.status, StatusCode::OK, "login of {user}");
    answer.cookie_pair()
}

#[tokio::test]
async fn login_rotates_the_id_and_binds_the_user() {
    let store = MemoryStore::new();
    let app = app(store.clone(), |l| l);
    let anonymous = fetch(&app, "/login/ada", None).await.cookie_pair();
    let again = fetch(&app, "/login/ada", Some(&anonymous)).await;
    let rotated = again.cookie_pair();
    assert_ne!(rotated, anonymous, "login must issue a new ID");
    assert_eq!(
        fetch(&app, "/me", Some(&anonymous)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(fetch(&app, "/me", Some(&rotated)).await.body, "ada");
    assert_eq!(store.user_sessions("ada").await.expect("list").len(), 1);
}

#[tokio::test]
async fn clear_unbinds_the_user_from_the_index() {
    let store = MemoryStore::new();
    let app = app(store.clone(), |l| l);
    let cookie = log_in(&app, "ada").await;
    fetch(&app, "/clear", Some(&cookie)).await;
    assert_eq!(
        fetch(&app, "/me", Some(&cookie)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(store.user_sessions("ada").await.expect("list").is_empty());
}

#[tokio::test]
async fn a_request_sees_its_users_sessions_and_ends_the_others() {
    let store = MemoryStore::new();
    let app = app(store.clone(), |l| l);
    let first = log_in(&app, "ada").await;
    let second = log_in(&app, "ada").await;
    let bob = log_in(&app, "bob").await;
    assert_eq!(fetch(&app, "/count", Some(&second)).await.body, "2");
    assert_eq!(fetch(&app, "/others", Some(&second)).await.body, "1");
    assert_eq!(
        fetch(&app, "/me", Some(&first)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(fetch(&app, "/me", Some(&second)).await.body, "ada");
    assert_eq!(fetch(&app, "/me", Some(&bob)).await.body, "bob");
}

#[tokio::test]
async fn refuse_new_policy_answers_409_and_keeps_the_old_sessions() {
    let store = MemoryStore::new();
    let app = app(store.clone(), |l| {
        l.max_sessions_per_user(2, LimitPolicy::RefuseNew)
    });
    let kept = [log_in(&app, "ada").await, log_in(&app, "ada").await];
    let refused = fetch(&app, "/login/ada", None).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.body.contains("too many sessions"),
        "body: {}",
        refused.body
    );
    assert!(refused.set_cookie().is_none(), "a refused login sets no cookie");
    for cookie in &kept {
        assert_eq!(fetch(&app, "/me", Some(cookie)).await.body, "ada");
    }
    // Logging in again from a session that is already counted is allowed.
    assert_eq!(
        fetch(&app, "/login/ada", Some(&kept[0])).await.status,
        StatusCode::OK
    );
    assert_eq!(store.user_sessions("ada").await.expect("list").len(), 2);
}

#[tokio::test]
async fn evict_oldest_policy_ends_the_oldest_sessions() {
    let store = MemoryStore::new();
    let app = app(store.clone(), |l| {
        l.max_sessions_per_user(2, LimitPolicy::EvictOldest)
    });
    let mut cookies = Vec::new();
    for _ in 0..4 {
        cookies.push(log_in(&app, "ada").await);
        // Distinct creation times, so "oldest" is well defined.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let alive: Vec<StatusCode> =
        futures_util::future::join_all(cookies.iter().map(|c| fetch(&app, "/me", Some(c))))
            .await
            .into_iter()
            .map(|a| a.status)
            .collect();
    assert_eq!(
        alive,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::OK,
            StatusCode::OK
        ]
    );
    assert_eq!(store.user_sessions("ada").await.expect("list").len(), 2);
}

#[tokio::test]
async fn a_store_without_an_index_says_so() {
    let store = CountingStore::default();
    assert!(store.user_index().is_none());
    let app = routes().layer(SessionLayer::new(store).max_sessions_per_user(1, LimitPolicy::RefuseNew));
    let answer = fetch(&app, "/login/ada", None).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
}
