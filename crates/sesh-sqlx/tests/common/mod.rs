//! Shared by the test files that need a database server.

// Each test file uses a different subset.
#![allow(dead_code, unreachable_pub)]

use std::{future::Future, time::Duration};

use tokio::sync::OnceCell;

/// How long the reachability probe waits: a server that is there answers
/// on loopback in milliseconds, and one that is not should cost little.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// `SESH_POSTGRES_URL`, by default the local test server.
pub fn postgres_url() -> String {
    std::env::var("SESH_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// `SESH_MYSQL_URL`, by default the local test server.
pub fn mysql_url() -> String {
    std::env::var("SESH_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// A server's reachability, found out once per test binary: `None` if
/// it answered, else why not.
pub type Verdict = OnceCell<Option<String>>;

/// Whether the `store` server at `url` answers. Only the first caller of a
/// `verdict` runs `probe` (a connect with [`PROBE_TIMEOUT`]); the others
/// reuse its answer, so an absent server costs one probe, not one pool
/// timeout per test. Unreachable: a skip notice, or a panic under
/// `SESH_REQUIRE_SERVERS=1` (see `sesh_store_tests::server_unreachable`).
pub async fn reachable(
    verdict: &Verdict,
    store: &str,
    url: &str,
    probe: impl Future<Output = Result<(), sqlx::Error>>,
) -> bool {
    let failure = verdict
        .get_or_init(|| async { probe.await.err().map(|e| error_chain(&e)) })
        .await;
    match failure {
        None => true,
        Some(reason) => {
            sesh_store_tests::server_unreachable(store, url, &std::io::Error::other(reason.clone()));
            false
        }
    }
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text = format!("{text}: {e}");
        cause = e.source();
    }
    text
}

/// A name (of a table, a user) no other test uses, so tests can share a
/// database and change or drop what they name.
pub fn fresh_name(prefix: &str) -> String {
    let key = sesh_core::SessionId::generate().key().to_hex();
    format!("{prefix}_{}", &key[..12])
}

#[cfg(feature = "postgres")]
pub async fn postgres_probe(url: &str) -> Result<(), sqlx::Error> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(PROBE_TIMEOUT)
        .connect(url)
        .await?;
    pool.close().await;
    Ok(())
}

#[cfg(feature = "mysql")]
pub async fn mysql_probe(url: &str) -> Result<(), sqlx::Error> {
    let pool = sqlx::mysql::MySqlPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(PROBE_TIMEOUT)
        .connect(url)
        .await?;
    pool.close().await;
    Ok(())
}

/// A migrated store on the test server, or `None` (skip) if it is unreachable.
#[cfg(feature = "postgres")]
pub async fn postgres_store() -> Option<sesh_sqlx::PostgresStore> {
    static VERDICT: Verdict = Verdict::const_new();
    let url = postgres_url();
    if !reachable(&VERDICT, "postgres", &url, postgres_probe(&url)).await {
        return None;
    }
    let store = sesh_sqlx::PostgresStore::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    Some(store)
}

/// A migrated store on the test server, or `None` (skip) if it is unreachable.
#[cfg(feature = "mysql")]
pub async fn mysql_store() -> Option<sesh_sqlx::MySqlStore> {
    static VERDICT: Verdict = Verdict::const_new();
    let url = mysql_url();
    if !reachable(&VERDICT, "mysql", &url, mysql_probe(&url)).await {
        return None;
    }
    let store = sesh_sqlx::MySqlStore::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    Some(store)
}

/// A record bound to `user`, live for an hour.
pub fn record_of(user: Option<&str>) -> sesh_core::Record {
    let mut record = sesh_core::Record::new(std::time::SystemTime::now(), &sesh_core::Expiry::new());
    record.user = user.map(str::to_owned);
    record
}

/// The table as `migrate` created it before the per-user index, for
/// checking that `migrate` upgrades it. `blob` is the dialect's BLOB type
/// and `key` its type for the id.
pub fn table_without_user_column(table: &str, key: &str, blob: &str) -> String {
    format!(
        "CREATE TABLE {table} (id {key} NOT NULL PRIMARY KEY, data {blob} NOT NULL, \
         version BIGINT NOT NULL, expires_at BIGINT NOT NULL, absolute_at BIGINT NOT NULL)"
    )
}

/// Concurrent `migrate`s (racing to add the column) all succeed, and the
/// upgraded table keeps its old row (under `old_key`) and indexes new ones
/// by user.
pub async fn check_upgrade<S, F>(store: &S, migrate: impl Fn() -> F, old_key: &sesh_core::StoreKey)
where
    S: sesh_core::UserIndex,
    F: Future<Output = Result<(), sesh_core::Error>>,
{
    use sesh_core::Created;
    for outcome in futures_util::future::join_all((0..4).map(|_| migrate())).await {
        outcome.expect("migrate upgrades the table");
    }
    assert!(
        store.load(old_key).await.expect("load").is_some(),
        "an old row survives"
    );
    let key = sesh_core::SessionId::generate().key();
    let user = fresh_name("user");
    let created = store.create(&key, &record_of(Some(&user))).await.expect("create");
    assert_eq!(created, Created::Created);
    let listed = store.user_sessions(&user).await.expect("user_sessions");
    assert_eq!(listed.iter().map(|s| s.key).collect::<Vec<_>>(), vec![key]);
}

/// The two dialect-specific tests every SQL server runs, written once: `migrate`
/// upgrading a table from before the user index, and the per-operation time
/// limit against a row lock. Each dialect gives its store, column types
/// (key, data) and placeholders; `{table}` in `insert_old` names the old table.
// Only the MySQL and PostgreSQL test files invoke it.
#[allow(unused_macros)]
macro_rules! upgrade_and_lock_tests {
    (
        store: $store:path,
        columns: ($key_type:literal, $data_type:literal),
        insert_old: $insert_old:literal,
        lock_row: $lock_row:literal $(,)?
    ) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn migrate_adds_the_user_index_to_an_old_table() {
            let Some(store) = $store().await else {
                return;
            };
            let table = common::fresh_name("sesh_old");
            let pool = store.pool().clone();
            sqlx::query(&common::table_without_user_column(
                &table, $key_type, $data_type,
            ))
            .execute(&pool)
            .await
            .expect("old table");
            let old = common::record_of(None);
            let old_key = sesh_core::SessionId::generate().key();
            let millis = |t| i64::try_from(sesh_core::unix_millis(t)).expect("ms");
            sqlx::query(&format!($insert_old, table = table))
                .bind(old_key.to_hex())
                .bind(old.encode().expect("encode"))
                .bind(millis(old.expires_at))
                .bind(millis(old.absolute_deadline))
                .execute(&pool)
                .await
                .expect("old row");
            let store = store.with_table_name(&table).expect("table name");
            common::check_upgrade(&store, || store.migrate(), &old_key).await;
            sqlx::query(&format!("DROP TABLE {table}"))
                .execute(&pool)
                .await
                .expect("drop");
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_statement_blocked_by_a_lock_times_out_and_the_store_recovers() {
            use sesh_core::SessionStore as _;
            let Some(store) = $store().await else {
                return;
            };
            let limit = std::time::Duration::from_millis(300);
            let store = store.with_timeout(limit);
            let key = sesh_core::SessionId::generate().key();
            let created = store
                .create(&key, &common::record_of(None))
                .await
                .expect("create");
            assert_eq!(created, sesh_core::Created::Created);
            let mut lock = store.pool().begin().await.expect("begin");
            sqlx::query($lock_row)
                .bind(key.to_hex())
                .execute(&mut *lock)
                .await
                .expect("lock the row");
            let later = std::time::SystemTime::now() + std::time::Duration::from_secs(600);
            let started = std::time::Instant::now();
            let error = store
                .touch(&key, later)
                .await
                .expect_err("blocked by the lock");
            let took = started.elapsed();
            eprintln!("touch behind a row lock failed after {took:?} (limit {limit:?})");
            assert_eq!(error.kind(), sesh_core::ErrorKind::Timeout);
            assert!(error.is_unavailable());
            assert!(took >= limit && took < limit * 5, "took {took:?}");
            lock.rollback().await.expect("unlock");
            store
                .touch(&key, later)
                .await
                .expect("touch after the lock is gone");
            assert!(store.load(&key).await.expect("load").is_some());
        }
    };
}
#[allow(unused_imports)]
pub(crate) use upgrade_and_lock_tests;
