//! What sesh's end-to-end tests share: servers of a test's own (Redis,
//! a 6-node Redis Cluster, PostgreSQL) that it may freeze, kill and restart, and an app served over
//! real TCP with a client that keeps its cookies.
//!
//! The tests themselves are the `[[test]]` targets of this package
//! (`tests/*.rs` of the workspace); store crates whose own tests need one of
//! these servers dev-depend on this library by path.

mod cluster_node;
mod pg_server;
mod redis_cluster;
mod redis_server;
mod serve;
mod write_load;

pub use cluster_node::ClusterNode;
pub use pg_server::PgServer;
pub use redis_cluster::{NODE_TIMEOUT, RedisCluster};
pub use redis_server::RedisServer;
pub use serve::{client, count, fetch, first_success, serve_counter};
pub use write_load::{LoadReport, WriteLoad, serve_writer};
