use sesh_core::{Error, ErrorKind};

/// The table used unless `with_table_name` sets another.
pub const DEFAULT_TABLE: &str = "sesh_sessions";

/// Checks a table name against `^[A-Za-z_][A-Za-z0-9_]{0,62}$`: it is
/// spliced into SQL text (identifiers cannot be bound), so only names that
/// need no quoting in any dialect are accepted.
pub(crate) fn validate(name: &str) -> Result<(), Error> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if first_ok && rest_ok && name.len() <= 63 {
        Ok(())
    } else {
        Err(Error::msg(
            ErrorKind::Config,
            format!("table name {name:?} does not match ^[A-Za-z_][A-Za-z0-9_]{{0,62}}$"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_identifiers() {
        for ok in ["s", "_", "sesh_sessions", "T2", &"a".repeat(63)] {
            assert!(validate(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn rejects_everything_else() {
        for bad in ["", "1abc", "a-b", "a b", "a;drop", "\"q\"", "é", &"a".repeat(64)] {
            assert_eq!(validate(bad).expect_err(bad).kind(), ErrorKind::Config);
        }
    }
}
