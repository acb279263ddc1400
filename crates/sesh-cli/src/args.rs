//! The command line, as clap reads it. A leaf: no other module here.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Look after the sessions in a sesh store: count them, list a user's,
/// end them, purge expired ones, look inside one.
///
/// Sessions are named by their store key (the SHA-256 of the session ID,
/// as the store keeps it); session IDs are never stored, so never shown.
/// Stored values are shown only by `inspect --values`.
#[derive(Debug, Parser)]
#[command(name = "sesh", version)]
pub struct Cli {
    /// The store, as the app connects to it: redis://, rediss://,
    /// postgres://, mysql:// (also MariaDB) or sqlite:<path>. For a Redis
    /// Cluster give several nodes (repeat --url, or separate with commas).
    #[arg(
        long,
        short = 'u',
        env = "SESH_URL",
        value_delimiter = ',',
        global = true,
        hide_env_values = true
    )]
    pub url: Vec<String>,

    /// Treat a single redis:// URL as a node of a Redis Cluster.
    #[arg(long, global = true)]
    pub cluster: bool,

    /// The Redis key prefix the app's store uses.
    #[arg(long, global = true, default_value = sesh_redis::DEFAULT_PREFIX)]
    pub prefix: String,

    /// The SQL table the app's store uses.
    #[arg(long, global = true, default_value = sesh_sqlx::DEFAULT_TABLE)]
    pub table: String,

    /// How long to wait for the store to answer at first, in seconds.
    #[arg(long, global = true, default_value = "5", value_parser = seconds, value_name = "SECONDS")]
    pub connect_timeout: Duration,

    /// Print JSON instead of text (`list`: one JSON object per line).
    #[arg(long, global = true)]
    pub json: bool,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub scan: ScanArgs,

    #[command(subcommand)]
    #[allow(missing_docs)]
    pub command: Command,
}

/// How long scans go, and how they show progress.
#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Sessions read per page of a scan (a hint on Redis, whose SCAN COUNT it is).
    #[arg(long, global = true, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch: u32,

    /// Milliseconds to wait between pages of a scan, leaving the store room
    /// for the app's requests.
    #[arg(long, global = true, default_value_t = 5, value_name = "MS")]
    pub pause_ms: u64,

    /// Print "scanned N sessions" on stderr every N sessions. Without it,
    /// progress is drawn only when stderr is a terminal.
    #[arg(long, global = true, value_name = "N")]
    pub progress_every: Option<u64>,

    /// Never show progress.
    #[arg(long, global = true, conflicts_with = "progress_every")]
    pub no_progress: bool,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Live sessions, users with sessions, how persistent and how large
    /// (a full scan, page by page).
    Stats,
    /// A user's sessions, oldest first, or with no --user every session
    /// (a scan, page by page).
    List {
        /// The user whose sessions to list.
        #[arg(long)]
        user: Option<String>,
        /// Stop after this many sessions.
        #[arg(long, value_name = "N")]
        limit: Option<u64>,
    },
    /// End sessions now: every session of a user, or one by its store key.
    Revoke(RevokeArgs),
    /// Delete expired sessions, for stores that do not expire them
    /// themselves (SQL). Redis needs none.
    PurgeExpired,
    /// One session's fields, data keys and their sizes; values only with --values.
    Inspect {
        /// The session's store key (64 hex digits, as `list` prints it).
        #[arg(long, value_name = "STORE_KEY")]
        key: String,
        /// Show the stored values too. They may be secrets (tokens,
        /// personal data): mind where the output goes.
        #[arg(long)]
        values: bool,
    },
}

/// Whose sessions `revoke` ends.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// End every session of this user (asks first, unless --yes).
    #[arg(long, required_unless_present = "key", conflicts_with = "key")]
    pub user: Option<String>,
    /// End the session with this store key (64 hex digits).
    #[arg(long, value_name = "STORE_KEY")]
    pub key: Option<String>,
    /// Do not ask before ending a user's sessions.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

fn seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if secs.is_finite() && secs > 0.0 && secs <= 3600.0 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(format!("{text} s is not between 0 and 3600 s"))
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn revoke_needs_exactly_one_of_user_and_key() {
        assert!(Cli::try_parse_from(["sesh", "revoke"]).is_err());
        assert!(Cli::try_parse_from(["sesh", "revoke", "--user", "a", "--key", "b"]).is_err());
        assert!(Cli::try_parse_from(["sesh", "revoke", "--user", "a"]).is_ok());
        assert!(Cli::try_parse_from(["sesh", "revoke", "--user", "a", "--yes"]).is_ok());
        assert!(Cli::try_parse_from(["sesh", "revoke", "--key", "b", "-y"]).is_ok());
    }

    #[test]
    fn urls_split_on_commas_and_options_go_anywhere() {
        let cli = Cli::try_parse_from(["sesh", "stats", "--url", "redis://a:1,redis://b:2", "--json"])
            .expect("parses");
        assert_eq!(cli.url.len(), 2);
        assert!(cli.json);
    }
}
