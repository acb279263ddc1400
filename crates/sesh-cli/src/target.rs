//! From the store URLs on the command line to a connected store: the URL
//! checked first (so a typo is told apart from an outage), then the
//! connection, within `--connect-timeout`.

use std::{fmt, str::FromStr as _, sync::Arc, time::Duration};

use redis::IntoConnectionInfo as _;
use sesh_core::{Inspect, SweepExpired, UserIndex};
use sesh_redis::RedisStore;
use sesh_sqlx::{MySqlStore, PostgresStore, SqlStore, SqliteStore};
use sqlx::{
    mysql::MySqlConnectOptions,
    postgres::PgConnectOptions,
    sqlite::{SqliteConnectOptions, SqlitePoolOptions},
};

use crate::{args::Cli, fail::Failure};

/// What every command needs of a store: its sessions, its users' and
/// scanning. Every sesh store this command opens has all three.
pub(crate) trait Admin: UserIndex + Inspect {}

impl<T: UserIndex + Inspect> Admin for T {}

/// Which kind of store a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One Redis server.
    Redis,
    /// A Redis Cluster.
    RedisCluster,
    /// PostgreSQL.
    Postgres,
    /// MySQL or MariaDB.
    MySql,
    /// SQLite.
    Sqlite,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Redis => "redis",
            Self::RedisCluster => "redis-cluster",
            Self::Postgres => "postgres",
            Self::MySql => "mysql",
            Self::Sqlite => "sqlite",
        })
    }
}

/// A connected store.
pub(crate) struct Target {
    /// The store.
    pub(crate) store: Arc<dyn Admin>,
    /// The same store, where it needs sweeping (SQL); `None` for Redis,
    /// which expires sessions itself.
    pub(crate) sweeper: Option<Arc<dyn SweepExpired>>,
    /// Which kind of store it is.
    pub(crate) kind: Kind,
    /// The URL(s) with any password masked, and the prefix or table.
    pub(crate) shown: String,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("kind", &self.kind)
            .field("shown", &self.shown)
            .finish_non_exhaustive()
    }
}

/// Opens the store the command line names.
///
/// # Errors
/// A usage failure for a missing, malformed or unknown URL, or a bad
/// prefix or table name; an unreachable failure when the store does not
/// answer within `--connect-timeout`, or refuses the connection.
pub(crate) async fn open(cli: &Cli) -> Result<Target, Failure> {
    let Some(first) = cli.url.first() else {
        return Err(Failure::usage(
            "no store given: pass --url (redis://, postgres://, mysql:// or sqlite:<path>) or set SESH_URL",
        ));
    };
    let kind = kind_of(first, cli)?;
    if cli.url.len() > 1 && kind != Kind::RedisCluster {
        return Err(Failure::usage(
            "several --url values name a Redis Cluster's nodes; other stores take one URL",
        ));
    }
    let mut shown = cli.url.iter().map(|u| masked(u)).collect::<Vec<_>>().join(",");
    match kind {
        Kind::Redis | Kind::RedisCluster => shown.push_str(&format!(" (prefix {})", cli.prefix)),
        _ => shown.push_str(&format!(" (table {})", cli.table)),
    }
    let limit = cli.connect_timeout;
    let connecting = connect(kind, cli);
    let (store, sweeper) = match tokio::time::timeout(limit, connecting).await {
        Ok(Ok(opened)) => opened,
        Ok(Err(e)) if e.kind() == sesh_core::ErrorKind::Config => {
            return Err(Failure::usage(crate::fail::chain(&e)));
        }
        Ok(Err(e)) => return Err(Failure::store(&format!("cannot connect to {shown}"), &e)),
        Err(_) => return Err(no_answer(&shown, limit)),
    };
    Ok(Target {
        store,
        sweeper,
        kind,
        shown,
    })
}

type Opened = (Arc<dyn Admin>, Option<Arc<dyn SweepExpired>>);

async fn connect(kind: Kind, cli: &Cli) -> Result<Opened, sesh_core::Error> {
    let url = cli.url[0].as_str();
    match kind {
        Kind::Redis => {
            let store = RedisStore::connect(url).await?.with_prefix(&cli.prefix)?;
            Ok((Arc::new(store), None))
        }
        Kind::RedisCluster => {
            let store = RedisStore::connect_cluster(cli.url.iter().map(String::as_str))
                .await?
                .with_prefix(&cli.prefix)?;
            Ok((Arc::new(store), None))
        }
        Kind::Postgres => Ok(both(
            PostgresStore::connect(url).await?.with_table_name(&cli.table)?,
        )),
        Kind::MySql => Ok(both(MySqlStore::connect(url).await?.with_table_name(&cli.table)?)),
        Kind::Sqlite => {
            // Never `SqliteStore::connect`, which creates a missing file: a
            // mistyped path would then look like an empty store.
            let options = SqliteConnectOptions::from_str(url)
                .map_err(sesh_core::Error::store)?
                .create_if_missing(false);
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .map_err(|e| {
                    // A path that cannot be opened is the command line's mistake.
                    sesh_core::Error::new(sesh_core::ErrorKind::Config, e).context(
                        "cannot open the SQLite file (this command never creates one): check the path",
                    )
                })?;
            let store: SqliteStore = SqlStore::from_pool(pool).with_table_name(&cli.table)?;
            Ok(both(store))
        }
    }
}

fn both<S: Admin + SweepExpired + Clone>(store: S) -> Opened {
    (Arc::new(store.clone()), Some(Arc::new(store)))
}

/// The kind of store `url` names, its syntax checked.
fn kind_of(url: &str, cli: &Cli) -> Result<Kind, Failure> {
    let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
    let bad = |what: &str, example: &str, cause: &dyn fmt::Display| {
        Failure::usage(format!(
            "{} is not a valid {what} URL ({cause}): expected something like {example}",
            masked(url)
        ))
    };
    match scheme.to_ascii_lowercase().as_str() {
        "redis" | "rediss" => {
            url.into_connection_info()
                .map_err(|e| bad("Redis", "redis://[:password@]host:6379[/db]", &e))?;
            Ok(if cli.cluster || cli.url.len() > 1 {
                Kind::RedisCluster
            } else {
                Kind::Redis
            })
        }
        "postgres" | "postgresql" => {
            PgConnectOptions::from_str(url)
                .map_err(|e| bad("PostgreSQL", "postgres://user[:password]@host:5432/database", &e))?;
            Ok(Kind::Postgres)
        }
        "mysql" | "mariadb" => {
            MySqlConnectOptions::from_str(url)
                .map_err(|e| bad("MySQL", "mysql://user[:password]@host:3306/database", &e))?;
            Ok(Kind::MySql)
        }
        "sqlite" => {
            SqliteConnectOptions::from_str(url).map_err(|e| bad("SQLite", "sqlite:path/to/app.db", &e))?;
            Ok(Kind::Sqlite)
        }
        _ => Err(Failure::usage(format!(
            "{} names no store this command knows: use redis://, rediss://, postgres://, mysql:// or sqlite:<path>",
            masked(url)
        ))),
    }
}

fn no_answer(shown: &str, limit: Duration) -> Failure {
    Failure::new(
        crate::fail::FailureKind::Unreachable,
        format!(
            "no answer from {shown} within {} s\n  fix: check that the store is running and reachable \
             from here (host, port, firewall), or allow longer with --connect-timeout",
            limit.as_secs_f64()
        ),
    )
}

/// `url` with the password of its user info, if any, replaced by `***`.
pub(crate) fn masked(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match user_info.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(masked("redis://:hunter2@h:6379/0"), "redis://:***@h:6379/0");
        assert_eq!(
            masked("postgres://u:p%40ss@h/db?x=1"),
            "postgres://u:***@h/db?x=1"
        );
        assert_eq!(masked("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(masked("sqlite:app.db"), "sqlite:app.db");
    }

    #[test]
    fn urls_are_told_apart_and_checked() {
        let cli = |urls: &[&str]| {
            let mut args = vec!["sesh", "stats"];
            for u in urls {
                args.extend(["--url", u]);
            }
            Cli::parse_from(args)
        };
        let kind = |urls: &[&str]| kind_of(urls[0], &cli(urls));
        assert_eq!(kind(&["redis://h:1"]).ok(), Some(Kind::Redis));
        assert_eq!(
            kind(&["redis://a:1", "redis://b:1"]).ok(),
            Some(Kind::RedisCluster)
        );
        assert_eq!(kind(&["postgresql://u@h/db"]).ok(), Some(Kind::Postgres));
        assert_eq!(kind(&["sqlite:x.db"]).ok(), Some(Kind::Sqlite));
        for bad in [
            "http://h",
            "h:6379",
            "redis://h:notaport",
            "postgres://h:99999999/db",
        ] {
            let failure = kind(&[bad]).expect_err(bad);
            assert_eq!(failure.exit_code(), 2, "{bad}: {failure}");
        }
    }
}
