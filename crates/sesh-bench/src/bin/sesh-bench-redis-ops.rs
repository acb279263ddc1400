//! Calls one `RedisStore` operation N times against a Redis, for counting
//! redis-server's instructions per call under `valgrind --tool=callgrind`
//! (`scripts/bench-redis-instructions.sh`).
//!
//! ```text
//! sesh-bench-redis-ops --url redis://127.0.0.1:7450 --op OP --calls N
//! ```
//!
//! OP is one of:
//!
//! | OP | each call |
//! |---|---|
//! | `load` | loads a session holding one key |
//! | `apply` | sets its one key, as the `/write` route does |
//! | `apply-remove` | sets one key and removes another that is not there |
//! | `touch` | extends its idle deadline |
//! | `create` | creates a new session holding one key, as `/new` does |
//! | `save` | replaces the whole record (compare-and-swap) |
//!
//! Each run first creates the session the call works on (under a fresh key),
//! so two runs with different N give the cost of one call by subtraction.

use std::{
    process::ExitCode,
    time::{Duration, SystemTime},
};

use serde_json::json;
use sesh::{
    Error, ErrorKind, Expiry, SessionId,
    store::{Applied, Changes, Created, Record, Saved, SessionStore},
};
use sesh_bench::KEY;
use sesh_redis::RedisStore;

const USAGE: &str =
    "usage: sesh-bench-redis-ops --url URL --op load|apply|apply-remove|touch|create|save --calls N";

#[derive(Clone, Copy)]
enum Op {
    Load,
    Apply,
    ApplyRemove,
    Touch,
    Create,
    Save,
}

struct Args {
    url: String,
    op: Op,
    calls: u64,
}

fn parse_args() -> Result<Args, String> {
    let (mut url, mut op, mut calls) = (None, None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => url = Some(value),
            "--op" => {
                op = Some(match value.as_str() {
                    "load" => Op::Load,
                    "apply" => Op::Apply,
                    "apply-remove" => Op::ApplyRemove,
                    "touch" => Op::Touch,
                    "create" => Op::Create,
                    "save" => Op::Save,
                    other => return Err(format!("unknown op {other:?}")),
                });
            }
            "--calls" => calls = Some(value.parse().map_err(|e| format!("--calls {value}: {e}"))?),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(Args {
        url: url.ok_or("--url is required")?,
        op: op.ok_or("--op is required")?,
        calls: calls.ok_or("--calls is required")?,
    })
}

fn one_key_record(n: u64) -> Record {
    let mut record = Record::new(SystemTime::now(), &Expiry::new());
    record.data.insert(KEY.to_owned(), json!(n));
    record
}

/// Fails the run if a call took another path than the one to be measured.
fn expect(as_meant: bool, op: &str) -> Result<(), Error> {
    if as_meant {
        Ok(())
    } else {
        Err(Error::msg(ErrorKind::Store, format!("{op} did not succeed")))
    }
}

async fn run(args: Args) -> Result<(), Error> {
    let store = RedisStore::connect(&args.url).await?;
    let key = SessionId::generate().key();
    let mut record = one_key_record(1);
    expect(store.create(&key, &record).await? == Created::Created, "create")?;
    for n in 0..args.calls {
        match args.op {
            Op::Load => {
                store.load(&key).await?;
            }
            Op::Apply | Op::ApplyRemove => {
                let now = SystemTime::now();
                let mut changes = Changes::new(now, now + Duration::from_secs(3600));
                changes.entries.push((KEY.to_owned(), Some(json!(n + 2))));
                if matches!(args.op, Op::ApplyRemove) {
                    changes.entries.push(("gone".to_owned(), None));
                }
                let applied = store.apply(&key, &record, &changes).await?;
                expect(applied == Applied::Applied, "apply")?;
            }
            Op::Touch => {
                store
                    .touch(&key, SystemTime::now() + Duration::from_secs(3600))
                    .await?;
            }
            Op::Create => {
                let _: sesh::store::Created = store
                    .create(&SessionId::generate().key(), &one_key_record(1))
                    .await?;
            }
            Op::Save => {
                let expected = record.version;
                record.version += 1;
                record.data.insert(KEY.to_owned(), json!(n + 2));
                expect(store.save(&key, &record, expected).await? == Saved::Saved, "save")?;
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(why) => {
            eprintln!("{why}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
