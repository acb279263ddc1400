//! The SQL text of every operation, shared by the dialects where they agree.
//!
//! Statements are written with `?` placeholders bound in order of
//! appearance; PostgreSQL's `$n` form is derived from them.
//!
//! [`Queries`] is `pub` in a private module: reachable through
//! `Backend`'s methods, nameable nowhere outside the crate.

use crate::{
    dialect::{Dialect, numbered},
    schema::Schema,
};

/// The statements for one table in one dialect, built once per store.
///
/// "Record columns" below means the five columns written from a record,
/// bound in this order: data, version, `user_id`, `absolute_at`, `expires_at`.
#[derive(Debug, Clone)]
pub struct Queries {
    /// The table, as validated by `with_table_name`.
    pub(crate) table: String,
    /// What `migrate` runs.
    pub(crate) schema: Schema,
    /// Binds: id, now, now. Returns the data, version and idle deadline columns.
    pub(crate) load: String,
    /// Binds: id, the record columns, then `now` [`insert_nows`](Self::insert_nows)
    /// times. Writes only if no live row has the id, replacing an expired one.
    pub(crate) insert: String,
    /// How many times `insert` binds `now` after the record columns.
    pub(crate) insert_nows: usize,
    /// Binds: the record columns, id, expected version, now, now.
    pub(crate) save: String,
    /// Binds: `expires_at`, id, now, now.
    pub(crate) touch: String,
    /// Binds: id.
    pub(crate) delete: String,
    /// Binds: now, now.
    pub(crate) sweep: String,
    /// Binds: user, now, now. Returns the id, data, version and idle deadline columns.
    pub(crate) user_sessions: String,
    /// Binds: user, the id to keep (`""` keeps none: no id is empty), now, now.
    pub(crate) delete_user_sessions: String,
    /// Binds: the id to start after (`""` from the start), how many rows.
    /// Returns the id, data, version, idle deadline and absolute deadline
    /// columns of the next rows in id order, live or not: a page costs
    /// that many rows of the primary key's index however many have expired.
    pub(crate) scan: String,
    /// Binds: the table name. Returns the database's estimate of the
    /// table's rows (negative if it has none); `None` where there is none.
    pub(crate) estimate: Option<String>,
    /// PostgreSQL's one-statement `apply` (see `merge.rs`), already numbered.
    #[cfg(feature = "postgres")]
    pub(crate) apply: Option<String>,
}

/// A live row: neither deadline has passed.
const LIVE: &str = "expires_at > ? AND absolute_at > ?";

/// The record columns in bind order.
const RECORD_COLUMNS: [&str; 5] = ["data", "version", "user_id", "absolute_at", "expires_at"];

impl Queries {
    pub(crate) fn new(dialect: Dialect, table: &str) -> Self {
        let least = match dialect {
            Dialect::Postgres | Dialect::MySql => "LEAST",
            Dialect::Sqlite => "MIN",
        };
        let (insert, insert_nows) = insert(dialect, table);
        let set_record = RECORD_COLUMNS.map(|c| format!("{c} = ?")).join(", ");
        let queries = Self {
            table: table.to_owned(),
            schema: Schema::new(dialect, table),
            load: format!("SELECT data, version, expires_at FROM {table} WHERE id = ? AND {LIVE}"),
            insert,
            insert_nows,
            save: format!("UPDATE {table} SET {set_record} WHERE id = ? AND version = ? AND {LIVE}"),
            touch: format!("UPDATE {table} SET expires_at = {least}(?, absolute_at) WHERE id = ? AND {LIVE}"),
            delete: format!("DELETE FROM {table} WHERE id = ?"),
            sweep: format!("DELETE FROM {table} WHERE NOT ({LIVE})"),
            user_sessions: format!(
                "SELECT id, data, version, expires_at FROM {table} WHERE user_id = ? AND {LIVE}"
            ),
            delete_user_sessions: format!("DELETE FROM {table} WHERE user_id = ? AND id <> ? AND {LIVE}"),
            scan: format!(
                "SELECT id, data, version, expires_at, absolute_at FROM {table} WHERE id > ? ORDER BY id LIMIT ?"
            ),
            estimate: estimate(dialect),
            #[cfg(feature = "postgres")]
            apply: (dialect == Dialect::Postgres).then(|| crate::merge::statement(table)),
        };
        if dialect == Dialect::Postgres {
            queries.numbered()
        } else {
            queries
        }
    }

    fn numbered(self) -> Self {
        let n = |s: String| numbered(&s);
        Self {
            table: self.table,
            schema: self.schema.numbered(),
            load: n(self.load),
            insert: n(self.insert),
            insert_nows: self.insert_nows,
            save: n(self.save),
            touch: n(self.touch),
            delete: n(self.delete),
            sweep: n(self.sweep),
            user_sessions: n(self.user_sessions),
            delete_user_sessions: n(self.delete_user_sessions),
            scan: n(self.scan),
            estimate: self.estimate.map(n),
            #[cfg(feature = "postgres")]
            apply: self.apply,
        }
    }
}

/// The statement that reads a table's estimated row count from the
/// database's statistics, where it keeps one: no row is visited.
fn estimate(dialect: Dialect) -> Option<String> {
    match dialect {
        // -1 until the table is first analyzed (PostgreSQL 14 and later).
        Dialect::Postgres => {
            Some("SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE oid = to_regclass(lower(?))".into())
        }
        Dialect::MySql => Some(
            "SELECT CAST(COALESCE(TABLE_ROWS, -1) AS SIGNED) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?"
                .into(),
        ),
        Dialect::Sqlite => None,
    }
}

/// `create`'s statement: an insert that replaces only an expired row, in
/// one statement, and how many `now` binds follow the record columns.
fn insert(dialect: Dialect, table: &str) -> (String, usize) {
    let head = format!(
        "INSERT INTO {table} (id, {}) VALUES (?, ?, ?, ?, ?, ?)",
        RECORD_COLUMNS.join(", ")
    );
    match dialect {
        Dialect::Postgres | Dialect::Sqlite => {
            let replace = RECORD_COLUMNS.map(|c| format!("{c} = excluded.{c}")).join(", ");
            let sql = format!(
                "{head} ON CONFLICT (id) DO UPDATE SET {replace} \
                 WHERE NOT ({table}.expires_at > ? AND {table}.absolute_at > ?)"
            );
            (sql, 2)
        }
        // MySQL's upsert has no WHERE: each column keeps its value while the
        // row is live. The test reads `expires_at`, so it is assigned last
        // (assignments run left to right); stores write `expires_at` no later
        // than `absolute_at`, so it alone says whether the row is live. The
        // kept `expires_at` goes through LAST_INSERT_ID(expr), which reports
        // it to the client: sqlx sets CLIENT_FOUND_ROWS, so the affected-row
        // count of a live collision (1) equals an insert's, and a non-zero
        // insert id is what tells them apart.
        Dialect::MySql => {
            let keep = |c: &str| format!("{c} = IF(expires_at > ?, {c}, VALUES({c}))");
            let mut set: Vec<String> = RECORD_COLUMNS[..4].iter().map(|c| keep(c)).collect();
            set.push(
                "expires_at = IF(expires_at > ?, LAST_INSERT_ID(expires_at), VALUES(expires_at))".into(),
            );
            (format!("{head} ON DUPLICATE KEY UPDATE {}", set.join(", ")), 5)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(sql: &str) -> usize {
        sql.matches('?').count()
    }

    #[test]
    fn postgres_placeholders_are_numbered_in_order() {
        let q = Queries::new(Dialect::Postgres, "t");
        assert_eq!(
            q.load,
            "SELECT data, version, expires_at FROM t WHERE id = $1 AND expires_at > $2 AND absolute_at > $3"
        );
        assert!(
            q.insert
                .ends_with("WHERE NOT (t.expires_at > $7 AND t.absolute_at > $8)")
        );
    }

    #[test]
    fn insert_binds_id_record_columns_and_nows() {
        for dialect in [Dialect::MySql, Dialect::Sqlite] {
            let q = Queries::new(dialect, "t");
            assert_eq!(placeholders(&q.insert), 6 + q.insert_nows, "{dialect:?}");
        }
    }

    #[test]
    fn mysql_insert_assigns_expires_at_last() {
        let q = Queries::new(Dialect::MySql, "t");
        let update = q.insert.split("ON DUPLICATE KEY UPDATE").nth(1).expect("upsert");
        let at = |column: &str| update.find(&format!(" {column} = IF(")).expect(column);
        for column in &RECORD_COLUMNS[..4] {
            assert!(at(column) < at("expires_at"), "{column} after expires_at");
        }
        assert_eq!(update.matches("IF(expires_at > ?").count(), 5);
    }

    #[test]
    fn sqlite_touch_uses_min() {
        assert!(
            Queries::new(Dialect::Sqlite, "t")
                .touch
                .contains("MIN(?, absolute_at)")
        );
    }
}
