//! sqlx's errors as sesh's: a timeout, an outage that retrying may outlast
//! (answered 503), or the database's refusal for good (answered 500).

use sesh_core::{Error, ErrorKind};
use sqlx::error::DatabaseError;

/// A driver error as sesh's, the driver's error kept as its source so the
/// reason is logged:
///
/// - no pooled connection came free in time: [`ErrorKind::Timeout`];
/// - the database refused the statement and would refuse it again (the
///   data, its size, the schema): [`ErrorKind::StoreRefused`];
/// - anything else (connection, I/O, TLS, protocol, a closed pool, a
///   database error of a transient class): [`ErrorKind::Store`].
///
/// The kind is all sesh adds: no message, so no stored value ends up in
/// one.
pub(crate) fn from_sqlx(e: sqlx::Error) -> Error {
    let kind = match &e {
        sqlx::Error::PoolTimedOut => ErrorKind::Timeout,
        sqlx::Error::Database(refusal) if !is_transient(refusal.as_ref()) => ErrorKind::StoreRefused,
        _ => ErrorKind::Store,
    };
    Error::new(kind, e)
}

/// Whether the same statement may succeed later. MySQL's error number says
/// more than its SQLSTATE, and SQLite has none, so each is asked first;
/// PostgreSQL, and any other database, by SQLSTATE.
fn is_transient(e: &dyn DatabaseError) -> bool {
    #[cfg(feature = "mysql")]
    if let Some(e) = e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return mysql_transient(e.number(), e.code());
    }
    #[cfg(feature = "sqlite")]
    if e.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // sqlx gives the extended result code as the code.
        let code = e.code().and_then(|code| code.parse().ok());
        return code.is_some_and(sqlite_transient);
    }
    e.code().is_some_and(|state| sqlstate_transient(&state))
}

/// SQLSTATE classes that describe the server's state, not the statement:
/// 08 connection exception, 40 transaction rollback (serialization
/// failure, deadlock), 53 insufficient resources, 57 operator intervention
/// (shutdown, a cancelled query), 58 system error. Also PostgreSQL's
/// 55P03, a lock not granted within `lock_timeout`, which is MySQL's lock
/// wait timeout.
fn sqlstate_transient(state: &str) -> bool {
    matches!(state.get(..2), Some("08" | "40" | "53" | "57" | "58")) || state == "55P03"
}

/// MySQL's and MariaDB's errors by number, then by SQLSTATE.
#[cfg(feature = "mysql")]
fn mysql_transient(number: u16, state: Option<&str>) -> bool {
    match number {
        // A packet over `max_allowed_packet`: SQLSTATE 08S01, as the server
        // drops the connection, but the same statement is refused again.
        1153 => false,
        // Out of connections (1040, 1203, 1226), disk, memory or table
        // space (1021, 1037, 1038, 1041, 1114); shutting down (1053); lock
        // wait timeout and deadlock (1205, 1213); read-only, as during a
        // failover (1290); a statement to prepare again (1615); killed or
        // over a time limit (1317, 1927, 1969, 3024); a lost connection
        // (2006, 2013, 4031).
        1021 | 1037 | 1038 | 1040 | 1041 | 1053 | 1114 | 1203 | 1205 | 1213 | 1226 | 1290 | 1317 | 1615
        | 1927 | 1969 | 2006 | 2013 | 3024 | 4031 => true,
        _ => state.is_some_and(sqlstate_transient),
    }
}

/// SQLite's extended result codes by their primary code (the low byte):
/// busy or locked (5, 6), out of memory (7), interrupted (9), I/O error
/// (10), disk full (13), cannot open a file (14), locking protocol (15),
/// schema changed under a prepared statement (17).
#[cfg(feature = "sqlite")]
fn sqlite_transient(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6 | 7 | 9 | 10 | 13 | 14 | 15 | 17)
}

#[cfg(test)]
mod tests {
    use std::{borrow::Cow, error::Error as _, fmt};

    use sqlx::error::ErrorKind as SqlxErrorKind;

    use super::*;

    /// A database error with a given SQLSTATE, as PostgreSQL reports one.
    #[derive(Debug)]
    struct Refusal(&'static str);

    impl fmt::Display for Refusal {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "SQLSTATE {}", self.0)
        }
    }

    impl std::error::Error for Refusal {}

    impl DatabaseError for Refusal {
        fn message(&self) -> &str {
            "refused"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> SqlxErrorKind {
            SqlxErrorKind::Other
        }
    }

    fn kind_of(state: &'static str) -> ErrorKind {
        from_sqlx(sqlx::Error::Database(Box::new(Refusal(state)))).kind()
    }

    #[test]
    fn data_exceptions_and_program_limits_are_refusals() {
        // 22001 string too long, 22021 a NUL in text, 22P05 untranslatable
        // character, 54000 program limit exceeded, 54001 statement too
        // complex, 42P01 undefined table, 23502 not-null violation.
        for state in ["22001", "22021", "22P05", "54000", "54001", "42P01", "23502"] {
            assert_eq!(kind_of(state), ErrorKind::StoreRefused, "{state}");
        }
    }

    #[test]
    fn transient_classes_stay_outages() {
        for state in [
            "08006", "08P01", "40001", "40P01", "53300", "53100", "57014", "57P01", "58030", "55P03",
        ] {
            assert_eq!(kind_of(state), ErrorKind::Store, "{state}");
        }
    }

    #[test]
    fn non_database_errors_stay_outages_and_pool_timeouts_are_timeouts() {
        let io = sqlx::Error::Io(std::io::Error::other("connection reset"));
        assert_eq!(from_sqlx(io).kind(), ErrorKind::Store);
        assert_eq!(
            from_sqlx(sqlx::Error::Protocol("bad packet".into())).kind(),
            ErrorKind::Store
        );
        assert_eq!(from_sqlx(sqlx::Error::PoolClosed).kind(), ErrorKind::Store);
        assert_eq!(from_sqlx(sqlx::Error::PoolTimedOut).kind(), ErrorKind::Timeout);
    }

    #[test]
    fn a_refusal_keeps_the_driver_error_as_its_source() {
        let e = from_sqlx(sqlx::Error::Database(Box::new(Refusal("22001"))));
        assert!(!e.is_unavailable(), "answered 500, not 503");
        let source = e.source().expect("the driver's error");
        assert!(source.to_string().contains("22001"), "{source}");
    }

    #[cfg(feature = "mysql")]
    #[test]
    fn mysql_goes_by_number_before_sqlstate() {
        assert!(!mysql_transient(1153, Some("08S01")), "max_allowed_packet");
        assert!(!mysql_transient(1406, Some("22001")), "data too long");
        assert!(!mysql_transient(1146, Some("42S02")), "no such table");
        for number in [1040, 1205, 1213, 2006, 2013] {
            assert!(mysql_transient(number, Some("HY000")), "{number}");
        }
        assert!(
            mysql_transient(1158, Some("08S01")),
            "a network read error, by class"
        );
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn sqlite_goes_by_primary_code() {
        // SQLITE_BUSY, SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_WRITE, SQLITE_FULL.
        for code in [5, 517, 778, 13] {
            assert!(sqlite_transient(code), "{code}");
        }
        // SQLITE_ERROR (no such table), SQLITE_TOOBIG, SQLITE_CONSTRAINT_NOTNULL, SQLITE_READONLY.
        for code in [1, 18, 1299, 8] {
            assert!(!sqlite_transient(code), "{code}");
        }
    }
}
