//! Benchmarks of sesh against tower-sessions and bare axum.
//!
//! The same four routes are built on each implementation ([`apps`]), so the
//! HTTP load benchmark (`sesh-bench-server` driven by `scripts/bench-http.sh`),
//! the criterion benches (`benches/micro.rs`) and the tests measure one
//! thing three ways. `BENCHMARKS.md` at the repository root says how to run
//! them and what they measured.

pub mod apps;
pub mod floor;
pub mod stores;

pub use apps::{Impl, KEY};
pub use stores::Store;
