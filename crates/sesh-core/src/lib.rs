//! The framework-free core of [sesh](https://docs.rs/sesh): session IDs,
//! records, expiry, the async [`SessionStore`] trait and the embedded
//! [`MemoryStore`].
//!
//! Application code uses the `sesh` crate, which re-exports all of this.
//! Store authors depend on `sesh-core` alone and check their store with
//! the `sesh-store-tests` conformance suite.
//!
//! ```
//! use sesh_core::{Expiry, MemoryStore, Record, SessionId, SessionStore, Created};
//! use std::time::SystemTime;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), sesh_core::Error> {
//! let store = MemoryStore::new();
//! let id = SessionId::generate();               // goes into the cookie
//! let mut record = Record::new(SystemTime::now(), &Expiry::new());
//! record.data.insert("n".into(), 1.into());
//! assert_eq!(store.create(&id.key(), &record).await?, Created::Created);
//! assert_eq!(store.load(&id.key()).await?, Some(record));
//! # Ok(()) }
//! ```
//!
//! # Feature flags
//! | flag | default | what it adds |
//! |------|---------|--------------|
//! | `axum` | no | axum's `IntoResponse` for [`Error`], so handlers can return it with `?` (`sesh`'s `axum` feature turns it on) |

#![cfg_attr(docsrs, feature(doc_cfg))]

// The README's example, compiled and run with the doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod changes;
mod clock;
pub mod data;
mod error;
mod expiry;
mod id;
mod inspect;
mod memory;
mod record;
mod store;

pub use changes::{Changes, Update};
pub use clock::{Clock, from_unix_millis, unix_millis};
pub use data::SessionData;
pub use error::{BoxError, Error, ErrorKind, Result};
pub use expiry::Expiry;
pub use id::{LogId, ParseIdError, SessionId, StoreKey};
pub use inspect::{Inspect, RecordSummary, ScanCursor, ScanPage, foreign_cursor, json_len};
pub use memory::MemoryStore;
pub use record::{FORMAT_VERSION, Record};
pub use store::{
    Applied, Created, MAX_SAVE_ATTEMPTS, Saved, SessionStore, SweepExpired, UserIndex, UserSession,
    apply_by_compare_and_swap,
};
