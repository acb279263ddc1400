//! Behaviour the conformance suite cannot see: corrupt values, timeouts,
//! prefixes, the user index's bookkeeping and large sessions. The stored
//! form itself (TTL, layouts, script forms) is in `stored_form.rs`.

mod support;

use std::time::{Duration, SystemTime};

use redis::AsyncCommands as _;
use sesh_core::{Created, ErrorKind, Expiry, Record, SessionId, SessionStore, unix_millis};
use sesh_redis::RedisStore;
use sesh_tests::RedisServer;
use support::{PREFIX, pexpiretime, store};

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

/// A store on a redis-server of the test's own on `port`, which the test
/// may stall without stalling any other test's commands.
async fn private_store(port: u16) -> Option<(RedisServer, RedisStore)> {
    let server = match RedisServer::start(port) {
        Ok(server) => server,
        Err(e) => {
            sesh_store_tests::server_unreachable("redis (own server)", &format!("port {port}"), &e);
            return None;
        }
    };
    let store = RedisStore::connect(&server.url()).await.expect("connect");
    Some((server, store))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_operation_times_out() {
    let Some((server, store)) = private_store(7330).await else {
        return;
    };
    let busy = keep_redis_busy(&server, 300).await;
    let store = store.with_timeout(Duration::from_millis(100));
    let e = store
        .load(&SessionId::generate().key())
        .await
        .expect_err("Redis is busy for longer than the timeout");
    assert_eq!(e.kind(), ErrorKind::Timeout);
    busy.await.expect("busy task");
}

/// `server` busy for `millis` ms from about 50 ms on: Redis runs one script
/// at a time, so the store's next command really waits.
async fn keep_redis_busy(server: &RedisServer, millis: u64) -> tokio::task::JoinHandle<()> {
    // Its own connection, without redis-rs's default 500 ms response timeout.
    let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
    let mut raw = redis::Client::open(server.url())
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
    let Some((server, store)) = private_store(7331).await else {
        return;
    };
    let busy = keep_redis_busy(&server, 800).await;
    let store = store.with_timeout(Duration::from_secs(5));
    let loaded = store.load(&SessionId::generate().key()).await;
    assert!(matches!(loaded, Ok(None)), "{loaded:?}");
    busy.await.expect("busy task");
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
        store.apply(&key, &merged, &changes).await.expect("apply"),
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

/// `with_replica_ack` on a server of this test's own (port 7420), which has
/// no replica: asking for none works (the scripts loaded on the way, the
/// server being new), asking for one refuses every write, saying why.
#[tokio::test]
async fn replica_ack_refuses_writes_fewer_replicas_hold() {
    let server = match RedisServer::start(7420) {
        Ok(server) => server,
        Err(e) => return sesh_store_tests::server_unreachable("redis (own server)", "port 7420", &e),
    };
    let store = RedisStore::connect(&server.url()).await.expect("connect");
    let record = Record::new(SystemTime::now(), &Expiry::new());
    let none = store.clone().with_replica_ack(0, Duration::from_millis(20));
    let key = SessionId::generate().key();
    assert_eq!(
        none.create(&key, &record).await.expect("create"),
        Created::Created
    );
    none.delete(&key).await.expect("delete");

    let one = store.with_replica_ack(1, Duration::from_millis(20));
    let e = one
        .create(&SessionId::generate().key(), &record)
        .await
        .expect_err("no replica holds the write");
    assert_eq!(e.kind(), ErrorKind::Store, "{e:?}");
    assert!(e.to_string().contains("0 of the 1 replicas"), "{e}");
}
