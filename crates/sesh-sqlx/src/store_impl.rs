//! One implementation of the store, stamped out per backend: sqlx's
//! per-database types make a generic version mostly trait bounds.
//!
//! This file holds the type, its configuration and `migrate`;
//! `store_ops.rs` the [`SessionStore`](sesh_core::SessionStore) methods
//! and `user_index.rs` the [`UserIndex`](sesh_core::UserIndex) ones.

/// Defines `$name`, a session store on a `$pool` of database `$db`; its
/// `apply` is the trait's default unless `apply: path` names a native one.
macro_rules! sql_store {
    ($(#[$doc:meta])* $name:ident, $db:ty, $dialect:expr $(, apply: $apply:path)?) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            pool: sqlx::Pool<$db>,
            table: String,
            queries: std::sync::Arc<$crate::sql::Queries>,
            timeout: std::time::Duration,
        }

        impl $name {
            /// A store on an existing pool, using the default table name
            /// and time limit ([`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT)).
            #[must_use]
            pub fn from_pool(pool: sqlx::Pool<$db>) -> Self {
                Self {
                    pool,
                    table: $crate::DEFAULT_TABLE.to_owned(),
                    queries: std::sync::Arc::new($crate::sql::Queries::new(
                        $dialect,
                        $crate::DEFAULT_TABLE,
                    )),
                    timeout: $crate::DEFAULT_TIMEOUT,
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

            /// Each session operation (those of
            /// [`SessionStore`](sesh_core::SessionStore) and
            /// [`UserIndex`](sesh_core::UserIndex)), waiting for a pooled
            /// connection included, fails with
            /// [`ErrorKind::Timeout`](sesh_core::ErrorKind::Timeout) after
            /// `timeout` (default [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT)).
            /// `migrate` and sweeping are not limited: they may take long
            /// on a big table, and no request waits for them.
            #[must_use]
            pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.timeout = timeout;
                self
            }

            /// Creates the table and its indexes if they do not exist, and
            /// adds the `user_id` column to a table created without it.
            /// Safe to run again and from several processes at once.
            ///
            /// # Errors
            /// [`ErrorKind::Store`](sesh_core::ErrorKind::Store) if the database refuses.
            pub async fn migrate(&self) -> Result<(), sesh_core::Error> {
                let schema = &self.queries.schema;
                self.migrate_step(&schema.create_table).await?;
                if !self.has_user_column().await? {
                    if let Err(e) = self.migrate_step(&schema.add_user_column).await {
                        // A concurrent migrate may have added it first.
                        if !self.has_user_column().await? {
                            return Err(e);
                        }
                    }
                }
                for statement in &schema.create_indexes {
                    self.migrate_step(statement).await?;
                }
                Ok(())
            }

            async fn migrate_step(&self, statement: &str) -> Result<(), sesh_core::Error> {
                // PostgreSQL's IF NOT EXISTS is not safe against a
                // concurrent migrate: the loser gets a duplicate key
                // error, and a second try then finds the table.
                match sqlx::query(statement).execute(&self.pool).await {
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
                Ok(())
            }

            async fn has_user_column(&self) -> Result<bool, sesh_core::Error> {
                let columns: i64 = sqlx::query_scalar(&self.queries.schema.has_user_column)
                    .bind(&self.table)
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::convert::db_error)?;
                Ok(columns > 0)
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
                    .field("timeout", &self.timeout)
                    .finish_non_exhaustive()
            }
        }

        $crate::store_ops::session_store!($name $(, apply: $apply)?);
        $crate::user_index::user_index!($name);
    };
}

pub(crate) use sql_store;
