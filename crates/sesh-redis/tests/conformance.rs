//! The Redis store against the shared conformance suite and the per-user
//! index checks, on the server at `SESH_REDIS_URL` (default
//! `redis://127.0.0.1:6379`).

use sesh_redis::RedisStore;

async fn store() -> Option<RedisStore> {
    let url = std::env::var("SESH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    match RedisStore::connect(&url).await {
        Ok(store) => Some(store.with_prefix("sesh-test:").expect("valid prefix")),
        Err(e) => {
            sesh_store_tests::server_unreachable("redis", &url, &e);
            None
        }
    }
}

sesh_store_tests::conformance_suite!(server: store());

mod user_index {
    use super::store;

    sesh_store_tests::user_index_suite!(server: store());
}

mod inspect {
    use super::store;

    sesh_store_tests::inspect_suite!(server: store());
}
