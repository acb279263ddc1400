//! The app every test serves over real TCP, its backend (which counts its
//! calls and can change a password), and a browser-like client.

// Each test file uses a different subset of these helpers.
#![allow(dead_code, unreachable_pub)]

pub mod app;
mod backend;
mod browser;

use std::{net::SocketAddr, sync::Arc};

use app::app;
use axum::Router;
pub use backend::Backend;
pub use backend::backend;
pub use browser::Browser;
use sesh::MemoryStore;
use tokio::net::TcpListener;

/// Serves `app` on 127.0.0.1 at a free port.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

/// A server of the whole app; the backend and store to look into.
pub async fn start() -> (Arc<Backend>, MemoryStore, SocketAddr) {
    let backend = backend();
    let store = MemoryStore::new();
    let addr = serve(app(Arc::clone(&backend), store.clone())).await;
    (backend, store, addr)
}
