//! The memory store against the shared conformance suite.

sesh_store_tests::conformance_suite!(async { sesh_core::MemoryStore::new() });

mod user_index {
    sesh_store_tests::user_index_suite!(async { sesh_core::MemoryStore::new() });
}
