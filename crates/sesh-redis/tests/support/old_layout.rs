//! Hashes of layout 1, each header value in a field of its own, as the
//! store wrote them before the header was packed into one field: with
//! `exp`, or as it wrote them before that field existed (the idle deadline
//! lived only in the key's TTL). Checks that an upgrade loses no session.

use std::time::SystemTime;

use redis::aio::ConnectionLike;
use sesh_core::{Record, unix_millis};

/// Writes `record` under `redis_key` as layout 1 did: the metadata and
/// data fields, `exp` if `with_exp`, and a TTL at the earlier deadline.
pub async fn write(conn: &mut impl ConnectionLike, redis_key: &str, record: &Record, with_exp: bool) {
    let millis = |t: SystemTime| unix_millis(t).to_string();
    let mut fields = vec![
        ("fmt".to_owned(), "1".to_owned()),
        ("ver".to_owned(), record.version.to_string()),
        ("abs".to_owned(), millis(record.absolute_deadline)),
        ("created".to_owned(), millis(record.created_at)),
        ("active".to_owned(), millis(record.last_active)),
        ("persist".to_owned(), u8::from(record.persistent).to_string()),
    ];
    let deadline = unix_millis(record.expires_at.min(record.absolute_deadline));
    if with_exp {
        fields.push(("exp".to_owned(), deadline.to_string()));
    }
    fields.extend(record.user.iter().map(|u| ("user".to_owned(), u.clone())));
    fields.extend(record.data.iter().map(|(k, v)| (format!("d:{k}"), v.to_string())));
    let () = redis::pipe()
        .atomic()
        .hset_multiple(redis_key, &fields)
        .ignore()
        .cmd("PEXPIREAT")
        .arg(redis_key)
        .arg(deadline)
        .ignore()
        .query_async(conn)
        .await
        .expect("write an old-layout hash");
}
