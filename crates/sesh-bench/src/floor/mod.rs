//! Floors: the four routes doing the work a session needs and nothing
//! else, so the benchmark can show how close a library comes to the least
//! any session layer on the same store could cost.
//!
//! | store | module | what a route does |
//! |-------|--------|-------------------|
//! | Redis | [`redis`] | the round trips alone (`GET`, `SET … PX`) |
//! | memory | [`memory`] | one lookup in a sharded in-process map |
//!
//! No serialization, no expiry, no signing, no merge: the cookie's value
//! names the stored value, a plain integer. Handlers read the cookie from
//! the request they take by value; axum's `HeaderMap` extractor would
//! clone every header.

pub mod memory;
pub mod redis;

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

pub use memory::memory_floor;
pub use redis::redis_floor;

/// The cookie the floors' sessions travel in.
const COOKIE: &str = "floor";

/// The value of the request's `floor` cookie, if it has one.
fn cookie_value(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// `created` with the `Set-Cookie` that carries `id` back to the client.
fn created(id: &str) -> Response {
    let cookie = format!("{COOKIE}={id}; HttpOnly; SameSite=Lax; Path=/");
    match HeaderValue::try_from(cookie) {
        Ok(cookie) => ([(header::SET_COOKIE, cookie)], "created").into_response(),
        Err(e) => failed(&e),
    }
}

fn failed(error: &dyn std::error::Error) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
}
