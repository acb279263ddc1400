//! Log in and out, see and end your sessions on other devices.
//!
//! - `POST /login` (form field `user`): logs in, rotating the session ID
//! - `GET /me`: the user name, or 401
//! - `GET /sessions`: a JSON array, one entry per live session of the user
//! - `POST /logout`: ends this session
//! - `POST /logout-others`: ends all of the user's sessions but this one
//! - `POST /logout-everywhere`: ends all of the user's sessions
//!
//! `cargo run --example login` (port from `PORT`, default 3000). At most
//! 10 sessions per user: an 11th login ends the oldest.

use axum::{
    Form, Json, Router,
    http::{HeaderMap, StatusCode, header},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use sesh::{LimitPolicy, MemoryStore, Session, SessionLayer};

#[derive(Deserialize)]
struct Login {
    user: String,
}

async fn login(
    session: Session,
    headers: HeaderMap,
    Form(login): Form<Login>,
) -> Result<String, sesh::Error> {
    if login.user.is_empty() {
        return Ok("no user given".into());
    }
    session.login(&login.user).await?;
    // Recorded so /sessions can tell devices apart.
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    // Enough to tell devices apart; a client's megabyte header is not kept.
    let agent: String = agent.unwrap_or("unknown").chars().take(200).collect();
    session.insert("user_agent", agent)?;
    Ok(format!("logged in as {}", login.user))
}

async fn me(session: Session) -> (StatusCode, String) {
    match session.user() {
        Some(user) => (StatusCode::OK, user),
        None => (StatusCode::UNAUTHORIZED, "not logged in".into()),
    }
}

/// One entry of `GET /sessions`.
#[derive(Serialize)]
struct Device {
    /// The store key: a hash of the session ID, useless as a cookie.
    id: String,
    created_unix_ms: u64,
    last_active_unix_ms: u64,
    user_agent: Option<String>,
    current: bool,
}

async fn sessions(session: Session) -> Result<(StatusCode, Json<Vec<Device>>), sesh::Error> {
    if session.user().is_none() {
        return Ok((StatusCode::UNAUTHORIZED, Json(Vec::new())));
    }
    let current = session.current_key();
    let devices = session
        .user_sessions()
        .await?
        .into_iter()
        .map(|s| Device {
            id: s.key.to_hex(),
            created_unix_ms: sesh::store::unix_millis(s.record.created_at),
            last_active_unix_ms: sesh::store::unix_millis(s.record.last_active),
            user_agent: s
                .record
                .data
                .get("user_agent")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            current: Some(s.key) == current,
        })
        .collect();
    Ok((StatusCode::OK, Json(devices)))
}

async fn logout(session: Session) -> &'static str {
    session.destroy();
    "logged out"
}

async fn logout_others(session: Session) -> Result<String, sesh::Error> {
    let ended = session.end_other_sessions().await?;
    Ok(format!("ended {ended} other sessions"))
}

async fn logout_everywhere(session: Session) -> Result<String, sesh::Error> {
    let ended = session.end_all_sessions().await?;
    Ok(format!("ended {ended} sessions"))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let app = Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .route("/sessions", get(sessions))
        .route("/logout", post(logout))
        .route("/logout-others", post(logout_others))
        .route("/logout-everywhere", post(logout_everywhere))
        .layer(
            // Browsers and curl treat http://localhost as a secure origin,
            // so the default Secure cookie works here without TLS.
            SessionLayer::new(MemoryStore::new()).max_sessions_per_user(10, LimitPolicy::EvictOldest),
        );
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    tracing::info!("login example listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
