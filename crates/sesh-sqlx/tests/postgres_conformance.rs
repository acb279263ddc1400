//! The postgres store against the shared conformance suite, on the server at
//! `SESH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
#![cfg(feature = "postgres")]

async fn store() -> Option<sesh_sqlx::PostgresStore> {
    let url = std::env::var("SESH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    match sesh_sqlx::PostgresStore::connect(&url).await {
        Ok(store) => {
            store.migrate().await.expect("migrate");
            Some(store)
        }
        Err(e) => {
            sesh_store_tests::server_unreachable("postgres", &url, &e);
            None
        }
    }
}

sesh_store_tests::conformance_suite!(server: store());
