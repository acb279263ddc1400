//! A small shop with accounts, server-rendered: sign in (with "remember
//! me"), a cart, the list of your signed-in devices, a password change
//! that signs out every other device; flash messages and CSRF tokens on
//! every form. The routes are listed in `app/mod.rs`.
//!
//! ```sh
//! cargo run --example webapp --features webapp    # then open http://localhost:3000
//! ```
//!
//! Users: `alice` / `wonderland` and `bob` / `builder`. Sessions live in
//! memory, or in Redis with `REDIS_URL` (`redis://127.0.0.1:6379/1`), or in
//! PostgreSQL with `DATABASE_URL` (`postgres://postgres@127.0.0.1/test`);
//! `PORT` sets the port (default 3000), on 127.0.0.1.

mod app;

use std::time::Duration;

use axum::Router;
use sesh::MemoryStore;
use sesh_redis::RedisStore;
use sesh_sqlx::PostgresStore;

/// The app over the store the environment names.
async fn app_from_env(users: app::Users) -> Result<(Router, &'static str), Box<dyn std::error::Error>> {
    if let Ok(url) = std::env::var("REDIS_URL") {
        let store = RedisStore::connect(&url)
            .await?
            .with_prefix("webapp:sess:")?
            .with_timeout(Duration::from_secs(1));
        return Ok((app::router(store, users)?, "Redis"));
    }
    if let Ok(url) = std::env::var("DATABASE_URL") {
        let store = PostgresStore::connect(&url).await?;
        store.migrate().await?;
        // SQL has no expiry of its own: expired rows are swept now and then.
        // The task lives as long as the process.
        drop(sesh_sqlx::spawn_sweeper(store.clone(), Duration::from_secs(300)));
        return Ok((app::router(store, users)?, "PostgreSQL"));
    }
    Ok((app::router(MemoryStore::new(), users)?, "memory"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    // argon2 is slow on purpose: hash the demo passwords off the runtime.
    let users = tokio::task::spawn_blocking(app::Users::demo).await??;
    let (app, store) = app_from_env(users).await?;
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    let names: Vec<&str> = app::DEMO_USERS.iter().map(|(name, _)| *name).collect();
    tracing::info!(
        "web app listening on http://{} (sessions in {store}; users: {})",
        listener.local_addr()?,
        names.join(", ")
    );
    axum::serve(listener, app).await?;
    Ok(())
}
