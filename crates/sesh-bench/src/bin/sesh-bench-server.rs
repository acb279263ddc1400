//! Serves the four benchmark routes (see `sesh_bench::apps`) on one
//! implementation and store, for `scripts/bench-http.sh` to load with wrk.
//!
//! ```text
//! sesh-bench-server --impl bare|sesh|tower-sessions|floor --store memory|redis --port N
//!                   [--redis-url redis://127.0.0.1:6379/9] [--redis-pool 1]
//! ```
//!
//! The Tokio runtime gets one worker per CPU the process may run on, so
//! `taskset -c 1 sesh-bench-server …` gives it one worker on core 1.

use std::process::ExitCode;

use sesh_bench::{Impl, Store, stores::RedisOptions};

struct Args {
    implementation: Impl,
    store: Store,
    port: u16,
    redis: RedisOptions,
}

const USAGE: &str = "usage: sesh-bench-server --impl bare|sesh|tower-sessions|floor --store memory|redis \
                     --port N [--redis-url URL] [--redis-pool N]";

fn parse_args() -> Result<Args, String> {
    let mut implementation = None;
    let mut store = None;
    let mut port = None;
    let mut redis = RedisOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--impl" => implementation = Some(value.parse()?),
            "--store" => store = Some(value.parse()?),
            "--port" => port = Some(value.parse().map_err(|e| format!("--port {value}: {e}"))?),
            "--redis-url" => redis.url = value,
            "--redis-pool" => {
                redis.pool = value.parse().map_err(|e| format!("--redis-pool {value}: {e}"))?;
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(Args {
        implementation: implementation.ok_or("--impl is required")?,
        store: store.ok_or("--store is required")?,
        port: port.ok_or("--port is required")?,
        redis,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build();
    let result = runtime
        .map_err(Into::into)
        .and_then(|rt| rt.block_on(serve(&args, workers)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sesh-bench-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: &Args, workers: usize) -> Result<(), sesh_bench::BoxError> {
    let app = sesh_bench::stores::app(args.implementation, args.store, &args.redis).await?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    eprintln!(
        "sesh-bench-server: {} over {} on http://{} ({workers} workers)",
        args.implementation,
        args.store,
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}
