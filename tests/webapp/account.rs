//! A signed-in user's pages: the cart under parallel adds, the devices
//! list and revoke, the password change; the users' text escaped.

use reqwest::StatusCode;

use crate::browser::{Browser, field, serve};

/// The count of `item` on the cart page, if listed.
fn count(cart_page: &str, item: &str) -> Option<u32> {
    let row = format!(r#"<td class="item">{item}</td><td class="count">"#);
    let flat: String = cart_page.lines().map(str::trim).collect();
    let start = flat.find(&row)? + row.len();
    flat[start..].split('<').next()?.parse().ok()
}

#[tokio::test]
async fn twenty_parallel_adds_from_one_browser_count_twenty() {
    let addr = serve().await;
    let alice = Browser::new(addr, "alice");
    alice.login("alice", "wonderland", &[]).await;
    let token = alice.meta_token("/cart").await;
    let adds: Vec<_> = (0..20)
        .map(|_| {
            let (alice, token) = (alice.clone(), token.clone());
            tokio::spawn(async move { alice.fetch_post("/cart/add", &token, &[("item", "teapot")]).await })
        })
        .collect();
    for add in adds {
        assert_eq!(add.await.expect("task").status, StatusCode::OK);
    }
    let cart = alice.get("/cart").await.body;
    assert_eq!(count(&cart, "teapot"), Some(20), "{cart}");
    assert!(cart.contains("20 items in your cart"));
}

#[tokio::test]
async fn a_visitors_cart_survives_signing_in() {
    let addr = serve().await;
    let browser = Browser::new(addr, "visitor");
    let added = browser.submit("/cart", "/cart/add", &[("item", "kettle")]).await;
    assert_eq!(added.short(), "303 /cart");
    browser.login("bob", "builder", &[]).await;
    assert_eq!(count(&browser.get("/cart").await.body, "kettle"), Some(1));
}

#[tokio::test]
async fn the_users_text_is_escaped() {
    let addr = serve().await;
    let browser = Browser::new(addr, "<img src=x onerror=alert(1)>");
    browser.login("alice", "wonderland", &[]).await;
    let added = browser
        .submit("/cart", "/cart/add", &[("item", "<script>alert(\"x\")</script>")])
        .await;
    assert_eq!(added.short(), "303 /cart");
    let cart = browser.get("/cart").await.body;
    assert!(!cart.contains("<script>alert"), "{cart}");
    assert_eq!(
        count(&cart, "&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2f;script&gt;"),
        Some(1),
        "{cart}"
    );
    let devices = browser.get("/devices").await.body;
    assert!(!devices.contains("<img"), "{devices}");
    assert!(
        devices.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{devices}"
    );
    // A refused item's flash is escaped too (it names no user text, but
    // every message goes through the template).
    let long = "x".repeat(41);
    let refused = browser.submit("/cart", "/cart/add", &[("item", &long)]).await;
    assert_eq!(refused.short(), "303 /cart");
    assert!(
        browser
            .get("/cart")
            .await
            .body
            .contains("Name an item of 1 to 40 characters.")
    );
}

/// Whether `page` marks a device as this one, and the store keys of the
/// others (their revoke buttons).
fn device_keys(page: &str) -> (bool, Vec<String>) {
    let current = page.contains(r#"class="device current""#);
    let mut others = Vec::new();
    let mut rest = page;
    while let Some(key) = field(rest, r#"name="key" value=""#) {
        rest = &rest[rest.find(&key).expect("found") + key.len()..];
        others.push(key);
    }
    (current, others)
}

#[tokio::test]
async fn the_devices_list_shows_each_session_and_revokes_one() {
    let addr = serve().await;
    let laptop = Browser::new(addr, "Laptop Browser/1.0");
    let phone = Browser::new(addr, "Phone Browser/2.0");
    let bob = Browser::new(addr, "Bob's Browser");
    laptop.login("alice", "wonderland", &[]).await;
    phone.login("alice", "wonderland", &[]).await;
    bob.login("bob", "builder", &[]).await;

    let page = laptop.get("/devices").await.body;
    assert!(page.contains("signed in on 2 devices"), "{page}");
    assert!(page.contains("Laptop Browser&#x2f;1.0") && page.contains("Phone Browser&#x2f;2.0"));
    assert!(!page.contains("Bob"), "another user's session is listed");
    assert_eq!(page.matches("this device").count(), 1);
    let (current, others) = device_keys(&page);
    assert!(current, "this session is marked");
    assert_eq!(others.len(), 1, "a revoke button for the other one only");

    // Bob cannot end alice's sessions, even with their keys.
    let theirs = bob
        .submit("/devices", "/devices/revoke", &[("key", &others[0])])
        .await;
    assert_eq!(theirs.short(), "303 /devices");
    assert!(
        bob.get("/devices")
            .await
            .body
            .contains("No such session of yours.")
    );
    assert_eq!(phone.get("/devices").await.status, StatusCode::OK);
    let nonsense = bob
        .submit("/devices", "/devices/revoke", &[("key", "not hex")])
        .await;
    assert_eq!(nonsense.short(), "303 /devices");

    let revoked = laptop
        .submit("/devices", "/devices/revoke", &[("key", &others[0])])
        .await;
    assert_eq!(revoked.short(), "303 /devices");
    let page = laptop.get("/devices").await.body;
    assert!(page.contains("That device is signed out.") && page.contains("signed in on 1 device."));
    assert_eq!(phone.get("/devices").await.short(), "303 /login?next=%2Fdevices");
    assert!(bob.get("/").await.body.contains("Signed in as bob"));
}

#[tokio::test]
async fn logout_others_keeps_only_this_session() {
    let addr = serve().await;
    let devices: Vec<Browser> = (0..3)
        .map(|i| Browser::new(addr, &format!("device {i}")))
        .collect();
    for device in &devices {
        device.login("alice", "wonderland", &[]).await;
    }
    let bob = Browser::new(addr, "bob");
    bob.login("bob", "builder", &[]).await;
    let ended = devices[0].submit("/devices", "/logout-others", &[]).await;
    assert_eq!(ended.short(), "303 /devices");
    let page = devices[0].get("/devices").await.body;
    assert!(page.contains("2 other sessions were signed out.") && page.contains("signed in on 1 device."));
    for device in &devices[1..] {
        assert_eq!(device.get("/devices").await.status, StatusCode::SEE_OTHER);
    }
    assert!(bob.get("/").await.body.contains("Signed in as bob"));
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_and_keeps_this_one_under_a_new_id() {
    let addr = serve().await;
    let laptop = Browser::new(addr, "laptop");
    let phone = Browser::new(addr, "phone");
    let bob = Browser::new(addr, "bob");
    laptop.login("alice", "wonderland", &[("remember", "on")]).await;
    phone.login("alice", "wonderland", &[]).await;
    bob.login("bob", "builder", &[]).await;

    let wrong = laptop
        .submit(
            "/password",
            "/password",
            &[("current", "nope"), ("new", "looking-glass")],
        )
        .await;
    assert_eq!(wrong.short(), "303 /password");
    assert!(
        laptop
            .get("/password")
            .await
            .body
            .contains("That is not your current password.")
    );
    let short = laptop
        .submit(
            "/password",
            "/password",
            &[("current", "wonderland"), ("new", "short")],
        )
        .await;
    assert_eq!(short.short(), "303 /password");
    assert_eq!(
        phone.get("/devices").await.status,
        StatusCode::OK,
        "refused changes end nothing"
    );

    let before = laptop.session_cookie().expect("a session");
    let changed = laptop
        .submit(
            "/password",
            "/password",
            &[("current", "wonderland"), ("new", "looking-glass")],
        )
        .await;
    assert_eq!(changed.short(), "303 /devices");
    let cookie = changed.set_cookie.expect("a new session cookie");
    assert!(cookie.contains("Max-Age="), "remember-me kept: {cookie}");
    assert_ne!(laptop.session_cookie(), Some(before), "a new session ID");
    let page = laptop.get("/devices").await.body;
    assert!(
        page.contains("Password changed. 1 other session was signed out."),
        "{page}"
    );
    assert!(page.contains("signed in on 1 device."));

    assert_eq!(phone.get("/devices").await.short(), "303 /login?next=%2Fdevices");
    assert!(phone.get("/").await.body.contains("You are not signed in"));
    assert!(bob.get("/").await.body.contains("Signed in as bob"));
    assert_eq!(
        phone.login("alice", "wonderland", &[]).await.short(),
        "303 /login"
    );
    assert_eq!(phone.login("alice", "looking-glass", &[]).await.short(), "303 /");
}
