//! SQL session stores for sesh on [sqlx](https://docs.rs/sqlx):
//! [`PostgresStore`] (feature `postgres`), [`MySqlStore`] (feature `mysql`,
//! also MariaDB) and [`SqliteStore`] (feature `sqlite`).
//!
//! Each keeps one row per session: the hex store key, the encoded
//! record, the version and deadlines as BIGINT columns, and the record's
//! user in an indexed `user_id` column. Every operation is one SQL
//! statement (but `apply` outside PostgreSQL, which adds two per lost
//! version race): compare-and-swap and `touch` are single `UPDATE`s whose
//! `WHERE` also refuses expired rows, `create` a single upsert that
//! replaces only an expired row, and the per-user index
//! ([`UserIndex`](sesh_core::UserIndex)) is written by the same statement
//! as the record. Each operation fails with
//! [`ErrorKind::Timeout`](sesh_core::ErrorKind::Timeout) after
//! [`DEFAULT_TIMEOUT`] unless `with_timeout` says otherwise, with
//! [`ErrorKind::StoreRefused`](sesh_core::ErrorKind::StoreRefused) (HTTP
//! 500) when the database refuses it for good (a value too large for the
//! server, text it cannot store, a missing table), and with
//! [`ErrorKind::Store`](sesh_core::ErrorKind::Store) (HTTP 503, as
//! retrying may help) for any other failure. SQL has no
//! native expiry: expired rows are never returned, and [`spawn_sweeper`]
//! (or [`SweepExpired`](sesh_core::SweepExpired)) deletes them.
//!
//! The three are one generic type, [`SqlStore`], over the database
//! ([`Backend`]: sqlx's `Postgres`, `MySql` or `Sqlite`); the names above
//! are its aliases. The crate's README lists the statements and round
//! trips of every operation per database.
//!
//! ```no_run
//! # #[cfg(feature = "postgres")]
//! # async fn run() -> Result<(), sesh_core::Error> {
//! use std::time::Duration;
//! let store = sesh_sqlx::PostgresStore::connect("postgres://postgres@localhost/app")
//!     .await?
//!     .with_table_name("sessions")?
//!     .with_timeout(Duration::from_secs(1));
//! store.migrate().await?;
//! let _sweeper = sesh_sqlx::spawn_sweeper(store.clone(), Duration::from_secs(300));
//! # Ok(()) }
//! ```
//!
//! # Feature flags
//! No database is on by default: enable the ones you use.
//!
//! | flag | default | what it adds |
//! |------|---------|--------------|
//! | `postgres` | no | [`PostgresStore`], whose `apply` merges a request's changes in one `UPDATE` |
//! | `mysql` | no | [`MySqlStore`], for MySQL and MariaDB |
//! | `sqlite` | no | [`SqliteStore`] |

#![cfg_attr(docsrs, feature(doc_cfg))]

mod backend;
mod columns;
mod dialect;
mod driver;
mod error;
mod inspect;
mod limit;
#[cfg(feature = "postgres")]
mod merge;
mod migrate;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
mod queries;
mod schema;
mod session_store;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;
mod sweeper;
mod table;
mod user_index;

pub use backend::Backend;
pub use limit::DEFAULT_TIMEOUT;
#[cfg(feature = "mysql")]
pub use mysql::MySqlStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use store::SqlStore;
pub use sweeper::spawn_sweeper;
pub use table::DEFAULT_TABLE;
