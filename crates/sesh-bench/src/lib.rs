//! Benchmarks of sesh against tower-sessions and bare axum.
//!
//! The same four routes are built on each implementation ([`apps`]), so the
//! HTTP load benchmark (`sesh-bench-server` driven by `scripts/bench-http.sh`),
//! the criterion benches (`benches/micro.rs`) and the tests measure one
//! thing three ways. [`race`] is not a speed test: it counts the writes each
//! library keeps when requests change one session at once, which is what
//! sesh's Redis writes pay for. `BENCHMARKS.md` at the repository root says
//! how to run them and what they measured.

pub mod apps;
pub mod floor;
pub mod race;
pub mod stores;

pub use apps::{Impl, KEY};
pub use stores::Store;

/// A boxed error: the benchmark binaries only report failures. Here at the
/// root, not in `stores`, which builds on `floor`: `floor` returns it too.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
