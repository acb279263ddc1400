//! Counts the writes sesh and tower-sessions keep when many requests change
//! different keys of one session at once (see `sesh_bench::race`).
//!
//! ```text
//! sesh-bench-lost-updates [--stores "memory redis"] [--writers 64] [--trials 20]
//!                         [--redis-url redis://127.0.0.1:6379/9]
//! ```
//!
//! Each trial starts a session over real HTTP, sends `--writers` requests
//! at once, each inserting its own key, then counts the keys the session
//! kept. It prints a markdown table, and fails if sesh lost a key: sesh
//! promises to keep every one. The Redis database is emptied (`FLUSHDB`)
//! before and after the Redis runs, as `scripts/bench-http.sh` does, so
//! database 0 is refused.

use std::process::ExitCode;

use redis::IntoConnectionInfo as _;
use sesh_bench::{
    Impl, Store,
    race::{self, Overlap, Writers},
    stores::RedisOptions,
};

const USAGE: &str = "usage: sesh-bench-lost-updates [--stores \"memory redis\"] [--writers N] \
                     [--trials N] [--redis-url URL]";

struct Args {
    stores: Vec<Store>,
    writers: usize,
    trials: usize,
    redis: RedisOptions,
}

fn parse_args() -> Result<Args, String> {
    let mut parsed = Args {
        stores: vec![Store::Memory, Store::Redis],
        writers: 64,
        trials: 20,
        redis: RedisOptions::default(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<usize>().map_err(|e| format!("{flag} {value}: {e}"));
        match flag.as_str() {
            "--stores" => {
                parsed.stores = value
                    .split_whitespace()
                    .map(str::parse)
                    .collect::<Result<_, _>>()?;
            }
            "--writers" => parsed.writers = number()?,
            "--trials" => parsed.trials = number()?,
            "--redis-url" => parsed.redis.url = value,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if parsed.stores.contains(&Store::RedisCached) {
        return Err("the race runs over memory and redis, not redis-cached".into());
    }
    if parsed.writers < 2 || parsed.trials == 0 {
        return Err("a race needs --writers 2 or more and --trials 1 or more".into());
    }
    if parsed.stores.contains(&Store::Redis) {
        let info = parsed
            .redis
            .url
            .as_str()
            .into_connection_info()
            .map_err(|e| format!("--redis-url {}: {e}", parsed.redis.url))?;
        if info.redis_settings().db() == 0 {
            return Err("--redis-url must name a database other than 0: it is emptied".into());
        }
    }
    Ok(parsed)
}

/// What one implementation over one store did over all trials.
struct Outcome {
    /// Keys kept in each trial, sorted.
    kept: Vec<usize>,
    overlap: usize,
}

async fn run_trials(implementation: Impl, store: Store, args: &Args) -> Result<Outcome, String> {
    let context = |e: &dyn std::fmt::Display| format!("{implementation} over {store}: {e}");
    let overlap = Overlap::default();
    let app = race::app(implementation, store, &args.redis, &overlap)
        .await
        .map_err(|e| context(&e))?;
    let addr = race::serve(app).await.map_err(|e| context(&e))?;
    let mut kept = Vec::with_capacity(args.trials);
    for trial in 1..=args.trials {
        let outcome = race::trial(addr, args.writers, Writers::AtOnce).await;
        kept.push(outcome.map_err(|e| context(&format!("trial {trial}: {e}")))?);
    }
    kept.sort_unstable();
    Ok(Outcome {
        kept,
        overlap: overlap.max(),
    })
}

/// Empties the benchmark database; a failure is reported, not fatal.
async fn flush(url: &str) {
    let flushed = async {
        let client = redis::Client::open(url)?;
        let mut connection = client.get_multiplexed_async_connection().await?;
        redis::cmd("FLUSHDB").query_async::<()>(&mut connection).await
    };
    if let Err(e) = flushed.await {
        eprintln!("sesh-bench-lost-updates: FLUSHDB on {url}: {e}");
    }
}

fn median(sorted: &[usize]) -> f64 {
    let middle = sorted.len() / 2;
    #[allow(clippy::cast_precision_loss)] // counts of keys, far below 2^52
    if sorted.len() % 2 == 1 {
        sorted[middle] as f64
    } else {
        (sorted[middle - 1] + sorted[middle]) as f64 / 2.0
    }
}

async fn run(args: &Args) -> Result<(), String> {
    println!(
        "{} requests at once, each inserting its own key into one session; {} trials. \
         The window is a handler's time between reading the session and inserting its key.",
        args.writers, args.trials
    );
    println!();
    println!(
        "| store | implementation | keys kept: min / median / max | trials that lost a key | most handlers in the window at once |"
    );
    println!("|---|---|--:|--:|--:|");
    let mut sesh_lost = false;
    for &store in &args.stores {
        for implementation in [Impl::Sesh, Impl::TowerSessions] {
            if store == Store::Redis {
                flush(&args.redis.url).await;
            }
            let outcome = run_trials(implementation, store, args).await;
            if store == Store::Redis {
                flush(&args.redis.url).await;
            }
            let Outcome { kept, overlap } = outcome?;
            let lost = kept.iter().filter(|&&k| k < args.writers).count();
            sesh_lost |= implementation == Impl::Sesh && lost > 0;
            println!(
                "| {store} | {implementation} | {} / {} / {} of {} | {lost} of {} | {overlap} |",
                kept[0],
                median(&kept),
                kept[kept.len() - 1],
                args.writers,
                args.trials
            );
        }
    }
    if sesh_lost {
        return Err("sesh lost a key: concurrent changes to different keys must all be kept".into());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("sesh-bench-lost-updates: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = run(&args).await {
        eprintln!("sesh-bench-lost-updates: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
