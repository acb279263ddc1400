//! A password change on one device ends the user's sessions on the others,
//! on their next request, while the device that changed it goes on under a
//! new session ID.

mod common;

use axum::http::StatusCode;
use common::{Browser, start};
use sesh::store::UserIndex as _;

#[tokio::test]
async fn a_password_change_on_a_ends_b_on_its_next_request_and_a_goes_on_under_a_new_id() {
    let (backend, store, addr) = start().await;
    let (a, b) = (Browser::new(addr), Browser::new(addr));
    a.log_in("ada", "ada-pw").await;
    b.log_in("ada", "ada-pw").await;
    assert_eq!(b.get("/me").await.body, "ada");
    let a_before = a.session_cookie().expect("A's session");
    let b_before = b.session_cookie().expect("B's session");
    assert_eq!(store.user_sessions("ada").await.expect("index").len(), 2);

    let changed = a.post("/password", &[("password", "new-pw")]).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.body, "changed");

    // A: a new ID, still logged in; its old ID is dead.
    let a_after = a.session_cookie().expect("A keeps a session");
    assert_ne!(a_after, a_before, "the re-bound session gets a new ID");
    assert_eq!(a.get("/me").await.body, "ada");
    assert_eq!(
        a.get_with_cookie("/me", &a_before).await.status,
        StatusCode::UNAUTHORIZED
    );

    // B: its next request finds the stored hash stale and ends the session.
    let calls = backend.user_calls();
    let b_next = b.get("/me").await;
    assert_eq!(b_next.status, StatusCode::UNAUTHORIZED);
    assert_eq!(backend.user_calls() - calls, 1);
    assert!(
        b_next
            .set_cookie
            .iter()
            .any(|c| c.starts_with("session=;") && c.contains("Max-Age=0")),
        "B's cookie is removed: {b_next:?}"
    );
    assert_eq!(b.session_cookie(), None);
    // Ended in the store too, not just forgotten by B's browser.
    assert_eq!(
        b.get_with_cookie("/me", &b_before).await.status,
        StatusCode::UNAUTHORIZED
    );
    let left = store.user_sessions("ada").await.expect("index");
    assert_eq!(left.len(), 1, "only A's new session is left");

    // A still works afterwards, and the new password logs B in again.
    assert_eq!(a.get("/api/secret").await.body, "api secret");
    let old = b.post("/login", &[("name", "ada"), ("password", "ada-pw")]).await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    b.log_in("ada", "new-pw").await;
    assert_eq!(b.get("/me").await.body, "ada");
}

#[tokio::test]
async fn a_guarded_page_on_b_redirects_to_login_after_the_change() {
    let (_, _, addr) = start().await;
    let (a, b) = (Browser::new(addr), Browser::new(addr));
    a.log_in("ada", "ada-pw").await;
    b.log_in("ada", "ada-pw").await;
    assert_eq!(b.get("/page/secret").await.body, "page secret");

    a.post("/password", &[("password", "new-pw")]).await;

    let page = b.get("/page/secret").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login?next=%2Fpage%2Fsecret"));
    assert_eq!(a.get("/page/secret").await.body, "page secret");
}

#[tokio::test]
async fn ending_the_others_at_once_leaves_only_the_new_session() {
    let (_, store, addr) = start().await;
    let (a, b, c) = (Browser::new(addr), Browser::new(addr), Browser::new(addr));
    for device in [&a, &b, &c] {
        device.log_in("ada", "ada-pw").await;
    }
    let bob = Browser::new(addr);
    bob.log_in("bob", "bob-pw").await;
    assert_eq!(store.user_sessions("ada").await.expect("index").len(), 3);

    let changed = a
        .post("/password", &[("password", "new-pw"), ("end_others", "1")])
        .await;
    assert_eq!(changed.body, "changed");

    // Gone from the store before B or C ask anything.
    let left = store.user_sessions("ada").await.expect("index");
    assert_eq!(left.len(), 1);
    assert_eq!(a.get("/me").await.body, "ada");
    for other in [&b, &c] {
        assert_eq!(other.get("/me").await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(bob.get("/me").await.body, "bob", "other users are untouched");
}

#[tokio::test]
async fn a_session_bound_without_an_auth_hash_ends() {
    let (_, store, addr) = start().await;
    let a = Browser::new(addr);
    // Bound to ada by `Session::login` alone: no hash was stored.
    assert_eq!(a.post("/raw-login", &[]).await.status, StatusCode::OK);
    assert_eq!(store.user_sessions("ada").await.expect("index").len(), 1);

    assert_eq!(a.get("/me").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.session_cookie(), None);
    assert!(store.user_sessions("ada").await.expect("index").is_empty());
}
