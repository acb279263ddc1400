//! Behaviour the conformance suite cannot see: corrupt values, timeouts,
//! the TTL Redis keeps and hashes written by layout 1.

mod support;

use std::time::{Duration, SystemTime};

use redis::AsyncCommands as _;
use sesh_core::{
    Applied, Changes, Created, ErrorKind, Expiry, Record, Saved, SessionId, SessionKey, SessionStore,
    from_unix_millis, unix_millis,
};
use sesh_redis::RedisStore;

const PREFIX: &str = "sesh-test:";

fn url() -> String {
    std::env::var("SESH_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

async fn store() -> Option<(RedisStore, redis::aio::MultiplexedConnection)> {
    let url = url();
    let store = match RedisStore::connect(&url).await {
        Ok(store) => store.with_prefix(PREFIX).expect("valid prefix"),
        Err(e) => {
            sesh_store_tests::server_unreachable("redis", &url, &e);
            return None;
        }
    };
    let raw = redis::Client::open(url)
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("raw connection");
    Some((store, raw))
}

/// A record created at `now`, idle for 60 s at most and 120 s in all.
fn record_at(now: SystemTime) -> Record {
    let mut record = Record::new(now, &Expiry::new());
    record.expires_at = now + Duration::from_secs(60);
    record.absolute_deadline = now + Duration::from_secs(120);
    record
}

/// A fresh session key and the Redis key the store keeps it under.
fn fresh_key() -> (SessionKey, String) {
    let key = SessionId::generate().key();
    (key, format!("{PREFIX}{}", key.to_hex()))
}

/// A session created now (see [`record_at`]): its record, key and Redis key.
async fn created(store: &RedisStore) -> (Record, SessionKey, String) {
    let record = record_at(SystemTime::now());
    let (key, redis_key) = fresh_key();
    assert_eq!(
        store.create(&key, &record).await.expect("create"),
        Created::Created
    );
    (record, key, redis_key)
}

#[tokio::test]
async fn corrupt_values_are_decode_errors() {
    let Some((store, mut raw)) = store().await else {
        return;
    };
    let key = SessionId::generate().key();
    let redis_key = format!("{PREFIX}{}", key.to_hex());
    for garbage in [&b"not a session"[..], b"00000000000000000000", &[0xff; 64]] {
        let () = raw.set_ex(&redis_key, garbage, 60).await.expect("set");
        let e = store.load(&key).await.expect_err("a string is no session");
        assert_eq!(e.kind(), ErrorKind::Decode, "{e:?}");
    }
    let () = raw.del(&redis_key).await.expect("del");
    let mut record = Record::new(SystemTime::now(), &Expiry::new());
    record.data.insert("n".into(), 1.into());
    assert_eq!(
        store.create(&key, &record).await.expect("create"),
        Created::Created
    );
    for (field, bad) in [
        ("m", "3:1:2:3:4:5:0"),
        ("m", "2:x:2:3:4:5:0"),
        ("d:n", "{not json"),
    ] {
        let () = raw.hset(&redis_key, field, bad).await.expect("hset");
        let e = store.load(&key).await.expect_err("corrupt field");
        assert_eq!(e.kind(), ErrorKind::Decode, "{field}: {e:?}");
        store.delete(&key).await.expect("delete");
        assert_eq!(
            store.create(&key, &record).await.expect("create"),
            Created::Created
        );
    }
    let () = raw.del(&redis_key).await.expect("del");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_operation_times_out() {
    let Some((store, _raw)) = store().await else {
        return;
    };
    let busy = keep_redis_busy(300).await;
    let store = store.with_timeout(Duration::from_millis(100));
    let e = store
        .load(&SessionId::generate().key())
        .await
        .expect_err("Redis is busy for longer than the timeout");
    assert_eq!(e.kind(), ErrorKind::Timeout);
    busy.await.expect("busy task");
}

/// Redis busy for `millis` ms from about 50 ms on: Redis runs one script
/// at a time, so the store's next command really waits.
async fn keep_redis_busy(millis: u64) -> tokio::task::JoinHandle<()> {
    // Its own connection, without redis-rs's default 500 ms response timeout.
    let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
    let mut raw = redis::Client::open(url())
        .expect("url")
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .expect("raw connection");
    let busy_loop = format!(
        "local t = redis.call('TIME') local s = t[1] * 1e6 + t[2] \
         repeat t = redis.call('TIME') until t[1] * 1e6 + t[2] - s > {} return 1",
        millis * 1000
    );
    let busy = tokio::spawn(async move {
        let _: i64 = redis::Script::new(&busy_loop)
            .invoke_async(&mut raw)
            .await
            .expect("busy");
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    busy
}

/// The store's limit is the one that applies: redis-rs's own response
/// timeout (500 ms by default) must not cut a longer one short.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_within_a_long_limit_is_not_cut_short() {
    let Some((store, _raw)) = store().await else {
        return;
    };
    let busy = keep_redis_busy(800).await;
    let store = store.with_timeout(Duration::from_secs(5));
    let loaded = store.load(&SessionId::generate().key()).await;
    assert!(matches!(loaded, Ok(None)), "{loaded:?}");
    busy.await.expect("busy task");
}

#[tokio::test]
async fn ttl_is_the_earlier_deadline_and_touch_keeps_it() {
    let Some((store, mut raw)) = store().await else {
        return;
    };
    let (record, key, redis_key) = created(&store).await;
    let now = record.created_at;
    assert_eq!(
        pexpiretime(&mut raw, &redis_key).await,
        unix_millis(record.expires_at)
    );

    store
        .touch(&key, now + Duration::from_secs(3600))
        .await
        .expect("touch");
    assert_eq!(
        pexpiretime(&mut raw, &redis_key).await,
        unix_millis(record.absolute_deadline),
        "capped"
    );
    assert_eq!(
        header_part(&mut raw, &redis_key, EXPIRES).await,
        unix_millis(record.absolute_deadline).to_string(),
        "the header's deadline follows the TTL"
    );
    store.delete(&key).await.expect("delete");
}

/// The parts of the packed header (`m`, see the store's `codec`).
const ABSOLUTE: usize = 2;
const EXPIRES: usize = 3;

async fn header_part(raw: &mut redis::aio::MultiplexedConnection, redis_key: &str, part: usize) -> String {
    let header: String = raw.hget(redis_key, "m").await.expect("hget m");
    header.split(':').nth(part).expect("a header part").to_owned()
}

async fn set_header_part(
    raw: &mut redis::aio::MultiplexedConnection,
    redis_key: &str,
    part: usize,
    value: u64,
) {
    let header: String = raw.hget(redis_key, "m").await.expect("hget m");
    let mut parts: Vec<String> = header.split(':').map(str::to_owned).collect();
    parts[part] = value.to_string();
    let () = raw.hset(redis_key, "m", parts.join(":")).await.expect("hset m");
}

async fn pexpiretime(raw: &mut redis::aio::MultiplexedConnection, redis_key: &str) -> u64 {
    let at: i64 = redis::cmd("PEXPIRETIME")
        .arg(redis_key)
        .query_async(raw)
        .await
        .expect("pexpiretime");
    at.unsigned_abs()
}

/// A session of layout 1 written before the `exp` field existed loads with
/// its TTL as the idle deadline; the next touch adds the field and the
/// next write turns the hash into the packed layout.
#[tokio::test]
async fn hashes_of_the_previous_layout_load_and_upgrade() {
    let Some((store, mut raw)) = store().await else {
        return;
    };
    let now = SystemTime::now();
    let mut record = record_at(now);
    record.version = 7;
    record.user = Some("ada".into());
    record.data.insert("n".into(), 1.into());
    record
        .data
        .insert("nested".into(), serde_json::json!({"a": [1, null]}));
    let (key, redis_key) = fresh_key();
    support::old_layout::write(&mut raw, &redis_key, &record, false).await;

    let loaded = store.load(&key).await.expect("load").expect("live");
    let deadline = pexpiretime(&mut raw, &redis_key).await;
    assert_eq!(
        unix_millis(loaded.expires_at),
        deadline,
        "the TTL is the idle deadline"
    );
    let mut want = record.clone();
    want.expires_at = from_unix_millis(deadline);
    for t in [
        &mut want.created_at,
        &mut want.last_active,
        &mut want.absolute_deadline,
    ] {
        *t = from_unix_millis(unix_millis(*t));
    }
    assert_eq!(loaded, want, "nothing lost");

    let later = now + Duration::from_secs(90);
    store.touch(&key, later).await.expect("touch");
    let exp: Option<u64> = raw.hget(&redis_key, "exp").await.expect("hget");
    assert_eq!(exp, Some(unix_millis(later)), "touch adds `exp`");
    assert_eq!(pexpiretime(&mut raw, &redis_key).await, unix_millis(later));
    assert_eq!(
        store.load(&key).await.expect("load").expect("live").expires_at,
        from_unix_millis(unix_millis(later))
    );

    let mut changes = Changes::new(SystemTime::now(), later);
    changes.entries.push(("n".into(), Some(2.into())));
    assert_eq!(
        store.apply(&key, loaded, &changes).await.expect("apply"),
        Applied::Applied
    );
    let applied = store.load(&key).await.expect("load").expect("live");
    assert_eq!((applied.version, applied.data["n"].clone()), (8, 2.into()));
    assert_eq!(applied.data["nested"], want.data["nested"]);
    assert_eq!(applied.user.as_deref(), Some("ada"));
    assert_eq!(
        (applied.created_at, applied.absolute_deadline),
        (want.created_at, want.absolute_deadline)
    );
    assert_repacked(&mut raw, &redis_key).await;
    store.delete(&key).await.expect("delete");
}

/// Only the packed header and the data and user fields remain.
async fn assert_repacked(raw: &mut redis::aio::MultiplexedConnection, redis_key: &str) {
    let mut fields: Vec<String> = raw.hkeys(redis_key).await.expect("hkeys");
    fields.sort();
    assert!(
        fields
            .iter()
            .all(|f| f == "m" || f == "user" || f.starts_with("d:")),
        "{fields:?}"
    );
    assert!(fields.contains(&"m".to_owned()), "{fields:?}");
}

/// A session of layout 1 with `exp`, as the store wrote it before the
/// header was packed: each operation reads it, and a save or a write
/// leaves it packed with nothing lost.
#[tokio::test]
async fn layout_1_hashes_with_exp_keep_working() {
    let Some((store, mut raw)) = store().await else {
        return;
    };
    let now = SystemTime::now();
    let mut record = record_at(now);
    record.version = 3;
    record.persistent = true;
    record.data.insert("n".into(), 1.into());
    let (key, redis_key) = fresh_key();
    support::old_layout::write(&mut raw, &redis_key, &record, true).await;

    let loaded = store.load(&key).await.expect("load").expect("live");
    assert_eq!(unix_millis(loaded.expires_at), unix_millis(record.expires_at));
    assert!(loaded.persistent);

    let later = now + Duration::from_secs(30);
    store.touch(&key, later).await.expect("touch");
    assert_eq!(pexpiretime(&mut raw, &redis_key).await, unix_millis(later));

    let mut changes = Changes::new(SystemTime::now(), later);
    changes
        .entries
        .push(("m".into(), Some("a key named like the header".into())));
    assert_eq!(
        store.apply(&key, loaded.clone(), &changes).await.expect("apply"),
        Applied::Applied
    );
    assert_repacked(&mut raw, &redis_key).await;
    let applied = store.load(&key).await.expect("load").expect("live");
    assert_eq!(applied.version, 4);
    assert!(applied.persistent, "persistence kept");
    assert_eq!(applied.data.len(), 2);
    assert_eq!(unix_millis(applied.expires_at), unix_millis(later));
    assert_eq!(
        header_part(&mut raw, &redis_key, ABSOLUTE).await,
        unix_millis(record.absolute_deadline).to_string()
    );

    // A save checks the version of a layout-1 hash too, and packs it.
    let (key, redis_key) = fresh_key();
    support::old_layout::write(&mut raw, &redis_key, &record, true).await;
    let mut saved = record.clone();
    saved.data.insert("n".into(), 5.into());
    assert_eq!(store.save(&key, &saved, 2).await.expect("save"), Saved::Conflict);
    saved.version = 4;
    assert_eq!(store.save(&key, &saved, 3).await.expect("save"), Saved::Saved);
    assert_repacked(&mut raw, &redis_key).await;
    let got = store.load(&key).await.expect("load").expect("live");
    assert_eq!((got.version, got.data["n"].clone()), (4, 5.into()));
    store.delete(&key).await.expect("delete");
}

/// If `exp` says a session ended while Redis still holds its key (a
/// touch by an instance that predates `exp`, or clock skew), `load`
/// believes the TTL, as it did before the field existed.
#[tokio::test]
async fn a_passed_exp_defers_to_the_ttl() {
    let Some((store, mut raw)) = store().await else {
        return;
    };
    let (record, key, redis_key) = created(&store).await;
    let now = record.created_at;
    let passed = unix_millis(now - Duration::from_secs(1));
    set_header_part(&mut raw, &redis_key, EXPIRES, passed).await;
    let loaded = store.load(&key).await.expect("load").expect("live");
    assert_eq!(unix_millis(loaded.expires_at), unix_millis(record.expires_at));

    // Past its absolute deadline the hash is dead whatever Redis says.
    set_header_part(&mut raw, &redis_key, ABSOLUTE, passed).await;
    assert!(store.load(&key).await.expect("load").is_none());
    store.delete(&key).await.expect("delete");
}

#[tokio::test]
async fn invalid_prefixes_are_config_errors() {
    let Some((store, _raw)) = store().await else {
        return;
    };
    for bad in ["", "a b", "nl\n", &"x".repeat(65)] {
        let e = store.clone().with_prefix(bad).expect_err(bad);
        assert_eq!(e.kind(), ErrorKind::Config);
    }
}

#[tokio::test]
async fn user_index_keeps_pending_keys_and_prunes_dead_ones() {
    let Some((store, mut raw)) = store().await else {
        return;
    };
    let user = format!("ada-{}", &SessionId::generate().key().to_hex()[..12]);
    let index = format!("{PREFIX}user:{user}");
    let now = SystemTime::now();
    let mut record = Record::new(now, &Expiry::new());
    record.user = Some(user.clone());
    let live = SessionId::generate().key();
    assert_eq!(
        store.create(&live, &record).await.expect("create"),
        Created::Created
    );
    assert!(
        pexpiretime(&mut raw, &index).await >= unix_millis(record.absolute_deadline),
        "the index must outlive its members"
    );

    // A create that has indexed its key but not yet written the record,
    // and a session whose absolute deadline passed long ago.
    let pending = SessionId::generate().key().to_hex();
    let long_dead = SessionId::generate().key().to_hex();
    let future = unix_millis(now + Duration::from_secs(3600));
    let past = unix_millis(now - Duration::from_secs(3600));
    let () = redis::cmd("ZADD")
        .arg(&index)
        .arg(future)
        .arg(&pending)
        .arg(past)
        .arg(&long_dead)
        .query_async(&mut raw)
        .await
        .expect("zadd");

    let listed = sesh_core::UserIndex::user_sessions(&store, &user)
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, live);
    let pending_score: Option<f64> = raw.zscore(&index, &pending).await.expect("zscore");
    assert!(pending_score.is_some(), "a key without a record yet must stay");
    let dead_score: Option<f64> = raw.zscore(&index, &long_dead).await.expect("zscore");
    assert!(dead_score.is_none(), "a key past its absolute deadline goes");
    let () = raw.del(&index).await.expect("del");
    store.delete(&live).await.expect("delete");
}

#[tokio::test]
async fn a_save_that_rebinds_indexes_before_writing() {
    let Some((store, _raw)) = store().await else {
        return;
    };
    let tag = &SessionId::generate().key().to_hex()[..12];
    let (ada, bob) = (format!("ada-{tag}"), format!("bob-{tag}"));
    let mut record = Record::new(SystemTime::now(), &Expiry::new());
    record.user = Some(ada.clone());
    let key = SessionId::generate().key();
    assert_eq!(
        store.create(&key, &record).await.expect("create"),
        Created::Created
    );
    record.user = Some(bob.clone());
    record.version = 1;
    assert_eq!(
        store.save(&key, &record, 0).await.expect("save"),
        sesh_core::Saved::Saved
    );
    let listed = |user: String| {
        let store = store.clone();
        async move {
            let sessions = sesh_core::UserIndex::user_sessions(&store, &user)
                .await
                .expect("list");
            sessions.into_iter().map(|s| s.key).collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(bob.clone()).await, vec![key]);
    assert!(listed(ada).await.is_empty());
    store.delete(&key).await.expect("delete");
    assert!(listed(bob).await.is_empty());
}

/// Thousands of keys: the scripts pass fields to Redis in slices, since
/// Lua's `unpack` fails beyond a few thousand values.
#[tokio::test]
async fn thousands_of_keys_survive_create_save_and_clear() {
    let Some((store, _raw)) = store().await else {
        return;
    };
    let mut record = Record::new(SystemTime::now(), &Expiry::new());
    for i in 0..5000 {
        record.data.insert(format!("k{i}"), i.into());
    }
    let key = SessionId::generate().key();
    assert_eq!(
        store.create(&key, &record).await.expect("create"),
        Created::Created
    );
    assert_eq!(
        store.load(&key).await.expect("load").expect("live").data,
        record.data
    );
    record.version = 1;
    record.data.insert("k0".into(), "changed".into());
    assert_eq!(
        store.save(&key, &record, 0).await.expect("save"),
        sesh_core::Saved::Saved
    );
    let now = SystemTime::now();
    let mut changes = sesh_core::Changes::new(now, now + Duration::from_secs(60));
    changes.cleared = true;
    changes.entries = (0..3000).map(|i| (format!("new{i}"), Some(i.into()))).collect();
    changes.entries.push(("k1".into(), None));
    let mut merged = record.clone();
    changes.apply_to(&mut merged);
    assert_eq!(
        store.apply(&key, merged.clone(), &changes).await.expect("apply"),
        sesh_core::Applied::Applied
    );
    let got = store.load(&key).await.expect("load").expect("live");
    assert_eq!(got.data, merged.data);
    assert_eq!(got.version, 2);
    store.delete(&key).await.expect("delete");
}

/// Listings running while a user logs in many times never make the index
/// lose a login: once every create has returned, all are listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_during_logins_lose_none() {
    let Some((store, _raw)) = store().await else {
        return;
    };
    let user = format!("ada-{}", &SessionId::generate().key().to_hex()[..12]);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (login_store, login_user) = (store.clone(), user.clone());
        tasks.push(tokio::spawn(async move {
            let (store, user) = (login_store, login_user);
            let mut record = Record::new(SystemTime::now(), &Expiry::new());
            record.user = Some(user);
            let key = SessionId::generate().key();
            assert_eq!(
                store.create(&key, &record).await.expect("create"),
                Created::Created
            );
            Some(key)
        }));
        let (list_store, list_user) = (store.clone(), user.clone());
        tasks.push(tokio::spawn(async move {
            sesh_core::UserIndex::user_sessions(&list_store, &list_user)
                .await
                .expect("list");
            None
        }));
    }
    let mut created = Vec::new();
    for task in tasks {
        created.extend(task.await.expect("task"));
    }
    let mut listed: Vec<_> = sesh_core::UserIndex::user_sessions(&store, &user)
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.key)
        .collect();
    listed.sort();
    created.sort();
    assert_eq!(listed, created);
    let ended = sesh_core::UserIndex::delete_user_sessions(&store, &user, None)
        .await
        .expect("end all");
    assert_eq!(ended, 32);
}
