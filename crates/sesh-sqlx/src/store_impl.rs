//! One implementation of the store, stamped out per backend: sqlx's
//! per-database types make a generic version mostly trait bounds.

/// Defines `$name`, a session store on a `$pool` of database `$db`.
macro_rules! sql_store {
    ($(#[$doc:meta])* $name:ident, $db:ty, $dialect:expr) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            pool: sqlx::Pool<$db>,
            table: String,
            queries: std::sync::Arc<$crate::sql::Queries>,
        }

        impl $name {
            /// A store on an existing pool, using the default table name.
            #[must_use]
            pub fn from_pool(pool: sqlx::Pool<$db>) -> Self {
                Self {
                    pool,
                    table: $crate::DEFAULT_TABLE.to_owned(),
                    queries: std::sync::Arc::new($crate::sql::Queries::new(
                        $dialect,
                        $crate::DEFAULT_TABLE,
                    )),
                }
            }

            /// Keeps sessions in table `name` instead of the default.
            ///
            /// # Errors
            /// [`ErrorKind::Config`](sesh_core::ErrorKind::Config) unless
            /// `name` matches `^[A-Za-z_][A-Za-z0-9_]{0,62}$`.
            pub fn with_table_name(mut self, name: &str) -> Result<Self, sesh_core::Error> {
                $crate::table::validate(name)?;
                name.clone_into(&mut self.table);
                self.queries = std::sync::Arc::new($crate::sql::Queries::new($dialect, name));
                Ok(self)
            }

            /// Creates the table and its index if they do not exist.
            ///
            /// # Errors
            /// [`ErrorKind::Store`](sesh_core::ErrorKind::Store) if the database refuses.
            pub async fn migrate(&self) -> Result<(), sesh_core::Error> {
                for statement in &self.queries.migrate {
                    // PostgreSQL's IF NOT EXISTS is not safe against a
                    // concurrent migrate: the loser gets a duplicate key
                    // error, and a second try then finds the table.
                    let first = sqlx::query(statement).execute(&self.pool).await;
                    match first {
                        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                            sqlx::query(statement)
                                .execute(&self.pool)
                                .await
                                .map_err($crate::convert::db_error)?;
                        }
                        other => {
                            other.map_err($crate::convert::db_error)?;
                        }
                    }
                }
                Ok(())
            }

            /// The pool this store uses.
            #[must_use]
            pub fn pool(&self) -> &sqlx::Pool<$db> {
                &self.pool
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("table", &self.table)
                    .finish_non_exhaustive()
            }
        }

        #[async_trait::async_trait]
        impl sesh_core::SessionStore for $name {
            async fn load(
                &self,
                key: &sesh_core::SessionKey,
            ) -> Result<Option<sesh_core::Record>, sesh_core::Error> {
                use sqlx::Row as _;
                let now = $crate::convert::millis(std::time::SystemTime::now());
                let row = sqlx::query(&self.queries.load)
                    .bind(key.to_hex())
                    .bind(now)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::convert::db_error)?;
                let Some(row) = row else { return Ok(None) };
                let data: Vec<u8> = row.try_get(0).map_err(sesh_core::Error::decode)?;
                let version: i64 = row.try_get(1).map_err(sesh_core::Error::decode)?;
                let expires_at: i64 = row.try_get(2).map_err(sesh_core::Error::decode)?;
                $crate::convert::record(&data, version, expires_at).map(Some)
            }

            async fn create(
                &self,
                key: &sesh_core::SessionKey,
                record: &sesh_core::Record,
            ) -> Result<sesh_core::Created, sesh_core::Error> {
                let now = $crate::convert::millis(std::time::SystemTime::now());
                let id = key.to_hex();
                if let Some(clear) = &self.queries.clear_expired {
                    sqlx::query(clear)
                        .bind(&id)
                        .bind(now)
                        .bind(now)
                        .execute(&self.pool)
                        .await
                        .map_err($crate::convert::db_error)?;
                }
                let mut insert = sqlx::query(&self.queries.insert)
                    .bind(&id)
                    .bind(record.encode()?)
                    .bind($crate::convert::version(record.version)?)
                    .bind($crate::convert::millis(record.expires_at))
                    .bind($crate::convert::millis(record.absolute_deadline));
                if self.queries.clear_expired.is_none() {
                    insert = insert.bind(now).bind(now);
                }
                match insert.execute(&self.pool).await {
                    Ok(done) if done.rows_affected() == 1 => Ok(sesh_core::Created::Created),
                    Ok(_) => Ok(sesh_core::Created::Collision),
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        Ok(sesh_core::Created::Collision)
                    }
                    Err(e) => Err($crate::convert::db_error(e)),
                }
            }

            async fn save(
                &self,
                key: &sesh_core::SessionKey,
                record: &sesh_core::Record,
                expected_version: u64,
            ) -> Result<sesh_core::Saved, sesh_core::Error> {
                let now = $crate::convert::millis(std::time::SystemTime::now());
                let done = sqlx::query(&self.queries.save)
                    .bind(record.encode()?)
                    .bind($crate::convert::version(record.version)?)
                    .bind($crate::convert::millis(record.expires_at))
                    .bind($crate::convert::millis(record.absolute_deadline))
                    .bind(key.to_hex())
                    .bind($crate::convert::version(expected_version)?)
                    .bind(now)
                    .bind(now)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::convert::db_error)?;
                Ok(if done.rows_affected() == 1 {
                    sesh_core::Saved::Saved
                } else {
                    sesh_core::Saved::Conflict
                })
            }

            async fn touch(
                &self,
                key: &sesh_core::SessionKey,
                expires_at: std::time::SystemTime,
            ) -> Result<(), sesh_core::Error> {
                let now = $crate::convert::millis(std::time::SystemTime::now());
                sqlx::query(&self.queries.touch)
                    .bind($crate::convert::millis(expires_at))
                    .bind(key.to_hex())
                    .bind(now)
                    .bind(now)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::convert::db_error)?;
                Ok(())
            }

            async fn delete(&self, key: &sesh_core::SessionKey) -> Result<(), sesh_core::Error> {
                sqlx::query(&self.queries.delete)
                    .bind(key.to_hex())
                    .execute(&self.pool)
                    .await
                    .map_err($crate::convert::db_error)?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl sesh_core::SweepExpired for $name {
            async fn delete_expired(
                &self,
                now: std::time::SystemTime,
            ) -> Result<u64, sesh_core::Error> {
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

pub(crate) use sql_store;
