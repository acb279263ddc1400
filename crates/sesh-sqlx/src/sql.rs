//! The SQL text of every operation, shared by the dialects where they agree.
//!
//! Statements are written with `?` placeholders bound in order of
//! appearance; PostgreSQL's `$n` form is derived from them.

/// Where the three dialects differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    MySql,
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    Sqlite,
}

/// The statements for one table in one dialect, built once per store.
#[derive(Debug, Clone)]
pub(crate) struct Queries {
    /// Statements run in order by `migrate`.
    pub(crate) migrate: Vec<String>,
    /// Binds: id, now, now. Returns the data, version and idle deadline columns.
    pub(crate) load: String,
    /// Run before `insert` where the dialect cannot replace an expired row
    /// in the insert itself. Binds: id, now, now.
    pub(crate) clear_expired: Option<String>,
    /// Binds: id, data, version, `expires_at`, `absolute_at`, then (upserts
    /// only) now, now. Affects one row if the record was written.
    pub(crate) insert: String,
    /// Binds: data, version, `expires_at`, `absolute_at`, id, expected version, now, now.
    pub(crate) save: String,
    /// Binds: `expires_at`, id, now, now.
    pub(crate) touch: String,
    /// Binds: id.
    pub(crate) delete: String,
    /// Binds: now, now.
    pub(crate) sweep: String,
}

/// A live row: neither deadline has passed.
const LIVE: &str = "expires_at > ? AND absolute_at > ?";

impl Queries {
    pub(crate) fn new(dialect: Dialect, table: &str) -> Self {
        let (key, blob, least) = match dialect {
            Dialect::Postgres => ("TEXT", "BYTEA", "LEAST"),
            Dialect::MySql => ("CHAR(64)", "LONGBLOB", "LEAST"),
            Dialect::Sqlite => ("TEXT", "BLOB", "MIN"),
        };
        let columns = format!(
            "id {key} NOT NULL PRIMARY KEY, data {blob} NOT NULL, version BIGINT NOT NULL, \
             expires_at BIGINT NOT NULL, absolute_at BIGINT NOT NULL"
        );
        // MySQL has no CREATE INDEX IF NOT EXISTS, so its index is declared inline.
        let migrate = match dialect {
            Dialect::MySql => vec![format!(
                "CREATE TABLE IF NOT EXISTS {table} ({columns}, INDEX {table}_expires_at (expires_at))"
            )],
            Dialect::Postgres | Dialect::Sqlite => vec![
                format!("CREATE TABLE IF NOT EXISTS {table} ({columns})"),
                format!("CREATE INDEX IF NOT EXISTS {table}_expires_at ON {table} (expires_at)"),
            ],
        };
        let insert_head = format!(
            "INSERT INTO {table} (id, data, version, expires_at, absolute_at) VALUES (?, ?, ?, ?, ?)"
        );
        let (clear_expired, insert) = match dialect {
            // MySQL's upsert cannot tell "replaced" from "left alone" by the
            // affected-row count, so expired rows are deleted first; the
            // insert's duplicate-key error then means a live collision.
            Dialect::MySql => (
                Some(format!("DELETE FROM {table} WHERE id = ? AND NOT ({LIVE})")),
                insert_head,
            ),
            Dialect::Postgres | Dialect::Sqlite => (
                None,
                format!(
                    "{insert_head} ON CONFLICT (id) DO UPDATE SET data = excluded.data, \
                     version = excluded.version, expires_at = excluded.expires_at, \
                     absolute_at = excluded.absolute_at \
                     WHERE NOT ({table}.expires_at > ? AND {table}.absolute_at > ?)"
                ),
            ),
        };
        let queries = Self {
            migrate,
            load: format!("SELECT data, version, expires_at FROM {table} WHERE id = ? AND {LIVE}"),
            clear_expired,
            insert,
            save: format!(
                "UPDATE {table} SET data = ?, version = ?, expires_at = ?, absolute_at = ? \
                 WHERE id = ? AND version = ? AND {LIVE}"
            ),
            touch: format!("UPDATE {table} SET expires_at = {least}(?, absolute_at) WHERE id = ? AND {LIVE}"),
            delete: format!("DELETE FROM {table} WHERE id = ?"),
            sweep: format!("DELETE FROM {table} WHERE NOT ({LIVE})"),
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
            migrate: self.migrate,
            load: n(self.load),
            clear_expired: self.clear_expired.map(n),
            insert: n(self.insert),
            save: n(self.save),
            touch: n(self.touch),
            delete: n(self.delete),
            sweep: n(self.sweep),
        }
    }
}

/// `?` placeholders to `$1, $2, ...`. The statements hold no string
/// literals, so every `?` is a placeholder.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered_in_order() {
        let q = Queries::new(Dialect::Postgres, "t");
        assert_eq!(
            q.load,
            "SELECT data, version, expires_at FROM t WHERE id = $1 AND expires_at > $2 AND absolute_at > $3"
        );
        assert!(
            q.insert
                .ends_with("WHERE NOT (t.expires_at > $6 AND t.absolute_at > $7)")
        );
    }

    #[test]
    fn only_mysql_clears_expired_rows_first() {
        assert!(Queries::new(Dialect::MySql, "t").clear_expired.is_some());
        assert!(Queries::new(Dialect::Sqlite, "t").clear_expired.is_none());
        assert!(
            Queries::new(Dialect::Sqlite, "t")
                .touch
                .contains("MIN(?, absolute_at)")
        );
    }
}
