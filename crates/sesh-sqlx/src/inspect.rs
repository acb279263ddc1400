//! [`Inspect`] for every SQL store: keyset pagination by id with a
//! `LIMIT`, and the database's own row estimate.

use std::time::SystemTime;

use async_trait::async_trait;
use sesh_core::{Error, ErrorKind, Inspect, RecordSummary, ScanCursor, ScanPage, StoreKey};

use crate::{
    backend::Backend,
    columns::{self, millis},
    driver::Param,
    limit::within,
    store::SqlStore,
};

#[async_trait]
impl<DB: Backend> Inspect for SqlStore<DB> {
    /// One statement: the next `limit` rows by id after the cursor's, live
    /// or not, through the primary key's index, so a page costs `limit`
    /// rows however many have expired; expired ones are left out of the
    /// page (which may then hold fewer, or none), never decoded.
    async fn scan(&self, cursor: Option<&ScanCursor>, limit: usize) -> Result<ScanPage, Error> {
        let after = cursor.map(ScanCursor::last_key).transpose()?;
        // `""` sorts before every id.
        let after = after.as_ref().map(StoreKey::to_hex).unwrap_or_default();
        let limit = limit.max(1);
        let params = [
            Param::Text(&after),
            Param::Int(i64::try_from(limit).unwrap_or(i64::MAX)),
        ];
        let rows = within(
            self.timeout,
            DB::fetch_all(&self.pool, &self.queries.scan, &params),
        )
        .await?;
        let now = millis(SystemTime::now());
        let mut sessions = Vec::with_capacity(rows.len());
        let mut undecodable = Vec::new();
        let mut last = None;
        for row in &rows {
            let key = columns::key(&DB::text(row, 0).map_err(Error::decode)?)?;
            last = Some(key);
            let expires_at = DB::int(row, 3).map_err(Error::decode)?;
            let absolute_at = DB::int(row, 4).map_err(Error::decode)?;
            if expires_at <= now || absolute_at <= now {
                continue;
            }
            match columns::record::<DB>(row, 1) {
                Ok(record) => sessions.push((key, RecordSummary::of(&record))),
                Err(e) if e.kind() == ErrorKind::Decode => undecodable.push(key),
                Err(e) => return Err(e),
            }
        }
        let next = if rows.len() == limit {
            last.as_ref().map(ScanCursor::after_key)
        } else {
            None
        };
        Ok(ScanPage::new(sessions, next).with_undecodable(undecodable))
    }

    /// PostgreSQL's `reltuples` and MySQL's `TABLE_ROWS`: statistics the
    /// database keeps, which lag behind the table; none for SQLite, or for
    /// a PostgreSQL table not analyzed yet.
    async fn count(&self) -> Result<Option<u64>, Error> {
        let Some(statement) = &self.queries.estimate else {
            return Ok(None);
        };
        let params = [Param::Text(&self.queries.table)];
        let row = within(self.timeout, DB::fetch_optional(&self.pool, statement, &params)).await?;
        let Some(row) = row else { return Ok(None) };
        let rows = DB::int(&row, 0).map_err(Error::decode)?;
        Ok(u64::try_from(rows).ok())
    }
}
