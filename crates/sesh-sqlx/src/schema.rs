//! The table and its indexes, as `migrate` creates them.
//!
//! Columns: `id` (hex store key, primary key), `data` (the encoded
//! record), `version`, `expires_at` and `absolute_at` (BIGINT Unix ms) and
//! `user_id` (the record's user, NULL if none), indexed on `expires_at`
//! (sweeping) and `user_id` (the per-user index).

use crate::dialect::{Dialect, numbered};

/// What `migrate` runs: the table, the `user_id` column for tables created
/// before it existed, then the indexes.
#[derive(Debug, Clone)]
pub(crate) struct Schema {
    /// `CREATE TABLE IF NOT EXISTS` with every column.
    pub(crate) create_table: String,
    /// Binds: the table name. Returns how many `user_id` columns the table has.
    pub(crate) has_user_column: String,
    /// Adds `user_id` (in MySQL with its index) to a table that lacks it.
    pub(crate) add_user_column: String,
    /// `CREATE INDEX IF NOT EXISTS` statements; MySQL, which has no such
    /// statement, declares its indexes with the table instead.
    pub(crate) create_indexes: Vec<String>,
}

impl Schema {
    pub(crate) fn new(dialect: Dialect, table: &str) -> Self {
        // MySQL compares VARBINARY byte by byte: no case folding and no
        // trailing-space padding, so one user's name never matches another's.
        // 767 bytes is the longest key every InnoDB row format can index.
        let (key, blob, user) = match dialect {
            Dialect::Postgres => ("TEXT", "BYTEA", "TEXT"),
            Dialect::MySql => ("CHAR(64)", "LONGBLOB", "VARBINARY(767)"),
            Dialect::Sqlite => ("TEXT", "BLOB", "TEXT"),
        };
        let columns = format!(
            "id {key} NOT NULL PRIMARY KEY, data {blob} NOT NULL, version BIGINT NOT NULL, \
             expires_at BIGINT NOT NULL, absolute_at BIGINT NOT NULL, user_id {user} NULL"
        );
        let index = |column: &str| format!("INDEX {table}_{column} ({column})");
        match dialect {
            Dialect::MySql => Self {
                create_table: format!(
                    "CREATE TABLE IF NOT EXISTS {table} ({columns}, {}, {})",
                    index("expires_at"),
                    index("user_id")
                ),
                has_user_column: "SELECT COUNT(*) FROM information_schema.columns \
                    WHERE table_schema = DATABASE() AND table_name = ? AND column_name = 'user_id'"
                    .into(),
                add_user_column: format!(
                    "ALTER TABLE {table} ADD COLUMN user_id {user} NULL, ADD {}",
                    index("user_id")
                ),
                create_indexes: Vec::new(),
            },
            Dialect::Postgres | Dialect::Sqlite => Self {
                create_table: format!("CREATE TABLE IF NOT EXISTS {table} ({columns})"),
                has_user_column: if dialect == Dialect::Postgres {
                    // Unquoted identifiers are stored in lower case.
                    "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() \
                     AND table_name = lower(?) AND column_name = 'user_id'"
                } else {
                    "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = 'user_id'"
                }
                .into(),
                add_user_column: format!("ALTER TABLE {table} ADD COLUMN user_id {user} NULL"),
                create_indexes: ["expires_at", "user_id"]
                    .map(|c| format!("CREATE INDEX IF NOT EXISTS {table}_{c} ON {table} ({c})"))
                    .into(),
            },
        }
    }

    pub(crate) fn numbered(self) -> Self {
        Self {
            has_user_column: numbered(&self.has_user_column),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dialect_creates_the_user_column_and_its_index() {
        for dialect in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
            let s = Schema::new(dialect, "t");
            assert!(s.create_table.contains("user_id"), "{dialect:?}");
            let indexed = s.create_table.contains("INDEX t_user_id")
                || s.create_indexes
                    .iter()
                    .any(|i| i.contains("t_user_id ON t (user_id)"));
            assert!(indexed, "{dialect:?}");
        }
    }

    #[test]
    fn postgres_column_check_is_numbered() {
        let s = Schema::new(Dialect::Postgres, "t").numbered();
        assert!(s.has_user_column.contains("lower($1)"));
    }
}
