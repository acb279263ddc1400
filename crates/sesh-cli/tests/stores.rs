//! The `sesh` binary against every real store: Redis, a Redis Cluster,
//! PostgreSQL, MariaDB (or MySQL) and SQLite. Each test seeds sessions
//! through the store's API under a prefix or table of its own, runs every
//! command (`support::check_every_command`) and removes what it made.
//!
//! Servers are found at `SESH_REDIS_URL`, `SESH_POSTGRES_URL` and
//! `SESH_MYSQL_URL` (loopback defaults); the cluster is started on
//! 127.0.0.1:7301-7303 by `scripts/redis-cluster.sh`. An unreachable server
//! skips its test with a notice, unless `SESH_REQUIRE_SERVERS=1`.

mod support;

use std::{future::Future, path::PathBuf, process::Command, sync::OnceLock};

use sesh_core::{Inspect, UserIndex};
use sesh_redis::RedisStore;
use sesh_sqlx::{MySqlStore, PostgresStore, SqlStore, SqliteStore};
use support::{check_every_command, fresh, seed};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[test]
fn every_command_on_redis() {
    let rt = runtime();
    let url = env_or("SESH_REDIS_URL", "redis://127.0.0.1:6379");
    let prefix = fresh("sesh-cli-test-");
    let store = match rt.block_on(RedisStore::connect(&url)) {
        Ok(store) => store.with_prefix(&prefix).expect("prefix"),
        Err(e) => return sesh_store_tests::server_unreachable("redis", &url, &e),
    };
    let args = ["--url".to_owned(), url, "--prefix".to_owned(), prefix];
    rt.block_on(async {
        let seeded = seed(&store).await;
        check_every_command(&store, &args, &seeded, false).await;
    });
}

/// Starts (or joins) the test cluster once per process, as sesh-redis's
/// cluster tests do; its watchdog stops it once every owner has exited.
fn cluster() -> Result<(), String> {
    static STARTED: OnceLock<Result<(), String>> = OnceLock::new();
    STARTED
        .get_or_init(|| {
            let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/redis-cluster.sh");
            let out = Command::new("bash")
                .arg(script)
                .args(["start", "--owner", &std::process::id().to_string()])
                .output()
                .map_err(|e| e.to_string())?;
            if out.status.success() {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
            }
        })
        .clone()
}

#[test]
fn every_command_on_a_redis_cluster() {
    let nodes = [
        "redis://127.0.0.1:7301",
        "redis://127.0.0.1:7302",
        "redis://127.0.0.1:7303",
    ];
    if let Err(e) = cluster() {
        let e = std::io::Error::other(e);
        return sesh_store_tests::server_unreachable("redis cluster", &nodes.join(","), &e);
    }
    let rt = runtime();
    let prefix = fresh("sesh-cli-test-");
    let store = rt
        .block_on(RedisStore::connect_cluster(nodes))
        .expect("cluster")
        .with_prefix(&prefix)
        .expect("prefix");
    // Two of the three nodes named; the third is found from their slot map.
    let args = [
        "--url",
        "redis://127.0.0.1:7301,redis://127.0.0.1:7302",
        "--prefix",
        &prefix,
    ]
    .map(str::to_owned);
    rt.block_on(async {
        let seeded = seed(&store).await;
        check_every_command(&store, &args, &seeded, false).await;
    });
    // One node and --cluster: the same store.
    let one = [
        "--url",
        nodes[0],
        "--cluster",
        "--prefix",
        &prefix,
        "stats",
        "--json",
    ];
    let stats = support::sesh(&one).ok().json();
    assert_eq!(stats["store"], "redis-cluster");
    assert_eq!(stats["sessions"], 0, "every session was cleaned up: {stats}");
}

#[test]
fn every_command_on_postgres() {
    let url = env_or("SESH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test");
    every_command_on_a_sql_server("postgres", url, |url, table| async move {
        PostgresStore::connect(&url).await?.with_table_name(&table)
    });
}

#[test]
fn every_command_on_mariadb() {
    let url = env_or("SESH_MYSQL_URL", "mysql://root@127.0.0.1:3306/test");
    every_command_on_a_sql_server("mysql", url, |url, table| async move {
        MySqlStore::connect(&url).await?.with_table_name(&table)
    });
}

/// Every command against the server at `url`, in a table of the test's
/// own (migrated first, dropped at the end); an unreachable server is
/// reported as `sesh_store_tests::server_unreachable` says.
fn every_command_on_a_sql_server<DB, Connect, Connecting>(name: &str, url: String, connect: Connect)
where
    DB: sqlx::Database + sesh_sqlx::Backend,
    SqlStore<DB>: UserIndex + Inspect,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    Connect: FnOnce(String, String) -> Connecting,
    Connecting: Future<Output = Result<SqlStore<DB>, sesh_core::Error>>,
{
    let rt = runtime();
    let table = fresh("sesh_cli_");
    let connected = rt.block_on(async {
        let store = connect(url.clone(), table.clone()).await?;
        store.migrate().await?;
        Ok::<_, sesh_core::Error>(store)
    });
    let store = match connected {
        Ok(store) => store,
        Err(e) => return sesh_store_tests::server_unreachable(name, &url, &e),
    };
    let args = ["--url".to_owned(), url, "--table".to_owned(), table.clone()];
    rt.block_on(async {
        let seeded = seed(&store).await;
        check_every_command(&store, &args, &seeded, true).await;
        drop_table(store.pool(), &table).await;
    });
}

#[test]
fn every_command_on_sqlite() {
    let rt = runtime();
    let path = std::env::temp_dir().join(format!("{}.db", fresh("sesh-cli-test-")));
    let url = format!("sqlite:{}", path.display());
    let store = rt.block_on(async {
        let store = SqliteStore::connect(&url).await.expect("create the file");
        store.migrate().await.expect("migrate");
        store
    });
    let args = ["--url".to_owned(), url];
    rt.block_on(async {
        let seeded = seed(&store).await;
        check_every_command(&store, &args, &seeded, true).await;
        store.pool().close().await;
    });
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

async fn drop_table<DB>(pool: &sqlx::Pool<DB>, table: &str)
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    sqlx::query(&format!("DROP TABLE {table}"))
        .execute(pool)
        .await
        .expect("drop the test's table");
}
