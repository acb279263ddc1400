//! The per-user index of every SQL store: the `user_id` column.
//!
//! Every statement that writes a record writes its `user_id` too, so the
//! index changes atomically with the record; deleting or expiring the row
//! takes its index entry with it, so there is nothing to prune.

use std::time::SystemTime;

use async_trait::async_trait;
use sesh_core::{Error, StoreKey, UserIndex, UserSession};

use crate::{
    backend::Backend,
    columns::{self, millis},
    driver::Param,
    limit::within,
    store::SqlStore,
};

#[async_trait]
impl<DB: Backend> UserIndex for SqlStore<DB> {
    async fn user_sessions(&self, user: &str) -> Result<Vec<UserSession>, Error> {
        let now = millis(SystemTime::now());
        let params = [Param::Text(user), Param::Int(now), Param::Int(now)];
        let rows = within(
            self.timeout,
            DB::fetch_all(&self.pool, &self.queries.user_sessions, &params),
        )
        .await?;
        let mut sessions = Vec::with_capacity(rows.len());
        for row in rows {
            let id = DB::text(&row, 0).map_err(Error::decode)?;
            let record = columns::record::<DB>(&row, 1)?;
            sessions.push(UserSession::new(columns::key(&id)?, record));
        }
        // Creation time is inside the blob, so sorting happens here; one
        // user's sessions are few.
        sessions.sort_by_key(|s| (s.record.created_at, s.key));
        Ok(sessions)
    }

    async fn delete_user_sessions(&self, user: &str, keep: Option<&StoreKey>) -> Result<u64, Error> {
        let now = millis(SystemTime::now());
        // `""` keeps none: no id is empty.
        let keep = keep.map(StoreKey::to_hex).unwrap_or_default();
        let params = [
            Param::Text(user),
            Param::Text(&keep),
            Param::Int(now),
            Param::Int(now),
        ];
        let done = within(
            self.timeout,
            DB::execute(&self.pool, &self.queries.delete_user_sessions, &params),
        )
        .await?;
        Ok(DB::rows_affected(&done))
    }
}
