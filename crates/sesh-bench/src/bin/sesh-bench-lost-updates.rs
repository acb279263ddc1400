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
//! after the run, as `scripts/bench-http.sh` does, so database 0 is refused.

use std::process::ExitCode;

use sesh_bench::{Impl, Store, race, stores::RedisOptions};

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
    if parsed.writers < 2 || parsed.trials == 0 {
        return Err("a race needs --writers 2 or more and --trials 1 or more".into());
    }
    let database = parsed
        .redis
        .url
        .rsplit_once('/')
        .and_then(|(_, db)| db.parse::<u32>().ok());
    if parsed.stores.contains(&Store::Redis) && database.is_none_or(|db| db == 0) {
        return Err("--redis-url must name a database other than 0: it is emptied after the run".into());
    }
    Ok(parsed)
}

/// Keys kept in each trial, sorted.
async fn run_trials(implementation: Impl, store: Store, args: &Args) -> Result<Vec<usize>, String> {
    let app = race::app(implementation, store, &args.redis)
        .await
        .map_err(|e| format!("{implementation} over {store}: {e}"))?;
    let addr = race::serve(app).await.map_err(|e| e.to_string())?;
    let mut kept = Vec::with_capacity(args.trials);
    for _ in 0..args.trials {
        kept.push(
            race::trial(addr, args.writers)
                .await
                .map_err(|e| format!("{implementation} over {store}: {e}"))?,
        );
    }
    kept.sort_unstable();
    Ok(kept)
}

async fn flush(url: &str) -> Result<(), String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .map_err(|e| e.to_string())?;
    redis::cmd("FLUSHDB")
        .query_async::<()>(&mut connection)
        .await
        .map_err(|e| e.to_string())
}

async fn run(args: &Args) -> Result<(), String> {
    println!(
        "{} requests at once, each inserting its own key into one session; {} trials.",
        args.writers, args.trials
    );
    println!();
    println!("| store | implementation | keys kept: min / median / max | trials that lost a key |");
    println!("|---|---|--:|--:|");
    let mut sesh_lost = false;
    for &store in &args.stores {
        for implementation in [Impl::Sesh, Impl::TowerSessions] {
            let outcome = run_trials(implementation, store, args).await;
            if store == Store::Redis {
                flush(&args.redis.url).await?;
            }
            let kept = outcome?;
            let lost = kept.iter().filter(|&&k| k < args.writers).count();
            sesh_lost |= implementation == Impl::Sesh && lost > 0;
            println!(
                "| {store} | {implementation} | {} / {} / {} of {} | {lost} of {} |",
                kept[0],
                kept[kept.len() / 2],
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
