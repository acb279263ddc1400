//! Seeds a Redis with a few sessions through the store's API, to try the
//! `sesh` command on: two users (`ada` with three sessions, `bob` with
//! one) and five anonymous shoppers' carts.
//!
//! ```sh
//! cargo run -p sesh-cli --example seed_redis -- redis://127.0.0.1:6379 shop:
//! sesh --url redis://127.0.0.1:6379 --prefix shop: stats
//! ```
//!
//! Arguments: the Redis URL (default `redis://127.0.0.1:6379`) and the key
//! prefix (default `sesh:`). The sessions live for a day.

use std::time::{Duration, SystemTime};

use serde_json::json;
use sesh_core::{Created, Expiry, Record, SessionId, SessionStore as _};
use sesh_redis::RedisStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sesh_core::Error> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let prefix = args.next().unwrap_or_else(|| sesh_redis::DEFAULT_PREFIX.into());
    let store = RedisStore::connect(&url).await?.with_prefix(&prefix)?;
    let now = SystemTime::now();
    let minutes = |m: u64| now - Duration::from_secs(60 * m);
    let sessions = [
        (Some("ada"), minutes(3 * 24 * 60 - 90), true, "Firefox on Linux"),
        (Some("ada"), minutes(26 * 60), false, "Safari on iPhone"),
        (Some("ada"), minutes(12), false, "curl/8.5.0"),
        (Some("bob"), minutes(45), false, "Chrome on Windows"),
    ];
    let mut created = 0;
    for (user, at, persistent, agent) in sessions {
        let mut record = record(at, now);
        record.user = user.map(str::to_owned);
        record.persistent = persistent;
        record.data.insert("user_agent".into(), json!(agent));
        record
            .data
            .insert("csrf".into(), json!(SessionId::generate().encode()));
        created += u32::from(store.create(&SessionId::generate().key(), &record).await? == Created::Created);
    }
    for items in 1..=5_u64 {
        let mut record = record(minutes(items * 7), now);
        let cart: Vec<u64> = (1..=items).map(|i| 1000 + i * 37).collect();
        record.data.insert("cart".into(), json!(cart));
        created += u32::from(store.create(&SessionId::generate().key(), &record).await? == Created::Created);
    }
    println!("created {created} sessions under {prefix} in {url}");
    Ok(())
}

/// A record created `at`, last active `now`, live for a day from now.
fn record(at: SystemTime, now: SystemTime) -> Record {
    let mut record = Record::new(at, &Expiry::new());
    record.last_active = now;
    record.expires_at = now + Duration::from_secs(24 * 3600);
    record.absolute_deadline = record.absolute_deadline.max(record.expires_at);
    record
}
