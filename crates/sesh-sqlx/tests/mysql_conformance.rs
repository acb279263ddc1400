//! The mysql store against the shared conformance suites, on the server at
//! `SESH_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`).
#![cfg(feature = "mysql")]

mod common;

sesh_store_tests::conformance_suite!(server: common::mysql_store());

mod user_index {
    sesh_store_tests::user_index_suite!(server: super::common::mysql_store());
}

mod inspect {
    sesh_store_tests::inspect_suite!(server: super::common::mysql_store());
}
