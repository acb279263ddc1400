//! `migrate`: creating the table and its indexes, and upgrading a table
//! created before the per-user index. Not time-limited: no request waits
//! for it.

use sesh_core::Error;

use crate::{backend::Backend, driver::Param, error::from_sqlx, store::SqlStore};

impl<DB: Backend> SqlStore<DB> {
    /// Creates the table and its indexes if they do not exist, and adds
    /// the `user_id` column to a table created without it. Safe to run
    /// again and from several processes at once.
    ///
    /// # Errors
    /// [`ErrorKind::Store`](sesh_core::ErrorKind::Store) if the database
    /// cannot be reached or fails for a while,
    /// [`ErrorKind::StoreRefused`](sesh_core::ErrorKind::StoreRefused) if
    /// it refuses a statement for good (the user lacks a privilege, say).
    pub async fn migrate(&self) -> Result<(), Error> {
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

    async fn migrate_step(&self, statement: &str) -> Result<(), Error> {
        // PostgreSQL's IF NOT EXISTS is not safe against a concurrent
        // migrate: the loser gets a duplicate key error, and a second try
        // then finds the table.
        match DB::execute(&self.pool, statement, &[]).await {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                DB::execute(&self.pool, statement, &[]).await.map_err(from_sqlx)?;
            }
            other => {
                other.map_err(from_sqlx)?;
            }
        }
        Ok(())
    }

    async fn has_user_column(&self) -> Result<bool, Error> {
        let params = [Param::Text(&self.queries.table)];
        let row = DB::fetch_optional(&self.pool, &self.queries.schema.has_user_column, &params)
            .await
            .map_err(from_sqlx)?;
        // `COUNT(*)` always gives a row; none would mean no column either.
        let columns = row.map_or(Ok(0), |row| DB::int(&row, 0)).map_err(from_sqlx)?;
        Ok(columns > 0)
    }
}
