//! Log in and out with ID rotation: `POST /login` (form field `user`)
//! rotates the session ID and remembers the user; `GET /me` answers the
//! user or 401; `POST /logout` destroys the session.
//!
//! `cargo run --example login` (port from `PORT`, default 3000).

use axum::{
    Form, Router,
    http::StatusCode,
    routing::{get, post},
};
use serde::Deserialize;
use sesh::{MemoryStore, Session, SessionLayer};

#[derive(Deserialize)]
struct Login {
    user: String,
}

async fn login(session: Session, Form(login): Form<Login>) -> Result<String, sesh::Error> {
    // A new ID at every privilege change defeats session fixation.
    session.cycle_id();
    session.insert("user", &login.user)?;
    Ok(format!("logged in as {}", login.user))
}

async fn me(session: Session) -> Result<(StatusCode, String), sesh::Error> {
    Ok(match session.get::<String>("user")? {
        Some(user) => (StatusCode::OK, user),
        None => (StatusCode::UNAUTHORIZED, "not logged in".into()),
    })
}

async fn logout(session: Session) -> &'static str {
    session.destroy();
    "logged out"
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let app = Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .route("/logout", post(logout))
        .layer(SessionLayer::new(MemoryStore::new()));
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    tracing::info!("login example listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
