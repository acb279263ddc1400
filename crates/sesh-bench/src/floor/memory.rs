//! The floor under any in-process session store: the four routes doing a
//! lookup in a sharded map and nothing else.
//!
//! | route | work |
//! |-------|------|
//! | `GET /untouched` | none |
//! | `GET /read` | the cookie's value looked up under a shard's read lock |
//! | `GET /write` | the same under the write lock, and the value incremented |
//! | `GET /new` | a fresh random ID inserted, sent back in `Set-Cookie` |
//!
//! The map is sharded 64 ways behind `RwLock`s, as sesh's `MemoryStore` is,
//! and keyed by the cookie's text. There is no layer in front of the routes
//! (axum wraps every route of a router that has one), no ID hashing, no
//! expiry and no record: what is left is what any layer keeping sessions in
//! this process must at least do.

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
    sync::{Arc, PoisonError, RwLock},
};

use axum::{
    Router,
    extract::{Request, State},
    response::Response,
    routing::get,
};
use sesh::SessionId;

use super::{cookie_value, created};
use crate::apps::{counted, routes};

const SHARDS: usize = 64;

type Shard = HashMap<Box<str>, u64, BuildHasherDefault<PrefixHasher>>;

/// Values by session ID, sharded by bits of the ID's hash that neither the
/// table's bucket index nor its control bytes use.
#[derive(Clone)]
struct Sessions(Arc<[RwLock<Shard>]>);

impl Sessions {
    fn new() -> Self {
        Self((0..SHARDS).map(|_| RwLock::default()).collect())
    }

    fn shard(&self, id: &str) -> &RwLock<Shard> {
        // Bits 24-29: a shard's table would need 16 million buckets to
        // index by them, and its control bytes take the top 7.
        let bits = (spread(id.as_bytes()) >> 24) & 63;
        &self.0[usize::try_from(bits).unwrap_or_default()]
    }
}

/// The four routes over an empty map.
pub fn memory_floor() -> Router {
    routes(get(read), get(write), get(new)).with_state(Sessions::new())
}

async fn read(State(sessions): State<Sessions>, request: Request) -> Response {
    let n = cookie_value(request.headers()).and_then(|id| {
        let shard = sessions.shard(id).read().unwrap_or_else(PoisonError::into_inner);
        shard.get(id).copied()
    });
    counted(n)
}

async fn write(State(sessions): State<Sessions>, request: Request) -> Response {
    let n = cookie_value(request.headers()).and_then(|id| {
        let mut shard = sessions.shard(id).write().unwrap_or_else(PoisonError::into_inner);
        let n = shard.get_mut(id)?;
        *n += 1;
        Some(*n)
    });
    counted(n)
}

async fn new(State(sessions): State<Sessions>) -> Response {
    let id = SessionId::generate().encode();
    sessions
        .shard(&id)
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(Box::from(id.as_str()), 1);
    created(&id)
}

/// IDs are random base64url: their first eight bytes (48 random bits),
/// mixed by [`spread`], are as good a hash as any.
#[derive(Default)]
struct PrefixHasher {
    hash: u64,
    filled: bool,
}

impl Hasher for PrefixHasher {
    fn finish(&self) -> u64 {
        self.hash
    }

    fn write(&mut self, bytes: &[u8]) {
        // `str`'s `Hash` writes the text, then a one-byte terminator.
        if self.filled {
            return;
        }
        self.hash = spread(bytes);
        self.filled = true;
    }
}

/// The first eight bytes of `bytes`, mixed so that every output bit
/// depends on every input bit (splitmix64's finaliser).
fn spread(bytes: &[u8]) -> u64 {
    let mut word = [0; 8];
    let n = bytes.len().min(8);
    word[..n].copy_from_slice(&bytes[..n]);
    let mut x = u64::from_le_bytes(word);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_spread_over_every_shard() {
        let sessions = Sessions::new();
        let mut counts = [0_u32; SHARDS];
        for _ in 0..SHARDS * 100 {
            let id = SessionId::generate().encode();
            let shard = sessions.shard(&id);
            let at = sessions.0.iter().position(|s| std::ptr::eq(s, shard));
            counts[at.expect("a shard of the map")] += 1;
        }
        // 100 expected each; below 40 is a 6-sigma event for a uniform spread.
        assert!(counts.iter().all(|&n| n >= 40), "{counts:?}");
    }
}
