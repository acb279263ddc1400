//! The stored form: the TTL and the header's deadlines, hashes without the
//! packed header, and each form of the apply script.

mod support;

use std::time::{Duration, SystemTime};

use redis::AsyncCommands as _;
use sesh_core::{
    Applied, Changes, Created, ErrorKind, Saved, SessionId, SessionStore, from_unix_millis, unix_millis,
};
use support::{
    ABSOLUTE, EXPIRES, created, fresh_key, header_part, pexpiretime, record_at, set_header_part, store, url,
};

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

/// A hash without the packed header (such as the unreleased layout 1
/// wrote, each header value in a field of its own) is no session of this
/// store: loading it is a decode error, which the layer treats as no
/// session, and no write changes it.
#[tokio::test]
async fn a_hash_without_the_packed_header_is_undecodable_and_left_alone() {
    let Some((store, mut raw)) = store().await else {
        return;
    };
    let now = SystemTime::now();
    let record = record_at(now);
    let (key, redis_key) = fresh_key();
    let millis = |t: SystemTime| unix_millis(t).to_string();
    let fields = [
        ("fmt", "1".to_owned()),
        ("ver", "0".to_owned()),
        ("abs", millis(record.absolute_deadline)),
        ("exp", millis(record.expires_at)),
        ("created", millis(now)),
        ("active", millis(now)),
        ("persist", "0".to_owned()),
        ("d:n", "1".to_owned()),
    ];
    let () = raw.hset_multiple(&redis_key, &fields).await.expect("hset");
    let _: bool = raw
        .pexpire_at(
            &redis_key,
            i64::try_from(unix_millis(record.expires_at)).expect("ms"),
        )
        .await
        .expect("pexpireat");
    let before: Vec<(String, String)> = raw.hgetall(&redis_key).await.expect("hgetall");

    let e = store.load(&key).await.expect_err("no packed header");
    assert_eq!(e.kind(), ErrorKind::Decode, "{e:?}");
    assert_eq!(store.save(&key, &record, 0).await.expect("save"), Saved::Conflict);
    let mut changes = Changes::new(now, now + Duration::from_secs(90));
    changes.entries.push(("n".into(), Some(2.into())));
    assert_eq!(
        store.apply(&key, &record, &changes).await.expect("apply"),
        Applied::Gone
    );
    store
        .touch(&key, now + Duration::from_secs(90))
        .await
        .expect("touch");
    let after: Vec<(String, String)> = raw.hgetall(&redis_key).await.expect("hgetall");
    assert_eq!(after, before, "nothing written");
    assert_eq!(
        pexpiretime(&mut raw, &redis_key).await,
        unix_millis(record.expires_at),
        "the TTL is unchanged"
    );

    // With an `m` that does not parse: a conflict, or an error.
    let () = raw.hset(&redis_key, "m", "2:x").await.expect("hset");
    let before: Vec<(String, String)> = raw.hgetall(&redis_key).await.expect("hgetall");
    let e = store.load(&key).await.expect_err("a corrupt header");
    assert_eq!(e.kind(), ErrorKind::Decode, "{e:?}");
    assert_eq!(store.save(&key, &record, 0).await.expect("save"), Saved::Conflict);
    let e = store.apply(&key, &record, &changes).await.expect_err("apply");
    assert_eq!(e.kind(), ErrorKind::Store, "{e:?}");
    let e = store
        .touch(&key, now + Duration::from_secs(90))
        .await
        .expect_err("touch");
    assert_eq!(e.kind(), ErrorKind::Store, "{e:?}");
    let after: Vec<(String, String)> = raw.hgetall(&redis_key).await.expect("hgetall");
    assert_eq!(after, before, "nothing written");

    store.delete(&key).await.expect("delete");
    let exists: bool = raw.exists(&redis_key).await.expect("exists");
    assert!(!exists, "delete removes it");
}

/// The header's deadlines decide: a session whose idle deadline in the
/// header has passed is no session, even while Redis still holds its key
/// (clock skew between this host and Redis, or a hand-edited hash); so is
/// one past its absolute deadline.
#[tokio::test]
async fn the_header_deadlines_decide_while_redis_holds_the_key() {
    let Some((store, mut raw)) = store().await else {
        return;
    };
    let (record, key, redis_key) = created(&store).await;
    let passed = unix_millis(record.created_at - Duration::from_secs(1));
    set_header_part(&mut raw, &redis_key, EXPIRES, passed).await;
    assert!(
        store.load(&key).await.expect("load").is_none(),
        "idle deadline passed"
    );
    assert!(pexpiretime(&mut raw, &redis_key).await > unix_millis(record.created_at));
    store.delete(&key).await.expect("delete");

    let (record, key, redis_key) = created(&store).await;
    let passed = unix_millis(record.created_at - Duration::from_secs(1));
    set_header_part(&mut raw, &redis_key, ABSOLUTE, passed).await;
    assert!(
        store.load(&key).await.expect("load").is_none(),
        "absolute deadline passed"
    );
    store.delete(&key).await.expect("delete");
}

/// `apply` in each of its script's forms: the common write (values set,
/// nothing removed), and removals with a user unbound and persistence
/// changed. Each merges into the stored hash and bumps the version.
#[tokio::test]
async fn apply_merges_in_each_form() {
    let Some((store, mut raw)) = store().await else {
        return;
    };
    let now = SystemTime::now();
    let mut record = record_at(now);
    record.user = Some(format!("ada-{}", &SessionId::generate().key().to_hex()[..12]));
    record.persistent = true;
    for k in ["a", "b", "c"] {
        record.data.insert(k.into(), 1.into());
    }
    let (key, redis_key) = fresh_key();
    assert_eq!(
        store.create(&key, &record).await.expect("create"),
        Created::Created
    );

    let later = now + Duration::from_secs(30);
    let mut changes = Changes::new(now, later);
    changes.entries.push(("a".into(), Some(2.into())));
    let mut want = record.clone();
    changes.apply_to(&mut want);
    assert_eq!(
        store.apply(&key, &want, &changes).await.expect("apply"),
        Applied::Applied
    );
    let got = store.load(&key).await.expect("load").expect("live");
    assert_eq!((got.version, &got.data), (1, &want.data));
    assert_eq!(
        (got.user.as_deref(), got.persistent),
        (want.user.as_deref(), true)
    );
    assert_eq!(unix_millis(got.expires_at), unix_millis(later));
    assert_eq!(pexpiretime(&mut raw, &redis_key).await, unix_millis(later));

    let mut changes = Changes::new(now, later);
    changes.entries.push(("b".into(), None));
    changes.entries.push(("c".into(), Some(3.into())));
    changes.user = Some(None);
    changes.persistent = Some(false);
    changes.apply_to(&mut want);
    assert_eq!(
        store.apply(&key, &want, &changes).await.expect("apply"),
        Applied::Applied
    );
    let got = store.load(&key).await.expect("load").expect("live");
    assert_eq!((got.version, &got.data), (2, &want.data));
    assert_eq!((got.user, got.persistent), (None, false));
    let user: Option<String> = raw.hget(&redis_key, "user").await.expect("hget");
    assert_eq!(user, None, "unbinding removes the field");

    let mut changes = Changes::new(now, later);
    changes.persistent = Some(true);
    changes.apply_to(&mut want);
    assert_eq!(
        store.apply(&key, &want, &changes).await.expect("apply"),
        Applied::Applied
    );
    let got = store.load(&key).await.expect("load").expect("live");
    assert_eq!((got.version, got.persistent), (3, true));
    store.delete(&key).await.expect("delete");
}

/// Applies too long for the script's common form go in slices: thousands
/// of keys set with nothing removed, then thousands removed.
#[tokio::test]
async fn thousands_of_keys_set_then_removed_by_apply() {
    let Some((store, _raw)) = store().await else {
        return;
    };
    let (mut record, key, _) = created(&store).await;
    let now = SystemTime::now();
    let mut changes = Changes::new(now, now + Duration::from_secs(60));
    changes.entries = (0..3000).map(|i| (format!("k{i}"), Some(i.into()))).collect();
    changes.apply_to(&mut record);
    assert_eq!(
        store.apply(&key, &record, &changes).await.expect("apply"),
        Applied::Applied
    );
    let got = store.load(&key).await.expect("load").expect("live");
    assert_eq!((got.version, &got.data), (1, &record.data));

    let mut changes = Changes::new(now, now + Duration::from_secs(60));
    changes.entries = (1..3000).map(|i| (format!("k{i}"), None)).collect();
    changes.apply_to(&mut record);
    assert_eq!(
        store.apply(&key, &record, &changes).await.expect("apply"),
        Applied::Applied
    );
    let got = store.load(&key).await.expect("load").expect("live");
    assert_eq!((got.version, got.data.len()), (2, 1));
    assert_eq!(got.data, record.data);
    store.delete(&key).await.expect("delete");
}

/// The scripts compare deadlines as numbers, also when their decimal forms
/// differ in length (a shorter one is earlier, whatever its first digit).
#[tokio::test]
async fn deadlines_of_different_lengths_compare_as_numbers() {
    let Some((store, mut raw)) = store().await else {
        return;
    };
    // 14 digits, year 2286: later than any 13-digit deadline.
    let far = from_unix_millis(10_000_000_000_000);
    let now = SystemTime::now();
    let mut record = record_at(now);
    record.absolute_deadline = far;
    let (key, redis_key) = fresh_key();
    let _cleanup = DeleteOnDrop(redis_key.clone());
    assert_eq!(
        store.create(&key, &record).await.expect("create"),
        Created::Created
    );
    let later = now + Duration::from_secs(3600);
    store.touch(&key, later).await.expect("touch");
    assert_eq!(
        pexpiretime(&mut raw, &redis_key).await,
        unix_millis(later),
        "not capped"
    );
    let mut changes = Changes::new(now, later + Duration::from_secs(1));
    changes.entries.push(("n".into(), Some(1.into())));
    assert_eq!(
        store.apply(&key, &record, &changes).await.expect("apply"),
        Applied::Applied
    );
    assert_eq!(
        header_part(&mut raw, &redis_key, EXPIRES).await,
        (unix_millis(later) + 1000).to_string(),
        "not capped"
    );
    store.delete(&key).await.expect("delete");

    // 13 digits, and the new deadline 14: capped.
    let abs = from_unix_millis(9_999_999_999_999);
    record.absolute_deadline = abs;
    assert_eq!(
        store.create(&key, &record).await.expect("create"),
        Created::Created
    );
    store.touch(&key, far).await.expect("touch");
    assert_eq!(
        pexpiretime(&mut raw, &redis_key).await,
        unix_millis(abs),
        "capped"
    );
    let mut changes = Changes::new(now, far + Duration::from_secs(1));
    changes.entries.push(("n".into(), Some(1.into())));
    assert_eq!(
        store.apply(&key, &record, &changes).await.expect("apply"),
        Applied::Applied
    );
    assert_eq!(
        header_part(&mut raw, &redis_key, EXPIRES).await,
        unix_millis(abs).to_string(),
        "capped"
    );
    assert_eq!(pexpiretime(&mut raw, &redis_key).await, unix_millis(abs));
    store.delete(&key).await.expect("delete");
}

/// Deletes a key when dropped, also when the test fails: for keys that
/// would otherwise outlive the run by centuries.
struct DeleteOnDrop(String);

impl Drop for DeleteOnDrop {
    fn drop(&mut self) {
        if let Ok(mut conn) = redis::Client::open(url()).and_then(|c| c.get_connection()) {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(&self.0).query(&mut conn);
        }
    }
}

/// The script counts versions past 10^14 in plain digits (Lua's `..` would
/// write `1e+14` and leave a header nothing can read).
#[tokio::test]
async fn versions_past_ten_to_the_fourteenth_stay_decimal() {
    let Some((store, _raw)) = store().await else {
        return;
    };
    let mut record = record_at(SystemTime::now());
    record.version = 99_999_999_999_999;
    let (key, _) = fresh_key();
    assert_eq!(
        store.create(&key, &record).await.expect("create"),
        Created::Created
    );
    let mut changes = Changes::new(SystemTime::now(), record.expires_at);
    changes.entries.push(("n".into(), Some(1.into())));
    assert_eq!(
        store.apply(&key, &record, &changes).await.expect("apply"),
        Applied::Applied
    );
    let got = store.load(&key).await.expect("load").expect("live");
    assert_eq!(got.version, 100_000_000_000_000);
    store.delete(&key).await.expect("delete");
}
