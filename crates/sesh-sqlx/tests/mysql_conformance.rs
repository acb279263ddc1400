//! The mysql store against the shared conformance suite, on the server at
//! `SESH_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`).
#![cfg(feature = "mysql")]

async fn store() -> Option<sesh_sqlx::MySqlStore> {
    let url = std::env::var("SESH_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
    match sesh_sqlx::MySqlStore::connect(&url).await {
        Ok(store) => {
            store.migrate().await.expect("migrate");
            Some(store)
        }
        Err(e) => {
            sesh_store_tests::server_unreachable("mysql", &url, &e);
            None
        }
    }
}

sesh_store_tests::conformance_suite!(server: store());
