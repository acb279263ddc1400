//! Counts the writes sesh and tower-sessions keep when many requests change
//! one session at once (see `sesh_bench::race`): each its own key, or all
//! one counter.
//!
//! ```text
//! sesh-bench-lost-updates [--stores "memory redis"] [--races "keys increments"]
//!                         [--writers 64] [--trials 20] [--redis-url redis://127.0.0.1:6379/9]
//! ```
//!
//! Each trial starts a session over real HTTP and sends `--writers`
//! requests at once: in the `keys` race each inserts its own key, in the
//! `increments` race each adds one to the same counter (sesh with
//! `Session::update`, tower-sessions, which has no read-modify-write, with
//! a get then an insert). It then counts the writes the session kept. It
//! prints a markdown table per race, and fails if sesh lost a write: sesh
//! promises to keep every one. The Redis database is emptied (`FLUSHDB`)
//! before and after the Redis runs, as `scripts/bench-http.sh` does, so
//! database 0 is refused.

use std::process::ExitCode;

use redis::IntoConnectionInfo as _;
use sesh_bench::{
    Impl, Store,
    race::{self, Overlap, Race, Writers},
    stores::RedisOptions,
};

const USAGE: &str = "usage: sesh-bench-lost-updates [--stores \"memory redis\"] \
                     [--races \"keys increments\"] [--writers N] [--trials N] [--redis-url URL]";

struct Args {
    stores: Vec<Store>,
    races: Vec<Race>,
    writers: usize,
    trials: usize,
    redis: RedisOptions,
}

fn parse_args() -> Result<Args, String> {
    let mut parsed = Args {
        stores: vec![Store::Memory, Store::Redis],
        races: vec![Race::DistinctKeys, Race::SameKey],
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
            "--races" => {
                parsed.races = value
                    .split_whitespace()
                    .map(|race| match race {
                        "keys" => Ok(Race::DistinctKeys),
                        "increments" => Ok(Race::SameKey),
                        other => Err(format!("--races: {other:?} is neither keys nor increments")),
                    })
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

async fn run_trials(implementation: Impl, store: Store, race: Race, args: &Args) -> Result<Outcome, String> {
    let context = |e: &dyn std::fmt::Display| format!("{implementation} over {store}: {e}");
    let overlap = Overlap::default();
    let app = race::app(implementation, store, &args.redis, &overlap)
        .await
        .map_err(|e| context(&e))?;
    let addr = race::serve(app).await.map_err(|e| context(&e))?;
    let mut kept = Vec::with_capacity(args.trials);
    for trial in 1..=args.trials {
        let outcome = race::trial(addr, args.writers, Writers::AtOnce, race).await;
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
    let mut sesh_lost = false;
    for &race in &args.races {
        sesh_lost |= run_race(race, args).await?;
        println!();
    }
    if sesh_lost {
        return Err("sesh lost a write: concurrent changes must all be kept".into());
    }
    Ok(())
}

/// One race's table; whether sesh lost a write.
async fn run_race(race: Race, args: &Args) -> Result<bool, String> {
    let (what, kept) = match race {
        Race::DistinctKeys => ("each inserting its own key into one session", "keys kept"),
        Race::SameKey => (
            "each adding one to the same counter of one session",
            "increments kept",
        ),
    };
    println!(
        "{} requests at once, {what}; {} trials. The window is a handler's time between \
         reading the session and writing it.",
        args.writers, args.trials
    );
    println!();
    println!(
        "| store | implementation | {kept}: min / median / max | trials that lost a write | most handlers in the window at once |"
    );
    println!("|---|---|--:|--:|--:|");
    let mut sesh_lost = false;
    for &store in &args.stores {
        for implementation in [Impl::Sesh, Impl::TowerSessions] {
            if store == Store::Redis {
                flush(&args.redis.url).await;
            }
            let outcome = run_trials(implementation, store, race, args).await;
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
    Ok(sesh_lost)
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
