//! The stored form: the TTL and the header's deadlines, hashes of layout 1
//! (loaded, touched, and rewritten packed by a write), and each form of
//! the apply script.

mod support;

use std::time::{Duration, SystemTime};

use redis::AsyncCommands as _;
use sesh_core::{Applied, Changes, Created, Saved, SessionId, SessionStore, from_unix_millis, unix_millis};
use support::shared::{
    ABSOLUTE, EXPIRES, assert_repacked, created, fresh_key, header_part, pexpiretime, record_at,
    set_header_part, store, url,
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
        store.apply(&key, want.clone(), &changes).await.expect("apply"),
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
        store.apply(&key, want.clone(), &changes).await.expect("apply"),
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
        store.apply(&key, want.clone(), &changes).await.expect("apply"),
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
        store.apply(&key, record.clone(), &changes).await.expect("apply"),
        Applied::Applied
    );
    let got = store.load(&key).await.expect("load").expect("live");
    assert_eq!((got.version, &got.data), (1, &record.data));

    let mut changes = Changes::new(now, now + Duration::from_secs(60));
    changes.entries = (1..3000).map(|i| (format!("k{i}"), None)).collect();
    changes.apply_to(&mut record);
    assert_eq!(
        store.apply(&key, record.clone(), &changes).await.expect("apply"),
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
        store.apply(&key, record.clone(), &changes).await.expect("apply"),
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
        store.apply(&key, record, &changes).await.expect("apply"),
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
        store.apply(&key, record.clone(), &changes).await.expect("apply"),
        Applied::Applied
    );
    let got = store.load(&key).await.expect("load").expect("live");
    assert_eq!(got.version, 100_000_000_000_000);
    store.delete(&key).await.expect("delete");
}

/// A layout-1 hash without its `created` field cannot be rewritten: apply
/// fails and leaves the hash as it was, rather than half converted.
#[tokio::test]
async fn a_broken_layout_1_hash_is_left_alone() {
    let Some((store, mut raw)) = store().await else {
        return;
    };
    let record = record_at(SystemTime::now());
    let (key, redis_key) = fresh_key();
    support::old_layout::write(&mut raw, &redis_key, &record, true).await;
    let () = raw.hdel(&redis_key, "created").await.expect("hdel");
    let before: Vec<String> = raw.hkeys(&redis_key).await.expect("hkeys");
    let mut changes = Changes::new(SystemTime::now(), record.expires_at);
    changes.entries.push(("n".into(), Some(1.into())));
    store
        .apply(&key, record, &changes)
        .await
        .expect_err("no header to rewrite");
    let after: Vec<String> = raw.hkeys(&redis_key).await.expect("hkeys");
    assert_eq!(after, before);
    let () = raw.del(&redis_key).await.expect("del");
}
