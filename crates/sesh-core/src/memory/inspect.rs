//! The memory store's [`Inspect`]: pages in key order, one shard locked at
//! a time.

use std::{collections::BinaryHeap, time::SystemTime};

use async_trait::async_trait;

use super::{MemoryStore, SHARDS, entry::nanos};
use crate::{Error, Inspect, RecordSummary, ScanCursor, ScanPage, StoreKey};

#[async_trait]
impl Inspect for MemoryStore {
    /// Every shard is read once per page, each under its read lock for a
    /// moment, keeping the `limit` smallest live keys after the cursor
    /// (shards are not sorted, so that is the whole table's keys compared,
    /// but no more than `limit` kept); then their summaries are read.
    async fn scan(&self, cursor: Option<&ScanCursor>, limit: usize) -> Result<ScanPage, Error> {
        let after = cursor.map(ScanCursor::last_key).transpose()?;
        let now = nanos(SystemTime::now());
        let limit = limit.max(1);
        // A max-heap of the smallest keys seen: its top is the one to drop.
        let mut smallest: BinaryHeap<StoreKey> = BinaryHeap::with_capacity(limit + 1);
        for i in 0..SHARDS {
            let shard = self.inner.read(i);
            for (key, entry) in shard.iter() {
                if after.is_some_and(|after| *key <= after) || entry.is_expired(now) {
                    continue;
                }
                if smallest.len() < limit {
                    smallest.push(*key);
                } else if smallest.peek().is_some_and(|top| key < top) {
                    smallest.pop();
                    smallest.push(*key);
                }
            }
        }
        let full = smallest.len() == limit;
        let keys = smallest.into_sorted_vec();
        let next = if full {
            keys.last().map(ScanCursor::after_key)
        } else {
            None
        };
        let sessions = keys
            .iter()
            .filter_map(|key| {
                let shard = self.read(key);
                let entry = shard.get(key).filter(|e| !e.is_expired(now))?;
                Some((*key, RecordSummary::of(&entry.to_record())))
            })
            .collect();
        Ok(ScanPage::new(sessions, next))
    }

    async fn count(&self) -> Result<Option<u64>, Error> {
        Ok(Some(self.len() as u64))
    }
}
