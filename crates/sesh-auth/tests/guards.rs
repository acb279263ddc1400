//! The guards: 401 for API routes, a 303 to the login page with `next`
//! for pages, 403 without a permission.

mod common;

use axum::http::StatusCode;
use common::{Browser, start};

#[tokio::test]
async fn an_api_route_answers_a_visitor_401_and_a_page_303_to_login_with_next() {
    let (_, _, addr) = start().await;
    let visitor = Browser::new(addr);

    let api = visitor.get("/api/secret").await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.location, None);
    assert_eq!(api.body, "not logged in: log in first");

    let page = visitor.get("/page/secret?tab=a%20b&x=1").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/login?next=%2Fpage%2Fsecret%3Ftab%3Da%2520b%26x%3D1"),
        "the path and query, percent-encoded"
    );
    assert!(!page.body.contains("page secret"));
}

#[tokio::test]
async fn after_login_the_guards_let_through_and_next_leads_back() {
    let (_, _, addr) = start().await;
    let browser = Browser::new(addr);
    let page = browser.get("/page/secret?tab=2").await;
    let location = page.location.expect("a redirect to login");

    // The login form posts to the URL it was sent to, `next` included.
    let login = browser
        .post(&location, &[("name", "bob"), ("password", "bob-pw")])
        .await;

    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert_eq!(login.location.as_deref(), Some("/page/secret?tab=2"));
    assert_eq!(browser.get("/page/secret?tab=2").await.body, "page secret");
    assert_eq!(browser.get("/api/secret").await.body, "api secret");
}

#[tokio::test]
async fn login_refuses_a_next_that_leaves_the_site() {
    let (_, _, addr) = start().await;
    let browser = Browser::new(addr);
    for next in [
        "%2F%2Fevil.example",
        "https%3A%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "%2F%252F%252Fevil",
    ] {
        let login = browser
            .post(
                &format!("/login?next={next}"),
                &[("name", "bob"), ("password", "bob-pw")],
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "next={next}");
        assert_eq!(login.location, None, "next={next}");
        assert_eq!(login.body, "logged in as bob");
    }
}

#[tokio::test]
async fn a_permission_guard_answers_401_or_303_to_visitors_and_403_without_the_permission() {
    let (_, _, addr) = start().await;
    let visitor = Browser::new(addr);
    assert_eq!(visitor.get("/admin").await.status, StatusCode::UNAUTHORIZED);
    let page = visitor.get("/admin/page").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login?next=%2Fadmin%2Fpage"));

    let bob = Browser::new(addr);
    bob.log_in("bob", "bob-pw").await;
    for path in ["/admin", "/admin/page"] {
        let answer = bob.get(path).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(answer.location, None, "logging in again would not help");
        assert!(answer.body.contains("permission"), "{}", answer.body);
    }
    assert_eq!(bob.get("/me").await.body, "bob", "a 403 logs nobody out");

    let ada = Browser::new(addr);
    ada.log_in("ada", "ada-pw").await;
    assert_eq!(ada.get("/admin/page").await.body, "admin page");
    assert_eq!(ada.get("/admin").await.body, "admin=true permissions=1");
}

#[tokio::test]
async fn permissions_are_listed_once_per_request() {
    let (backend, _, addr) = start().await;
    let ada = Browser::new(addr);
    ada.log_in("ada", "ada-pw").await;
    let (users, permissions) = (backend.user_calls(), backend.permission_calls());

    // The guard, has_permission and permissions all ask.
    assert_eq!(ada.get("/admin").await.status, StatusCode::OK);

    assert_eq!(backend.user_calls() - users, 1);
    assert_eq!(backend.permission_calls() - permissions, 1);
}

#[tokio::test]
async fn unknown_paths_still_answer_404_not_401() {
    let (_, _, addr) = start().await;
    let answer = Browser::new(addr).get("/no/such/page").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}
