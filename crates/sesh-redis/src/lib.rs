//! A Redis (or Valkey, or Redis Cluster) session store for sesh.
//!
//! Each session is one string key, `<prefix><hex of the session key>`,
//! holding a short fixed-width header and the record's encoded form. Redis
//! expires the key itself (`PEXPIREAT` at the earlier of the idle and
//! absolute deadlines), so nothing needs sweeping. Every operation on an
//! unbound session is one round trip: `create` is `SET NX PXAT`; `load`,
//! `save` and `touch` are Lua scripts run with `EVALSHA`, so their
//! read-check-write is atomic. Writing a record bound to a user first
//! updates that user's index: one more round trip.
//!
//! [`RedisStore::connect_cluster`] does the same on Redis Cluster: every
//! script touches a single key, so it runs on the node owning that key.
//!
//! It also keeps a per-user index ([`sesh_core::UserIndex`]): a sorted set
//! per user that is a superset of that user's live sessions, added to
//! before a bound record is written and pruned only of keys that are dead
//! for good; listing loads each member and returns the live ones. See the
//! README for the rules that keep it exact under concurrent logins.
//!
//! ```no_run
//! # async fn run() -> Result<(), sesh_core::Error> {
//! use std::time::Duration;
//! let store = sesh_redis::RedisStore::connect("redis://127.0.0.1:6379")
//!     .await?
//!     .with_prefix("myapp:sess:")?
//!     .with_timeout(Duration::from_secs(1));
//! # let _ = store; Ok(()) }
//! ```

mod codec;
mod conn;
mod connect;
mod index;
mod prefix;
mod scripts;
mod store;

pub use store::{DEFAULT_PREFIX, DEFAULT_TIMEOUT, RedisStore};
