//! Where the three databases' SQL differs, and PostgreSQL's placeholders.
//!
//! A leaf: the modules that write SQL text (`schema`, `queries`, `merge`)
//! depend on it, and it on none of them.

/// Where the three dialects differ. `pub` in a private module: reachable
/// through `Backend::DIALECT`, nameable nowhere outside the crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL: `$n` placeholders, `ON CONFLICT` upserts.
    Postgres,
    /// MySQL and MariaDB: `ON DUPLICATE KEY UPDATE`, indexes declared with the table.
    MySql,
    /// SQLite: as PostgreSQL but with `?` placeholders and `MIN` for `LEAST`.
    Sqlite,
}

/// `?` placeholders to `$1, $2, ...`. No statement has a `?` inside a
/// string literal, so every `?` is a placeholder.
pub(crate) fn numbered(sql: &str) -> String {
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
    fn placeholders_are_numbered_in_order() {
        assert_eq!(numbered("a = ? AND b IN (?, ?)"), "a = $1 AND b IN ($2, $3)");
        assert_eq!(numbered("no placeholders"), "no placeholders");
    }
}
