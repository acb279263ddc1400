//! PostgreSQL's native `apply`: one `UPDATE` that merges a request's
//! changes into the stored record, so racing requests never retry.
//!
//! The record's JSON is rebuilt with the `json` type (not `jsonb`), which
//! keeps every untouched value's text as written: numbers keep their exact
//! form (`u64::MAX`, `1e300`, `-0.0`) and nothing is reordered or
//! normalised. The rest of the record is rebuilt field by field for format
//! version 1; the `WHERE` refuses any other version.
//!
//! PostgreSQL's JSON functions refuse `\u0000` (a NUL character) anywhere
//! in a document, so a record holding one fails with SQLSTATE 22P05 and
//! is merged the trait's default way instead (compare-and-swap and retry).

use serde_json::{Map, Value};
use sesh_core::{Changes, Error, FORMAT_VERSION};

use crate::{columns::millis, dialect::numbered};

/// SQLSTATE `untranslatable_character`: a document holds `\u0000`.
pub(crate) const UNTRANSLATABLE: &str = "22P05";

/// The statement. Binds, in order: cleared, changed keys (text[]), the
/// patch (a JSON object of the values set), now, the new idle deadline,
/// user changed, user, persistent changed, persistent, the new idle
/// deadline, user changed, user, id, now, now. Changes one row if applied.
///
/// The merged record is computed from `t.data` inside `SET`, never from a
/// `FROM` clause: when a concurrent `UPDATE` wins the row lock, PostgreSQL
/// re-evaluates `SET` on the row that update left, so nothing is lost.
pub(crate) fn statement(table: &str) -> String {
    numbered(&format!(
        "UPDATE {table} AS t SET \
           data = (SELECT convert_to(json_build_object( \
               'v', doc->'v', \
               'data', (SELECT COALESCE(json_object_agg(key, value), '{{}}'::json) FROM ( \
                   SELECT key, value FROM json_each(doc->'data') WHERE NOT ? AND key <> ALL(?) \
                   UNION ALL SELECT key, value FROM json_each(?::json)) AS kept), \
               'created', doc->'created', \
               'active', ?, \
               'expires', LEAST(?, t.absolute_at), \
               'absolute', doc->'absolute', \
               'version', t.version + 1, \
               'user', CASE WHEN ? THEN to_json(?::text) ELSE doc->'user' END, \
               'persistent', CASE WHEN ? THEN to_json(?::bool) \
                   ELSE COALESCE(doc->'persistent', 'false'::json) END, \
               'idle', doc->'idle' \
             )::text, 'UTF8') FROM (SELECT convert_from(t.data, 'UTF8')::json AS doc) AS d), \
           version = t.version + 1, \
           expires_at = LEAST(?, t.absolute_at), \
           user_id = CASE WHEN ? THEN ? ELSE t.user_id END \
         WHERE t.id = ? AND t.expires_at > ? AND t.absolute_at > ? \
           AND convert_from(t.data, 'UTF8')::json->>'v' = '{FORMAT_VERSION}'"
    ))
}

/// [`Changes`] as the statement's binds.
#[derive(Debug)]
pub(crate) struct MergeArgs {
    pub(crate) cleared: bool,
    /// Every key set or removed: the stored values of these are dropped.
    pub(crate) keys: Vec<String>,
    /// The values set, as a JSON object; merged in after the drop.
    pub(crate) patch: String,
    pub(crate) now: i64,
    pub(crate) expires_at: i64,
    pub(crate) user_changed: bool,
    pub(crate) user: Option<String>,
    pub(crate) persistent_changed: bool,
    pub(crate) persistent: bool,
}

impl MergeArgs {
    pub(crate) fn of(changes: &Changes) -> Result<Self, Error> {
        // Later entries win, as in `Changes::apply_to`.
        let mut patch = Map::new();
        for (key, value) in &changes.entries {
            match value {
                Some(value) => patch.insert(key.clone(), value.clone()),
                None => patch.remove(key),
            };
        }
        Ok(Self {
            cleared: changes.cleared,
            keys: changes.entries.iter().map(|(key, _)| key.clone()).collect(),
            patch: serde_json::to_string(&Value::Object(patch))?,
            now: millis(changes.now),
            expires_at: millis(changes.expires_at),
            user_changed: changes.user.is_some(),
            user: changes.user.clone().flatten(),
            persistent_changed: changes.persistent.is_some(),
            persistent: changes.persistent.unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    #[test]
    fn statement_binds_fifteen_parameters_in_order() {
        let sql = statement("t");
        assert!(sql.contains("$15") && !sql.contains("$16") && !sql.contains('?'));
        assert!(sql.ends_with("->>'v' = '1'"), "{sql}");
    }

    #[test]
    fn later_entries_win_and_every_changed_key_is_dropped() {
        let now = SystemTime::now();
        let mut changes = Changes::new(now, now);
        changes.entries.push(("a".into(), Some(1.into())));
        changes.entries.push(("a".into(), None));
        changes.entries.push(("b".into(), None));
        changes.entries.push(("b".into(), Some(Value::Null)));
        let args = MergeArgs::of(&changes).expect("args");
        assert_eq!(args.patch, r#"{"b":null}"#);
        assert_eq!(args.keys, ["a", "a", "b", "b"]);
        assert!(!args.user_changed && !args.persistent_changed);
    }
}
