//! A whole scan of a store, page by page through [`Inspect`], pausing
//! between pages and showing progress.

use std::{
    ops::ControlFlow,
    time::{Duration, Instant},
};

use sesh_core::{ScanCursor, ScanPage};

use crate::{args::ScanArgs, fail::Failure, progress::Progress, target::Admin};

/// What a finished scan did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Walked {
    /// Pages read.
    pub(crate) pages: u64,
    /// How long the scan took, pauses included.
    pub(crate) took: Duration,
}

/// Reads every page of `store` (until `visit` breaks), `args.batch`
/// sessions at a time with `args.pause_ms` between pages, and hands each
/// page to `visit`.
///
/// # Errors
/// The store's, as a [`Failure`] naming the fix.
pub(crate) async fn walk(
    store: &dyn Admin,
    args: &ScanArgs,
    mut visit: impl FnMut(ScanPage) -> Result<ControlFlow<()>, Failure>,
) -> Result<Walked, Failure> {
    let started = Instant::now();
    // Only for the progress line; a failure to estimate is no reason to stop.
    let estimate = store.count().await.ok().flatten();
    let mut progress = Progress::new(args.progress_every, args.no_progress, estimate);
    let pause = Duration::from_millis(args.pause_ms);
    let limit = usize::try_from(args.batch).unwrap_or(usize::MAX);
    let mut cursor: Option<ScanCursor> = None;
    let mut pages = 0;
    loop {
        if pages > 0 && !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        let page = store
            .scan(cursor.as_ref(), limit)
            .await
            .map_err(|e| Failure::store("scanning sessions", &e));
        let page = match page {
            Ok(page) => page,
            Err(failure) => {
                progress.finish();
                return Err(failure);
            }
        };
        pages += 1;
        progress.advance((page.sessions.len() + page.undecodable.len()) as u64);
        let next = page.next.clone();
        match visit(page) {
            Ok(ControlFlow::Break(())) => break,
            Ok(ControlFlow::Continue(())) => {}
            Err(failure) => {
                progress.finish();
                return Err(failure);
            }
        }
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    progress.finish();
    Ok(Walked {
        pages,
        took: started.elapsed(),
    })
}
