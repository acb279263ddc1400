//! [`SessionStore`] and [`SweepExpired`] for every SQL store: one
//! statement per method, each within the store's time limit (but
//! sweeping, which no request waits for).

use std::time::SystemTime;

use async_trait::async_trait;
use sesh_core::{
    Applied, Changes, Created, Error, Record, Saved, SessionStore, StoreKey, SweepExpired, UserIndex,
    apply_by_compare_and_swap,
};

use crate::{
    backend::{Backend, NativeApply},
    columns::{self, Columns, millis},
    driver::Param,
    error::from_sqlx,
    limit::{timed, within},
    store::SqlStore,
};

#[async_trait]
impl<DB: Backend> SessionStore for SqlStore<DB> {
    async fn load(&self, key: &StoreKey) -> Result<Option<Record>, Error> {
        let (id, now) = (key.to_hex(), millis(SystemTime::now()));
        let params = [Param::Text(&id), Param::Int(now), Param::Int(now)];
        let row = within(
            self.timeout,
            DB::fetch_optional(&self.pool, &self.queries.load, &params),
        )
        .await?;
        row.map(|row| columns::record::<DB>(&row, 0)).transpose()
    }

    async fn create(&self, key: &StoreKey, record: &Record) -> Result<Created, Error> {
        let (id, now) = (key.to_hex(), millis(SystemTime::now()));
        let written = Columns::of(record)?;
        let mut params = vec![Param::Text(&id)];
        params.extend(written.params());
        params.extend((0..self.queries.insert_nows).map(|_| Param::Int(now)));
        let insert = DB::execute(&self.pool, &self.queries.insert, &params);
        match timed(self.timeout, insert).await? {
            Ok(done) if DB::created(&done) => Ok(Created::Created),
            Ok(_) => Ok(Created::Collision),
            // Two creates racing for a fresh key: the loser may see the
            // winner's row only at the unique index.
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Created::Collision),
            Err(e) => Err(from_sqlx(e)),
        }
    }

    async fn save(&self, key: &StoreKey, record: &Record, expected_version: u64) -> Result<Saved, Error> {
        let (id, now) = (key.to_hex(), millis(SystemTime::now()));
        let written = Columns::of(record)?;
        let mut params = Vec::from(written.params());
        params.extend([
            Param::Text(&id),
            Param::Int(columns::version(expected_version)?),
            Param::Int(now),
            Param::Int(now),
        ]);
        let done = within(self.timeout, DB::execute(&self.pool, &self.queries.save, &params)).await?;
        Ok(if DB::rows_affected(&done) == 1 {
            Saved::Saved
        } else {
            Saved::Conflict
        })
    }

    async fn touch(&self, key: &StoreKey, expires_at: SystemTime) -> Result<(), Error> {
        let (id, now) = (key.to_hex(), millis(SystemTime::now()));
        let params = [
            Param::Int(millis(expires_at)),
            Param::Text(&id),
            Param::Int(now),
            Param::Int(now),
        ];
        within(
            self.timeout,
            DB::execute(&self.pool, &self.queries.touch, &params),
        )
        .await?;
        Ok(())
    }

    async fn delete(&self, key: &StoreKey) -> Result<(), Error> {
        let id = key.to_hex();
        let params = [Param::Text(&id)];
        within(
            self.timeout,
            DB::execute(&self.pool, &self.queries.delete, &params),
        )
        .await?;
        Ok(())
    }

    async fn apply(&self, key: &StoreKey, merged: &Record, changes: &Changes) -> Result<Applied, Error> {
        if !changes.is_plain() {
            // Read-modify-writes run in this process, not in SQL.
            return apply_by_compare_and_swap(self, key, merged, changes).await;
        }
        let native = DB::apply_natively(&self.pool, &self.queries, self.timeout, key, changes);
        match native.await? {
            NativeApply::Applied => Ok(Applied::Applied),
            // Gone, or (which `load` reports as a decode error) a record of
            // another format version.
            NativeApply::Missed => match self.load(key).await? {
                None => Ok(Applied::Gone),
                Some(_) => apply_by_compare_and_swap(self, key, merged, changes).await,
            },
            NativeApply::Unsupported => apply_by_compare_and_swap(self, key, merged, changes).await,
        }
    }

    fn user_index(&self) -> Option<&dyn UserIndex> {
        Some(self)
    }
}

#[async_trait]
impl<DB: Backend> SweepExpired for SqlStore<DB> {
    async fn delete_expired(&self, now: SystemTime) -> Result<u64, Error> {
        let now = millis(now);
        let params = [Param::Int(now), Param::Int(now)];
        let done = DB::execute(&self.pool, &self.queries.sweep, &params)
            .await
            .map_err(from_sqlx)?;
        Ok(DB::rows_affected(&done))
    }
}
