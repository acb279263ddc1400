//! The memory store against the shared conformance suite, the per-user
//! index checks and the scan checks.

sesh_store_tests::conformance_suite!(async { sesh_core::MemoryStore::new() });

mod user_index {
    sesh_store_tests::user_index_suite!(async { sesh_core::MemoryStore::new() });
}

mod inspect {
    sesh_store_tests::inspect_suite!(async { sesh_core::MemoryStore::new() });
}
