//! The caching store, in front of the memory store, against the shared
//! conformance suite and the user-index checks.

use sesh_cache::CachingStore;
use sesh_core::MemoryStore;

sesh_store_tests::conformance_suite!(async { CachingStore::new(MemoryStore::new()) });

mod user_index {
    use super::{CachingStore, MemoryStore};
    sesh_store_tests::user_index_suite!(async { CachingStore::new(MemoryStore::new()) });
}
