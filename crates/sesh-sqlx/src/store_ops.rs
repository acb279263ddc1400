//! The [`SessionStore`](sesh_core::SessionStore) and
//! [`SweepExpired`](sesh_core::SweepExpired) methods of every SQL store:
//! one statement each, every one within the store's time limit.

/// How a dialect's result of [`Queries::insert`](crate::sql::Queries::insert)
/// tells a written record from a live collision.
pub(crate) trait InsertOutcome {
    fn created(&self) -> bool;
}

/// Implements `SessionStore` and `SweepExpired` for `$name` (see `sql_store!`),
/// with `apply` overridden by `$apply(store, key, merged, changes)` if given.
macro_rules! session_store {
    ($name:ident $(, apply: $apply:path)?) => {
        #[async_trait::async_trait]
        impl sesh_core::SessionStore for $name {
            async fn load(
                &self,
                key: &sesh_core::StoreKey,
            ) -> Result<Option<sesh_core::Record>, sesh_core::Error> {
                use sqlx::Row as _;
                let now = $crate::convert::millis(std::time::SystemTime::now());
                let query = sqlx::query(&self.queries.load)
                    .bind(key.to_hex())
                    .bind(now)
                    .bind(now);
                let row = $crate::convert::within(self.timeout, query.fetch_optional(&self.pool)).await?;
                let Some(row) = row else { return Ok(None) };
                let data: Vec<u8> = row.try_get(0).map_err(sesh_core::Error::decode)?;
                let version: i64 = row.try_get(1).map_err(sesh_core::Error::decode)?;
                let expires_at: i64 = row.try_get(2).map_err(sesh_core::Error::decode)?;
                $crate::convert::record(&data, version, expires_at).map(Some)
            }

            async fn create(
                &self,
                key: &sesh_core::StoreKey,
                record: &sesh_core::Record,
            ) -> Result<sesh_core::Created, sesh_core::Error> {
                use $crate::store_ops::InsertOutcome as _;
                let now = $crate::convert::millis(std::time::SystemTime::now());
                let columns = $crate::convert::Columns::of(record)?;
                let mut query = $crate::convert::bind_columns!(
                    sqlx::query(&self.queries.insert).bind(key.to_hex()),
                    columns
                );
                for _ in 0..self.queries.insert_nows {
                    query = query.bind(now);
                }
                match $crate::convert::timed(self.timeout, query.execute(&self.pool)).await? {
                    Ok(done) if done.created() => Ok(sesh_core::Created::Created),
                    Ok(_) => Ok(sesh_core::Created::Collision),
                    // Two creates racing for a fresh key: the loser may see
                    // the winner's row only at the unique index.
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        Ok(sesh_core::Created::Collision)
                    }
                    Err(e) => Err($crate::convert::db_error(e)),
                }
            }

            async fn save(
                &self,
                key: &sesh_core::StoreKey,
                record: &sesh_core::Record,
                expected_version: u64,
            ) -> Result<sesh_core::Saved, sesh_core::Error> {
                let now = $crate::convert::millis(std::time::SystemTime::now());
                let columns = $crate::convert::Columns::of(record)?;
                let query = $crate::convert::bind_columns!(sqlx::query(&self.queries.save), columns)
                    .bind(key.to_hex())
                    .bind($crate::convert::version(expected_version)?)
                    .bind(now)
                    .bind(now);
                let done = $crate::convert::within(self.timeout, query.execute(&self.pool)).await?;
                Ok(if done.rows_affected() == 1 {
                    sesh_core::Saved::Saved
                } else {
                    sesh_core::Saved::Conflict
                })
            }

            async fn touch(
                &self,
                key: &sesh_core::StoreKey,
                expires_at: std::time::SystemTime,
            ) -> Result<(), sesh_core::Error> {
                let now = $crate::convert::millis(std::time::SystemTime::now());
                let query = sqlx::query(&self.queries.touch)
                    .bind($crate::convert::millis(expires_at))
                    .bind(key.to_hex())
                    .bind(now)
                    .bind(now);
                $crate::convert::within(self.timeout, query.execute(&self.pool)).await?;
                Ok(())
            }

            async fn delete(&self, key: &sesh_core::StoreKey) -> Result<(), sesh_core::Error> {
                let query = sqlx::query(&self.queries.delete).bind(key.to_hex());
                $crate::convert::within(self.timeout, query.execute(&self.pool)).await?;
                Ok(())
            }

            $(
                async fn apply(
                    &self,
                    key: &sesh_core::StoreKey,
                    merged: sesh_core::Record,
                    changes: &sesh_core::Changes,
                ) -> Result<sesh_core::Applied, sesh_core::Error> {
                    $apply(self, key, merged, changes).await
                }
            )?

            fn user_index(&self) -> Option<&dyn sesh_core::UserIndex> {
                Some(self)
            }
        }

        #[async_trait::async_trait]
        impl sesh_core::SweepExpired for $name {
            async fn delete_expired(&self, now: std::time::SystemTime) -> Result<u64, sesh_core::Error> {
                let now = $crate::convert::millis(now);
                let done = sqlx::query(&self.queries.sweep)
                    .bind(now)
                    .bind(now)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::convert::db_error)?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use session_store;
