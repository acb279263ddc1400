//! The per-user index of every SQL store: the `user_id` column.
//!
//! Every statement that writes a record writes its `user_id` too, so the
//! index changes atomically with the record; deleting or expiring the row
//! takes its index entry with it, so there is nothing to prune.

/// Implements `UserIndex` for `$name` (see `sql_store!`).
macro_rules! user_index {
    ($name:ident) => {
        #[async_trait::async_trait]
        impl sesh_core::UserIndex for $name {
            async fn user_sessions(
                &self,
                user: &str,
            ) -> Result<Vec<sesh_core::UserSession>, sesh_core::Error> {
                use sqlx::Row as _;
                let now = $crate::convert::millis(std::time::SystemTime::now());
                let query = sqlx::query(&self.queries.user_sessions)
                    .bind(user)
                    .bind(now)
                    .bind(now);
                let rows = $crate::convert::within(self.timeout, query.fetch_all(&self.pool)).await?;
                let mut sessions = Vec::with_capacity(rows.len());
                for row in rows {
                    let id: String = row.try_get(0).map_err(sesh_core::Error::decode)?;
                    let data: Vec<u8> = row.try_get(1).map_err(sesh_core::Error::decode)?;
                    let version: i64 = row.try_get(2).map_err(sesh_core::Error::decode)?;
                    let expires_at: i64 = row.try_get(3).map_err(sesh_core::Error::decode)?;
                    let record = $crate::convert::record(&data, version, expires_at)?;
                    sessions.push(sesh_core::UserSession::new(
                        $crate::convert::key(&id)?,
                        record,
                    ));
                }
                // Creation time is inside the blob, so sorting happens here;
                // one user's sessions are few.
                sessions.sort_by_key(|s| (s.record.created_at, s.key));
                Ok(sessions)
            }

            async fn delete_user_sessions(
                &self,
                user: &str,
                keep: Option<&sesh_core::StoreKey>,
            ) -> Result<u64, sesh_core::Error> {
                let now = $crate::convert::millis(std::time::SystemTime::now());
                let query = sqlx::query(&self.queries.delete_user_sessions)
                    .bind(user)
                    .bind(keep.map(sesh_core::StoreKey::to_hex).unwrap_or_default())
                    .bind(now)
                    .bind(now);
                let done = $crate::convert::within(self.timeout, query.execute(&self.pool)).await?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use user_index;
