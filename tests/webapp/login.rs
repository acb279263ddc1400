//! Signing in: wrong and right passwords, where the user lands, the flash
//! shown once, remember-me.

use reqwest::StatusCode;

use crate::{
    app::DEMO_USERS,
    browser::{Browser, field, serve},
};

#[tokio::test]
async fn a_wrong_password_goes_back_to_the_form_with_a_flash_shown_once() {
    let addr = serve().await;
    let alice = Browser::new(addr, "alice");
    for (user, password) in [
        ("alice", "nope"),
        ("alice", ""),
        ("nobody", "wonderland"),
        ("ALICE", "wonderland"),
    ] {
        let refused = alice.login(user, password, &[]).await;
        assert_eq!(refused.short(), "303 /login", "{user}/{password}");
        let form = alice.get("/login").await;
        assert_eq!(form.body.matches("Wrong user name or password").count(), 1);
        assert!(
            !alice.get("/login").await.body.contains("Wrong user name"),
            "shown twice"
        );
    }
    assert!(alice.get("/").await.body.contains("You are not signed in"));
}

#[tokio::test]
async fn every_demo_user_signs_in_and_is_welcomed_once() {
    let addr = serve().await;
    for (user, password) in DEMO_USERS {
        let browser = Browser::new(addr, user);
        let login = browser.login(user, password, &[]).await;
        assert_eq!(login.short(), "303 /");
        assert!(login.set_cookie.is_some(), "the login sets a new session cookie");
        let home = browser.get("/").await.body;
        assert!(home.contains(&format!("Signed in as {user}")), "{home}");
        assert_eq!(home.matches(&format!("Welcome, {user}")).count(), 1);
        let again = browser.get("/").await.body;
        assert!(!again.contains("Welcome"), "the flash was shown twice");
        assert!(again.contains(&format!("Signed in as {user}")));
    }
}

#[tokio::test]
async fn after_login_next_leads_only_to_this_site() {
    let addr = serve().await;
    let evil = [
        "//evil.example",
        "///evil.example",
        "https://evil.example",
        "http:evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "/\t/evil.example",
        "/%2F%2Fevil.example",
        "/%2f/evil.example",
        "/%5Cevil.example",
        "/%252F%252Fevil.example",
        "javascript:alert(1)",
        "evil.example",
        " /devices",
        "",
    ];
    for next in evil {
        // In the form, as the login page sends it, and in the query.
        let browser = Browser::new(addr, "alice");
        let login = browser.login("alice", "wonderland", &[("next", next)]).await;
        assert_eq!(login.short(), "303 /", "next = {next:?}");
        let browser = Browser::new(addr, "alice");
        let token = browser.token("/login").await;
        let query: String = url_encode(next);
        let form = [
            ("username", "alice"),
            ("password", "wonderland"),
            ("csrf_token", &token),
        ];
        let login = browser.post(&format!("/login?next={query}"), &form).await;
        assert_eq!(login.short(), "303 /", "?next={next:?}");
        // The login page does not even carry it.
        let page = Browser::new(addr, "visitor")
            .get(&format!("/login?next={query}"))
            .await;
        assert!(!page.body.contains(r#"name="next""#), "the form kept {next:?}");
    }
    for next in ["/devices", "/cart?sort=name", "/password#form"] {
        let browser = Browser::new(addr, "alice");
        let login = browser.login("alice", "wonderland", &[("next", next)]).await;
        assert_eq!(login.short(), format!("303 {next}"));
    }
    // The guard's `next` survives the form, and a wrong password.
    let browser = Browser::new(addr, "alice");
    let guarded = browser.get("/devices").await;
    let login_page = guarded.location.expect("a redirect");
    assert_eq!(login_page, "/login?next=%2Fdevices");
    let page = browser.get(&login_page).await;
    let kept = field(&page.body, r#"name="next" value=""#).expect("the form keeps next");
    assert_eq!(kept, "&#x2f;devices", "escaped in HTML, /devices to the browser");
    let token = field(&page.body, r#"name="csrf_token" value=""#).expect("token");
    let wrong = [
        ("username", "alice"),
        ("password", "x"),
        ("next", "/devices"),
        ("csrf_token", &token),
    ];
    assert_eq!(
        browser.post("/login", &wrong).await.short(),
        "303 /login?next=/devices"
    );
    let right = browser
        .login("alice", "wonderland", &[("next", "/devices")])
        .await;
    assert_eq!(right.short(), "303 /devices");
    assert_eq!(browser.get("/devices").await.status, StatusCode::OK);
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn remember_me_makes_the_cookie_outlive_the_browser() {
    let addr = serve().await;
    let laptop = Browser::new(addr, "laptop");
    let login = laptop.login("alice", "wonderland", &[]).await;
    let cookie = login.set_cookie.expect("a session cookie");
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("Expires"),
        "{cookie}"
    );

    let phone = Browser::new(addr, "phone");
    let login = phone.login("alice", "wonderland", &[("remember", "on")]).await;
    let cookie = login.set_cookie.expect("a session cookie");
    let max_age: u64 = cookie
        .split("; ")
        .find_map(|a| a.strip_prefix("Max-Age="))
        .expect("a persistent cookie has a Max-Age")
        .parse()
        .expect("seconds");
    assert_eq!(max_age, 14 * 24 * 60 * 60, "the layer's idle timeout");
    // Signing in again with the box ticked lifts the short idle timeout the
    // first sign-in gave the laptop's session.
    let again = laptop.login("alice", "wonderland", &[("remember", "on")]).await;
    let cookie = again.set_cookie.expect("a session cookie");
    assert!(
        cookie.contains(&format!("Max-Age={}", 14 * 24 * 60 * 60)),
        "{cookie}"
    );
    // Both are signed in all the same.
    assert!(laptop.get("/").await.body.contains("Signed in as alice"));
    assert!(phone.get("/").await.body.contains("Signed in as alice"));
}

#[tokio::test]
async fn signing_out_leaves_a_visitor_with_a_note() {
    let addr = serve().await;
    let alice = Browser::new(addr, "alice");
    alice.login("alice", "wonderland", &[]).await;
    let before = alice.session_cookie().expect("a session");
    assert_eq!(alice.submit("/", "/logout", &[]).await.short(), "303 /");
    assert_ne!(
        alice.session_cookie(),
        Some(before),
        "the signed-in session is gone"
    );
    let home = alice.get("/").await.body;
    assert!(
        home.contains("You are signed out.") && home.contains("You are not signed in"),
        "{home}"
    );
}
