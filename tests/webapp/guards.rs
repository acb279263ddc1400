//! Who may reach what: visitors are sent to the login page, and no unsafe
//! request goes through without its session's CSRF token.

use reqwest::StatusCode;

use crate::browser::{Browser, serve};

#[tokio::test]
async fn signed_in_pages_send_a_visitor_to_login_with_next() {
    let addr = serve().await;
    let visitor = Browser::new(addr, "visitor");
    for (path, next) in [
        ("/devices", "%2Fdevices"),
        ("/devices?tab=old", "%2Fdevices%3Ftab%3Dold"),
        ("/password", "%2Fpassword"),
    ] {
        let answer = visitor.get(path).await;
        assert_eq!(answer.short(), format!("303 /login?next={next}"), "GET {path}");
    }
    // Unsafe routes too, once past the CSRF check.
    for (path, next) in [
        ("/devices/revoke", "%2Fdevices%2Frevoke"),
        ("/logout-others", "%2Flogout-others"),
        ("/password", "%2Fpassword"),
    ] {
        let answer = visitor
            .submit("/login", path, &[("key", "00"), ("current", "x"), ("new", "y")])
            .await;
        assert_eq!(answer.short(), format!("303 /login?next={next}"), "POST {path}");
    }
    // The pages for everyone answer.
    for path in ["/", "/login", "/cart"] {
        assert_eq!(visitor.get(path).await.status, StatusCode::OK, "GET {path}");
    }
}

#[tokio::test]
async fn signed_in_pages_open_after_login_and_close_after_logout() {
    let addr = serve().await;
    let alice = Browser::new(addr, "alice's laptop");
    assert_eq!(alice.login("alice", "wonderland", &[]).await.short(), "303 /");
    for path in ["/devices", "/password"] {
        assert_eq!(alice.get(path).await.status, StatusCode::OK, "GET {path}");
    }
    assert_eq!(alice.submit("/", "/logout", &[]).await.short(), "303 /");
    assert_eq!(alice.get("/devices").await.short(), "303 /login?next=%2Fdevices");
}

/// Every unsafe route, with a form it would take.
const UNSAFE: [(&str, &[(&str, &str)]); 6] = [
    ("/login", &[("username", "alice"), ("password", "wonderland")]),
    ("/logout", &[]),
    ("/cart/add", &[("item", "teapot")]),
    ("/devices/revoke", &[("key", "00")]),
    ("/logout-others", &[]),
    (
        "/password",
        &[("current", "wonderland"), ("new", "looking-glass")],
    ),
];

#[tokio::test]
async fn every_unsafe_route_refuses_a_missing_or_wrong_token() {
    let addr = serve().await;
    let alice = Browser::new(addr, "alice");
    assert_eq!(alice.login("alice", "wonderland", &[]).await.short(), "303 /");
    let visitor = Browser::new(addr, "visitor");
    let theirs = Browser::new(addr, "another").token("/login").await;
    let mine = alice.token("/cart").await;
    let mut forged = mine.clone().into_bytes();
    forged[70] = if forged[70] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).expect("ascii");
    for browser in [&alice, &visitor] {
        for (path, form) in UNSAFE {
            let refused = browser.post(path, form).await;
            assert_eq!(
                refused.status,
                StatusCode::FORBIDDEN,
                "POST {path} without a token"
            );
            assert!(
                refused.body.contains("CSRF"),
                "the refusal says why: {}",
                refused.body
            );
            for token in ["", "forged", theirs.as_str(), forged.as_str()] {
                let mut with = form.to_vec();
                with.push(("csrf_token", token));
                let refused = browser.post(path, &with).await;
                assert_eq!(
                    refused.status,
                    StatusCode::FORBIDDEN,
                    "POST {path} with {token:?}"
                );
                let refused = browser.fetch_post(path, token, form).await;
                assert_eq!(
                    refused.status,
                    StatusCode::FORBIDDEN,
                    "POST {path}, header {token:?}"
                );
            }
        }
    }
    // Nothing went through: alice is still signed in, with an empty cart.
    assert!(alice.get("/").await.body.contains("Signed in as alice"));
    assert!(alice.get("/cart").await.body.contains("Your cart is empty."));
}

#[tokio::test]
async fn other_unsafe_methods_need_the_token_too() {
    let addr = serve().await;
    let visitor = Browser::new(addr, "visitor");
    let client = reqwest::Client::new();
    for method in [
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        let url = format!("http://localhost:{}/cart/add", addr.port());
        let answer = client.request(method.clone(), url).send().await.expect("request");
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{method}");
    }
    // With the token, the router answers as it would.
    let token = visitor.token("/cart").await;
    let answer = visitor
        .fetch_post("/cart/add", &token, &[("item", "kettle")])
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn a_token_from_before_login_is_worthless_after_it() {
    let addr = serve().await;
    let alice = Browser::new(addr, "alice");
    let before = alice.token("/login").await;
    assert_eq!(alice.login("alice", "wonderland", &[]).await.short(), "303 /");
    let stale = alice
        .post("/cart/add", &[("item", "teapot"), ("csrf_token", &before)])
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN, "the login rotated the token");
    let fresh = alice.submit("/cart", "/cart/add", &[("item", "teapot")]).await;
    assert_eq!(fresh.short(), "303 /cart");
    // The header works as well as the form field.
    let token = alice.meta_token("/cart").await;
    let added = alice.fetch_post("/cart/add", &token, &[("item", "teapot")]).await;
    assert_eq!(added.status, StatusCode::OK);
    assert_eq!(added.body, r#"{"item":"teapot","count":2}"#);
}
