//! The postgres store against the shared conformance suites, on the server
//! at `SESH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
#![cfg(feature = "postgres")]

mod common;

sesh_store_tests::conformance_suite!(server: common::postgres_store());

mod user_index {
    sesh_store_tests::user_index_suite!(server: super::common::postgres_store());
}

mod inspect {
    sesh_store_tests::inspect_suite!(server: super::common::postgres_store());
}
