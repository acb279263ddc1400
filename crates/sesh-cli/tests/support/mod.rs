//! What the tests of the `sesh` binary share: running it, sessions seeded
//! through a store's API, and the checks every store goes through.

// Each test file uses a different subset.
#![allow(dead_code, unreachable_pub)]

use std::{
    process::{Command, Output, Stdio},
    time::{Duration, SystemTime},
};

use serde_json::{Value, json};
use sesh_core::{Created, Expiry, Inspect, Record, RecordSummary, SessionId, StoreKey, UserIndex};

/// A name no other test run uses.
pub fn fresh(prefix: &str) -> String {
    format!("{prefix}{}", &SessionId::generate().key().to_hex()[..12])
}

/// What a run of the binary printed, and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl Run {
    /// The output as JSON, one document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    /// The output as JSON lines.
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// Asserts a successful run and returns it.
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "failed: {self:?}");
        self
    }
}

/// Runs `sesh` with `args`, stdin closed, `SESH_URL` unset.
pub fn sesh<S: AsRef<str>>(args: &[S]) -> Run {
    let started = std::time::Instant::now();
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_sesh"))
        .args(args.iter().map(AsRef::as_ref))
        .env_remove("SESH_URL")
        .stdin(Stdio::null())
        .output()
        .expect("run sesh");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(stderr).expect("UTF-8 stderr"),
        took: started.elapsed(),
    }
}

/// Sessions seeded through a store's API: `ada` has three (one
/// persistent), `bob` one, two are anonymous; one more has expired.
#[derive(Debug)]
pub struct Seeded {
    pub ada: String,
    pub bob: String,
    pub ada_keys: Vec<StoreKey>,
    pub bob_key: StoreKey,
    pub anonymous: Vec<StoreKey>,
    pub expired: StoreKey,
    /// A stored value that only `inspect --values` may print.
    pub secret: String,
    /// Every session ID: none may ever be printed.
    pub ids: Vec<String>,
}

impl Seeded {
    pub fn live(&self) -> Vec<StoreKey> {
        let mut all = self.ada_keys.clone();
        all.push(self.bob_key);
        all.extend(&self.anonymous);
        all
    }
}

pub async fn seed<S: UserIndex>(store: &S) -> Seeded {
    let secret = fresh("s3cret-");
    let (ada, bob) = (fresh("ada-"), fresh("bob-"));
    let mut ids = Vec::new();
    let hour = Duration::from_secs(3600);
    let mut ada_keys = Vec::new();
    for persistent in [true, false, false] {
        ada_keys.push(create(store, &mut ids, &secret, Some(&ada), persistent, hour).await);
    }
    let bob_key = create(store, &mut ids, &secret, Some(&bob), false, hour).await;
    let anonymous = vec![
        create(store, &mut ids, &secret, None, false, hour).await,
        create(store, &mut ids, &secret, None, false, hour).await,
    ];
    let expired = create(store, &mut ids, &secret, None, false, Duration::from_millis(200)).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    Seeded {
        ada,
        bob,
        ada_keys,
        bob_key,
        anonymous,
        expired,
        secret,
        ids,
    }
}

async fn create<S: UserIndex>(
    store: &S,
    ids: &mut Vec<String>,
    secret: &str,
    user: Option<&str>,
    persistent: bool,
    lifetime: Duration,
) -> StoreKey {
    let id = SessionId::generate();
    let now = SystemTime::now();
    let mut record = Record::new(now, &Expiry::new());
    record.expires_at = now + lifetime;
    record.user = user.map(str::to_owned);
    record.persistent = persistent;
    record.data.insert("csrf".into(), json!(secret));
    record.data.insert("cart".into(), json!([1, 2, 3]));
    let outcome = store.create(&id.key(), &record).await.expect("create");
    assert_eq!(outcome, Created::Created);
    ids.push(id.encode());
    id.key()
}

/// Every command against a store holding only `seeded`'s sessions, through
/// the binary with `store_args` (URL, prefix or table); checks its output
/// and what it left in the store. Leaves no session behind.
pub async fn check_every_command<S: UserIndex + Inspect>(
    store: &S,
    store_args: &[String],
    seeded: &Seeded,
    sweeps: bool,
) {
    let sesh = |args: &[&str]| {
        let mut all: Vec<String> = store_args.to_vec();
        all.extend(args.iter().map(|a| (*a).to_owned()));
        let run = sesh(&all);
        for id in &seeded.ids {
            assert!(
                !run.stdout.contains(id) && !run.stderr.contains(id),
                "a session ID was printed: {run:?}"
            );
        }
        if !args.contains(&"--values") {
            assert!(
                !run.stdout.contains(&seeded.secret),
                "a value was printed: {run:?}"
            );
        }
        run
    };

    // stats
    let stats = sesh(&["stats", "--json", "--batch", "2"]).ok().json();
    let mut bytes = 0;
    for key in seeded.live() {
        let record = store.load(&key).await.expect("load").expect("live");
        bytes += RecordSummary::of(&record).data_bytes;
    }
    assert_eq!(stats["sessions"], 6, "{stats}");
    assert_eq!(stats["users"], 2, "{stats}");
    assert_eq!(stats["bound_sessions"], 4, "{stats}");
    assert_eq!(stats["anonymous_sessions"], 2, "{stats}");
    assert_eq!(stats["persistent_sessions"], 1, "{stats}");
    assert_eq!(stats["data_bytes"]["total"], bytes, "{stats}");
    let text = sesh(&["stats"]).ok().stdout;
    assert!(text.contains("live sessions   6"), "{text}");

    // list
    let listed = sesh(&["list", "--user", &seeded.ada]).ok().stdout;
    for key in &seeded.ada_keys {
        assert!(listed.contains(&key.to_hex()), "{key:?} missing from {listed}");
    }
    assert!(!listed.contains(&seeded.bob_key.to_hex()), "{listed}");
    assert!(
        listed.contains(&format!("3 sessions of user {:?}", seeded.ada)),
        "{listed}"
    );
    let rows = sesh(&["list", "--user", &seeded.ada, "--json"]).ok().json_lines();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows.iter().filter(|r| r["persistent"] == true).count(), 1);
    let all = sesh(&["list", "--json", "--batch", "2", "--progress-every", "2"]).ok();
    let mut keys: Vec<String> = all
        .json_lines()
        .iter()
        .map(|r| r["key"].as_str().expect("key").to_owned())
        .collect();
    keys.sort();
    let mut live: Vec<String> = seeded.live().iter().map(StoreKey::to_hex).collect();
    live.sort();
    assert_eq!(keys, live, "every live session, once, and no expired one");
    assert!(
        all.stderr.contains("scanned 2 sessions"),
        "progress: {}",
        all.stderr
    );
    assert_eq!(
        sesh(&["list", "--limit", "4", "--json"]).ok().json_lines().len(),
        4
    );

    // inspect
    let key = seeded.ada_keys[0].to_hex();
    let shown = sesh(&["inspect", "--key", &key]).ok().stdout;
    assert!(
        shown.contains("csrf") && shown.contains("cart") && shown.contains(&seeded.ada),
        "{shown}"
    );
    let with_values = sesh(&["inspect", "--key", &key, "--values", "--json"])
        .ok()
        .json();
    assert_eq!(with_values["data"]["csrf"]["value"], json!(seeded.secret));
    assert_eq!(with_values["persistent"], true);
    let gone = sesh(&["inspect", "--key", &seeded.expired.to_hex()]);
    assert_eq!(gone.code, 1, "{gone:?}");
    assert!(gone.stderr.contains("no live session"), "{gone:?}");

    // revoke
    let declined = sesh(&["revoke", "--user", &seeded.ada]);
    assert_eq!(declined.code, 1, "{declined:?}");
    assert!(
        declined.stderr.contains("nothing revoked") && declined.stderr.contains("--yes"),
        "{declined:?}"
    );
    assert_eq!(store.user_sessions(&seeded.ada).await.expect("listed").len(), 3);
    let revoked = sesh(&["revoke", "--user", &seeded.ada, "--yes", "--json"])
        .ok()
        .json();
    assert_eq!(revoked["revoked"], 3, "{revoked}");
    assert!(store.user_sessions(&seeded.ada).await.expect("listed").is_empty());
    assert_eq!(store.user_sessions(&seeded.bob).await.expect("listed").len(), 1);
    let one = sesh(&["revoke", "--key", &seeded.bob_key.to_hex()]).ok().stdout;
    assert!(one.contains("revoked 1 session with store key"), "{one}");
    assert!(store.load(&seeded.bob_key).await.expect("load").is_none());
    let none = sesh(&["revoke", "--key", &seeded.bob_key.to_hex(), "--json"])
        .ok()
        .json();
    assert_eq!(none["revoked"], 0);

    // purge-expired
    let purged = sesh(&["purge-expired", "--json"]).ok().json();
    assert_eq!(purged["needed"], sweeps, "{purged}");
    if sweeps {
        assert_eq!(purged["purged"], 1, "the expired session: {purged}");
    }
    assert_eq!(sesh(&["stats", "--json"]).ok().json()["sessions"], 2);

    for key in &seeded.anonymous {
        store.delete(key).await.expect("clean up");
    }
}
