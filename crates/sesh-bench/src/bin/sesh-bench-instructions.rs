//! Drives one case of the benchmark routes in process, for instruction
//! counting under `valgrind --tool=callgrind` (`scripts/bench-instructions.sh`).
//!
//! ```text
//! sesh-bench-instructions --impl bare|sesh|tower-sessions|floor --case CASE --requests N
//!                         [--store memory|redis] [--redis-url URL]
//! ```
//!
//! CASE is `untouched`, `untouched-cookie`, `read`, `write` or `new`, as in
//! `scripts/bench-http.sh`. It seeds 1000 sessions through `/new`, then sends
//! N requests of the case on a current-thread runtime, over the memory store
//! unless `--store redis` says otherwise. Over Redis the count covers this
//! process only (the client's side of each round trip), not redis-server.
//! Instructions are deterministic where seconds are not, so two runs with
//! different N give the cost of one request by subtraction, whatever else
//! the machine is doing.

use std::process::ExitCode;

use axum::{
    Router,
    body::Body,
    http::{Request, header},
};
use sesh_bench::{Impl, Store, stores::RedisOptions};
use tower::ServiceExt as _;

const SESSIONS: usize = 1000;
const USAGE: &str = "usage: sesh-bench-instructions --impl bare|sesh|tower-sessions|floor \
                     --case untouched|untouched-cookie|read|write|new --requests N \
                     [--store memory|redis] [--redis-url URL]";

struct Args {
    implementation: Impl,
    store: Store,
    redis: RedisOptions,
    path: &'static str,
    with_cookie: bool,
    requests: usize,
}

fn case(name: &str) -> Result<(&'static str, bool), String> {
    Ok(match name {
        "untouched" => ("/untouched", false),
        "untouched-cookie" => ("/untouched", true),
        "read" => ("/read", true),
        "write" => ("/write", true),
        "new" => ("/new", false),
        other => return Err(format!("unknown case {other:?}")),
    })
}

fn parse_args() -> Result<Args, String> {
    let (mut implementation, mut case_, mut requests) = (None, None, None);
    let (mut store, mut redis) = (Store::Memory, RedisOptions::default());
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--impl" => implementation = Some(value.parse()?),
            "--case" => case_ = Some(case(&value)?),
            "--requests" => requests = Some(value.parse().map_err(|e| format!("--requests {value}: {e}"))?),
            "--store" => store = value.parse()?,
            "--redis-url" => redis.url = value,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    let (path, with_cookie) = case_.ok_or("--case is required")?;
    Ok(Args {
        implementation: implementation.ok_or("--impl is required")?,
        store,
        redis,
        path,
        with_cookie,
        requests: requests.ok_or("--requests is required")?,
    })
}

fn request(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).expect("a valid request")
}

/// `name=value` cookies of sessions made through the sesh `/new` route.
async fn seed(app: &Router) -> Result<Vec<String>, String> {
    let mut cookies = Vec::with_capacity(SESSIONS);
    for _ in 0..SESSIONS {
        let response = app
            .clone()
            .oneshot(request("/new", None))
            .await
            .map_err(|e| e.to_string())?;
        let set_cookie = response
            .headers()
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .ok_or("/new set no cookie")?;
        cookies.push(set_cookie.split(';').next().unwrap_or_default().to_owned());
    }
    Ok(cookies)
}

async fn run(args: &Args) -> Result<(), String> {
    // Bare axum answers the cookie cases too; it gets sesh's cookies so its
    // requests are as long.
    let seeder = if args.implementation == Impl::Bare {
        Impl::Sesh
    } else {
        args.implementation
    };
    let app = sesh_bench::stores::app(args.implementation, args.store, &args.redis)
        .await
        .map_err(|e| e.to_string())?
        // Turns every route into a service once, as `axum::serve` does,
        // instead of on every call.
        .with_state(());
    let seeding_app = if seeder == args.implementation {
        app.clone()
    } else {
        sesh_bench::stores::app(seeder, args.store, &args.redis)
            .await
            .map_err(|e| e.to_string())?
            .with_state(())
    };
    let cookies = if args.with_cookie {
        seed(&seeding_app).await?
    } else {
        Vec::new()
    };
    for i in 0..args.requests {
        let cookie = cookies.get(i % SESSIONS.max(1)).map(String::as_str);
        let response = app
            .clone()
            .oneshot(request(args.path, cookie))
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{} answered {}", args.path, response.status()));
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let outcome = parse_args()
        .map_err(|e| format!("{e}\n{USAGE}"))
        .and_then(|args| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(run(&args))
        });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sesh-bench-instructions: {e}");
            ExitCode::FAILURE
        }
    }
}
