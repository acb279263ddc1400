//! The SQLite store against the shared conformance suites, in memory.
#![cfg(feature = "sqlite")]

async fn store() -> sesh_sqlx::SqliteStore {
    let store = sesh_sqlx::SqliteStore::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite");
    store.migrate().await.expect("migrate");
    store.migrate().await.expect("migrate is idempotent");
    store
}

sesh_store_tests::conformance_suite!(store());

mod user_index {
    sesh_store_tests::user_index_suite!(super::store());
}

mod inspect {
    sesh_store_tests::inspect_suite!(super::store());
}
