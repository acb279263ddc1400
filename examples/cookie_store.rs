//! Client-side sessions: the whole session lives in an encrypted cookie
//! and the server keeps nothing. `GET /` counts 1, 2, 3… per browser;
//! `GET /grow/{bytes}` stores a value of that many bytes (too many for a
//! cookie answers 500, never a 2xx with a cookie the browser would drop);
//! `GET /health` answers without touching the session.
//!
//! ```sh
//! export SESSION_KEY=$(head -c 64 /dev/urandom | base64 -w0)
//! cargo run --example cookie_store          # port from PORT, default 3000
//! ```
//!
//! To rotate the key, move the old one to `SESSION_PREVIOUS_KEYS`
//! (comma-separated) and set a new `SESSION_KEY`: cookies under the old key
//! keep working and are re-issued under the new one; drop the old key once
//! the absolute timeout has passed. The cookie keeps `Secure`: browsers and
//! curl treat `localhost` as a secure origin, so it works over plain HTTP
//! there.

use std::process::ExitCode;

use axum::{Router, extract::Path, routing::get};
use sesh::{Key, Session, SessionLayer};

async fn count(session: Session) -> Result<String, sesh::Error> {
    let n: u64 = session.get("n")?.unwrap_or(0) + 1;
    session.insert("n", n)?;
    Ok(n.to_string())
}

/// Fails with `CookieTooLarge`, answered as a 500, once the state would
/// outgrow the cookie.
async fn grow(session: Session, Path(bytes): Path<usize>) -> Result<String, sesh::Error> {
    session.insert("blob", "x".repeat(bytes.min(1 << 20)))?;
    Ok(format!("stored {bytes} bytes"))
}

/// The current key from `SESSION_KEY` and the previous ones from
/// `SESSION_PREVIOUS_KEYS`, each the base64 of 64 random bytes.
fn keys() -> Result<(Key, Vec<Key>), String> {
    let current = std::env::var("SESSION_KEY").map_err(|_| {
        "SESSION_KEY is not set: export SESSION_KEY=$(head -c 64 /dev/urandom | base64 -w0)".to_owned()
    })?;
    let current = Key::from_base64(&current).map_err(|e| format!("SESSION_KEY: {e}"))?;
    let previous = std::env::var("SESSION_PREVIOUS_KEYS").unwrap_or_default();
    let previous = previous
        .split(',')
        .filter(|k| !k.trim().is_empty())
        .enumerate()
        .map(|(i, k)| Key::from_base64(k).map_err(|e| format!("SESSION_PREVIOUS_KEYS key {}: {e}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((current, previous))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let (key, previous) = match keys() {
        Ok(keys) => keys,
        Err(message) => {
            eprintln!("cookie_store: {message}");
            return ExitCode::FAILURE;
        }
    };
    let app = Router::new()
        .route("/", get(count))
        .route("/grow/{bytes}", get(grow))
        .route("/health", get(|| async { "ok" }))
        .layer(SessionLayer::client_side(key).previous_keys(previous));
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let served = async {
        let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
        tracing::info!("cookie_store listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await
    };
    match served.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cookie_store: {error}");
            ExitCode::FAILURE
        }
    }
}
