//! Cookie attributes and the configuration rules checked when the layer is
//! built: a cookie browsers would drop is a startup error, never a 2xx.

mod common;

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    time::{Duration, SystemTime},
};

use axum::{Router, routing::get};
use common::{CountingStore, counter, get as fetch};
use cookie::{Cookie, SameSite};
use sesh::{Clock, ErrorKind, Expiry, Key, LimitPolicy, MemoryStore, Session, SessionLayer};

fn app(layer: SessionLayer) -> Router {
    Router::new()
        .route("/", get(counter))
        .route(
            "/remember",
            get(|s: Session| async move {
                s.set_persistent(true);
                s.insert("n", 1)
            }),
        )
        .layer(layer)
}

async fn first_cookie(layer: SessionLayer) -> Cookie<'static> {
    let res = fetch(&app(layer), "/", None).await;
    Cookie::parse(res.set_cookie().expect("Set-Cookie")).expect("a cookie")
}

fn layer() -> SessionLayer {
    SessionLayer::new(MemoryStore::new())
}

fn config_error(layer: SessionLayer) -> String {
    let error = layer.validated().expect_err("an invalid configuration");
    assert_eq!(error.kind(), ErrorKind::Config);
    error.to_string()
}

#[tokio::test]
async fn each_default_attribute() {
    let c = first_cookie(layer()).await;
    assert_eq!(c.name(), "session");
    assert_eq!(c.http_only(), Some(true), "HttpOnly");
    assert_eq!(c.secure(), Some(true), "Secure");
    assert_eq!(c.same_site(), Some(SameSite::Lax), "SameSite=Lax");
    assert_eq!(c.path(), Some("/"), "Path=/");
    assert_eq!(c.domain(), None, "no Domain: host-only");
    assert_eq!(c.max_age(), None, "no Max-Age: a browser-session cookie");
    assert_eq!(c.expires(), None, "no Expires either");
}

#[tokio::test]
async fn attributes_follow_the_configuration() {
    let c = first_cookie(
        layer()
            .cookie_name("app")
            .secure(false)
            .http_only(false)
            .same_site(SameSite::Strict)
            .path("/app")
            .domain("example.com"),
    )
    .await;
    assert_eq!(c.name(), "app");
    assert_eq!(c.http_only(), None);
    assert_eq!(c.secure(), None);
    assert_eq!(c.same_site(), Some(SameSite::Strict));
    assert_eq!(c.path(), Some("/app"));
    assert_eq!(c.domain(), Some("example.com"));
}

#[tokio::test]
async fn max_age_is_clamped_to_400_days() {
    let days = |n: u64| Duration::from_secs(n * 86_400);
    let layer = SessionLayer::new(CountingStore::default())
        .expiry(
            Expiry::new()
                .idle_timeout(days(1000))
                .absolute_timeout(days(2000)),
        )
        .clock(Clock::manual(SystemTime::now()));
    let res = fetch(&app(layer), "/remember", None).await;
    let c = Cookie::parse(res.set_cookie().expect("Set-Cookie")).expect("cookie");
    assert_eq!(c.max_age(), Some(cookie::time::Duration::days(400)));
}

#[test]
fn prefixed_names_that_keep_their_promise_are_accepted() {
    for name in ["__Secure-s", "__Host-s"] {
        assert!(layer().cookie_name(name).validated().is_ok(), "{name}");
    }
    let secure_anywhere = layer()
        .cookie_name("__Secure-s")
        .path("/app")
        .domain("example.com");
    assert!(secure_anywhere.validated().is_ok());
}

#[test]
fn each_prefix_rule_is_a_config_error_naming_the_fix() {
    let cases = [
        (
            "__Secure- without Secure",
            layer().cookie_name("__Secure-s").secure(false),
            "remove .secure(false)",
        ),
        (
            "__Host- without Secure",
            layer().cookie_name("__Host-s").secure(false),
            "remove .secure(false)",
        ),
        (
            "__Host- with a path",
            layer().cookie_name("__Host-s").path("/app"),
            "requires Path=/",
        ),
        (
            "__Host- with a domain",
            layer().cookie_name("__Host-s").domain("example.com"),
            "forbids a Domain",
        ),
        (
            "prefixes ignore case",
            layer().cookie_name("__host-s").path("/app"),
            "requires Path=/",
        ),
    ];
    for (what, layer, fix) in cases {
        let message = config_error(layer);
        assert!(message.contains(fix), "{what}: {message}");
        assert!(message.contains("rename the cookie"), "{what}: {message}");
    }
}

#[test]
fn other_mistakes_are_config_errors_too() {
    let cases = [
        ("bad name", layer().cookie_name("bad name;"), "RFC 6265 token"),
        ("empty name", layer().cookie_name(""), "RFC 6265 token"),
        ("path with ;", layer().path("/a;b"), "contains ';'"),
        ("domain with control", layer().domain("a\nb"), "control character"),
        (
            "SameSite=None over http",
            layer().same_site(SameSite::None).secure(false),
            "SameSite=None",
        ),
        (
            "previous keys alone",
            layer().previous_keys([Key::generate()]),
            ".signed(current_key)",
        ),
        (
            "signed client-side",
            SessionLayer::client_side(Key::generate()).signed(Key::generate()),
            "must be encrypted",
        ),
        (
            "bad header name",
            layer().header("x session"),
            "valid HTTP header name",
        ),
        (
            "a user limit without a store",
            SessionLayer::client_side(Key::generate()).max_sessions_per_user(2, LimitPolicy::RefuseNew),
            "needs a server store",
        ),
    ];
    for (what, layer, expected) in cases {
        let message = config_error(layer);
        assert!(message.contains(expected), "{what}: {message}");
    }
}

#[test]
fn a_cookie_over_4096_bytes_is_refused_at_build_time() {
    let fits = "n".repeat(4096 - sesh::SessionId::ENCODED_LEN);
    assert!(layer().cookie_name(&fits).validated().is_ok());
    let message = config_error(layer().cookie_name(format!("{fits}n")));
    assert!(message.contains("4096"), "{message}");
    // A private cookie's value is longer, so the same name no longer fits.
    assert!(config_error(layer().cookie_name(&fits).private(Key::generate())).contains("4096"));
    assert!(config_error(SessionLayer::client_side(Key::generate()).cookie_name(&fits)).contains("4096"));
}

#[test]
fn several_mistakes_are_reported_together() {
    let message = config_error(layer().cookie_name("__Host-s").secure(false).path("/x"));
    assert!(
        message.contains("Secure") && message.contains("Path=/"),
        "{message}"
    );
}

#[test]
fn applying_an_invalid_layer_panics_with_the_validation_message() {
    let invalid = || layer().cookie_name("__Host-s").domain("example.com");
    let expected = invalid().validated().expect_err("invalid").to_string();
    let panic = catch_unwind(AssertUnwindSafe(|| app(invalid()))).expect_err("must panic");
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .expect("a formatted panic message");
    assert_eq!(message, expected);
}

#[test]
fn a_setter_after_a_failed_check_is_checked_again() {
    use tower::Layer as _;
    let invalid = layer().cookie_name("__Host-s").domain("example.com");
    let panic = catch_unwind(AssertUnwindSafe(|| invalid.layer(()))).expect_err("must panic");
    assert!(panic.downcast_ref::<String>().is_some());
    // `invalid` now holds the failed verdict; fixing the name must not reuse it.
    let fixed = invalid.cookie_name("session");
    let _ = fixed.layer(());
    let _ = fixed.layer(());
}

#[test]
fn keys_never_print() {
    let layer = layer().signed(Key::generate()).previous_keys([Key::generate()]);
    let shown = format!("{layer:?}");
    assert!(shown.contains("Key(..)"), "{shown}");
    assert_eq!(format!("{:?}", Key::generate()), "Key(..)");
}
