#![doc = include_str!("../README.md")]

mod codec;
mod conn;
mod connect;
mod index;
mod inspect;
mod prefix;
mod replica_ack;
mod scripts;
mod store;

pub use store::{DEFAULT_PREFIX, DEFAULT_TIMEOUT, RedisStore};
