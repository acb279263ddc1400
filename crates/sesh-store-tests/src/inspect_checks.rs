//! Checks of scanning a store ([`Inspect`]), run by
//! [`inspect_suite!`](crate::inspect_suite).

use std::{
    collections::HashMap,
    time::{Duration, SystemTime},
};

use serde_json::json;
use sesh_core::{
    Created, ErrorKind, Expiry, Inspect, Record, RecordSummary, ScanCursor, SessionId, StoreKey,
};

/// Pages this small come first, so that even a store holding only this
/// check's sessions is walked over several pages.
const SMALL_PAGE: usize = 5;
/// How many small pages before larger ones: a database shared with other
/// test runs may hold thousands of sessions.
const SMALL_PAGES: usize = 8;
const LARGE_PAGE: usize = 200;
/// A scan longer than this many pages never ends.
const MAX_PAGES: usize = 100_000;

async fn create<S: Inspect>(store: &S, record: &Record) -> StoreKey {
    let key = SessionId::generate().key();
    let outcome = store.create(&key, record).await.expect("create");
    assert_eq!(outcome, Created::Created);
    key
}

/// Every page of a scan from the start, checking each page's size; how
/// many times each key was returned, and its last summary.
async fn scan_all<S: Inspect>(store: &S) -> HashMap<StoreKey, (usize, RecordSummary)> {
    let mut seen: HashMap<StoreKey, (usize, RecordSummary)> = HashMap::new();
    let mut cursor: Option<ScanCursor> = None;
    for page_number in 0..MAX_PAGES {
        let limit = if page_number < SMALL_PAGES {
            SMALL_PAGE
        } else {
            LARGE_PAGE
        };
        let page = store.scan(cursor.as_ref(), limit).await.expect("scan");
        // Redis's SCAN takes the limit as a hint; nothing takes it as licence.
        assert!(
            page.sessions.len() <= 4 * limit,
            "a page of {} sessions for a limit of {limit}",
            page.sessions.len()
        );
        for (key, summary) in page.sessions {
            let entry = seen.entry(key).or_insert((0, summary.clone()));
            entry.0 += 1;
            entry.1 = summary;
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return seen,
        }
    }
    panic!("a scan of {MAX_PAGES} pages did not end");
}

/// A scan returns every live session with its summary (as `load` reads
/// it), and no deleted or expired one.
pub async fn scan_returns_every_live_session<S: Inspect>(store: S) {
    let now = SystemTime::now();
    let user = format!("scan-{}", &SessionId::generate().key().to_hex()[..12]);
    let mut live = Vec::new();
    for i in 0..12_u64 {
        let mut record = Record::new(now - Duration::from_secs(i), &Expiry::new());
        record.user = (i % 3 == 0).then(|| user.clone());
        record.persistent = i % 2 == 0;
        for k in 0..i % 4 {
            record.data.insert(
                format!("k{k}"),
                json!("v".repeat(usize::try_from(i).unwrap_or(1))),
            );
        }
        live.push(create(&store, &record).await);
    }
    let deleted = create(&store, &Record::new(now, &Expiry::new())).await;
    store.delete(&deleted).await.expect("delete");
    let mut short = Record::new(now, &Expiry::new());
    short.expires_at = now + Duration::from_millis(300);
    let expired = create(&store, &short).await;
    tokio::time::sleep(Duration::from_millis(600)).await;

    let seen = scan_all(&store).await;
    for key in &live {
        let (times, summary) = seen
            .get(key)
            .unwrap_or_else(|| panic!("live session {key:?} was not scanned"));
        assert!(*times <= 2, "{key:?} returned {times} times");
        let record = store.load(key).await.expect("load").expect("still live");
        assert_eq!(*summary, RecordSummary::of(&record), "summary of {key:?}");
    }
    assert!(!seen.contains_key(&deleted), "a deleted session was scanned");
    assert!(!seen.contains_key(&expired), "an expired session was scanned");
    let of_user = seen
        .values()
        .filter(|(_, s)| s.user.as_deref() == Some(user.as_str()))
        .count();
    assert_eq!(of_user, 4, "sessions bound to the user");
}

/// A cursor the store did not make is refused with a configuration error,
/// never taken as a place to start.
pub async fn scan_refuses_a_foreign_cursor<S: Inspect>(store: S) {
    let foreign = ScanCursor::new("not a cursor");
    let error = store
        .scan(Some(&foreign), 10)
        .await
        .expect_err("a foreign cursor");
    assert_eq!(error.kind(), ErrorKind::Config);
}

/// `count` answers without failing. Its number may be an estimate (a
/// database's statistics, which lag), so only the answer is checked.
pub async fn count_answers<S: Inspect>(store: S) {
    create(&store, &Record::new(SystemTime::now(), &Expiry::new())).await;
    store.count().await.expect("count");
}
