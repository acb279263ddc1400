//! Exactly which Redis commands each store operation and each kind of
//! request costs, counted by the server (its `MONITOR` feed) on a
//! redis-server of this test's own on port 7310, so no other test's
//! traffic is counted. The round-trip table of sesh-redis's README
//! (`crates/sesh-redis/README.md`) states these numbers.

use std::{
    collections::BTreeMap,
    time::{Duration, SystemTime},
};

use axum::{Router, body::Body, routing::get};
use futures_util::StreamExt as _;
use http::{Request, StatusCode, header};
use redis::aio::MultiplexedConnection;
use sesh::{Expiry, Session, SessionLayer};
use sesh_core::{Applied, Changes, Created, Record, Saved, SessionId, SessionStore, StoreKey, UserIndex};
use sesh_redis::RedisStore;
use sesh_tests::RedisServer;
use tokio::sync::mpsc;
use tower::ServiceExt as _;

const PORT: u16 = 7310;

/// Counts the commands clients send, from the server's `MONITOR` feed
/// (commands a Lua script runs inside the server are not round trips and
/// are left out).
struct Counter {
    feed: mpsc::UnboundedReceiver<String>,
    raw: MultiplexedConnection,
    marks: u64,
}

impl Counter {
    async fn new(url: &str) -> Self {
        let client = redis::Client::open(url).expect("url");
        let monitor = client.get_async_monitor().await.expect("monitor");
        let (tx, feed) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut lines = monitor.into_on_message::<String>();
            while let Some(line) = lines.next().await {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let raw = client.get_multiplexed_async_connection().await.expect("raw");
        let mut counter = Self { feed, raw, marks: 0 };
        counter.mark().await;
        counter
    }

    /// Sends a marker and reads the feed up to it; returns the client
    /// commands seen before it.
    async fn mark(&mut self) -> Vec<String> {
        self.marks += 1;
        let marker = format!("sesh-mark-{}", self.marks);
        let _: String = redis::cmd("ECHO")
            .arg(&marker)
            .query_async(&mut self.raw)
            .await
            .expect("echo");
        let mut seen = Vec::new();
        loop {
            let line = tokio::time::timeout(Duration::from_secs(5), self.feed.recv())
                .await
                .expect("the marker reaches the monitor")
                .expect("monitor feed");
            if line.contains(&marker) {
                return seen;
            }
            // `<time> [<db> <client address or "lua">] "COMMAND" "arg"...`
            let Some((client, command)) = line.split_once("] ") else {
                continue;
            };
            if client.ends_with(" lua") {
                continue;
            }
            let name = command.split('"').nth(1).unwrap_or_default();
            seen.push(name.to_ascii_lowercase());
        }
    }

    /// The client commands `op` sent, as `"name:count ..."` sorted by name.
    async fn count<T>(&mut self, op: impl Future<Output = T>) -> (String, T) {
        let out = op.await;
        let mut tally: BTreeMap<String, usize> = BTreeMap::new();
        for name in self.mark().await {
            *tally.entry(name).or_default() += 1;
        }
        let text: Vec<String> = tally.iter().map(|(n, c)| format!("{n}:{c}")).collect();
        (text.join(" "), out)
    }
}

async fn setup() -> Option<(RedisServer, RedisStore, Counter)> {
    let url = format!("redis://127.0.0.1:{PORT}");
    let server = match RedisServer::start(PORT) {
        Ok(server) => server,
        Err(e) => {
            sesh_store_tests::server_unreachable("redis (own server)", &url, &e);
            return None;
        }
    };
    let store = RedisStore::connect(&url).await.expect("connect");
    let counter = Counter::new(&url).await;
    Some((server, store, counter))
}

fn record(user: Option<&str>) -> Record {
    let mut r = Record::new(SystemTime::now(), &Expiry::new());
    r.user = user.map(str::to_owned);
    r
}

fn one_change(record: &mut Record) -> Changes {
    let now = SystemTime::now();
    let mut changes = Changes::new(now, now + Duration::from_secs(3600));
    changes.entries.push(("n".into(), Some(1.into())));
    changes.apply_to(record);
    changes
}

/// Every store operation once, returning what each cost. Run twice: the
/// first pass also loads the Lua scripts (`NOSCRIPT`, `SCRIPT LOAD`, retry).
async fn each_operation(store: &RedisStore, counter: &mut Counter) -> Vec<(&'static str, String)> {
    let mut costs = Vec::new();
    let key = SessionId::generate().key();
    let (cost, created) = counter.count(store.create(&key, &record(None))).await;
    assert_eq!(created.expect("create"), Created::Created);
    costs.push(("create", cost));
    let (cost, loaded) = counter.count(store.load(&key)).await;
    let mut loaded = loaded.expect("load").expect("live");
    costs.push(("load", cost));
    loaded.version = 1;
    let (cost, saved) = counter.count(store.save(&key, &loaded, 0)).await;
    assert_eq!(saved.expect("save"), Saved::Saved);
    costs.push(("save", cost));
    let changes = one_change(&mut loaded);
    loaded.version = 1;
    let (cost, applied) = counter.count(store.apply(&key, &loaded, &changes)).await;
    assert_eq!(applied.expect("apply"), Applied::Applied);
    costs.push(("apply", cost));
    let later = SystemTime::now() + Duration::from_secs(7200);
    let (cost, touched) = counter.count(store.touch(&key, later)).await;
    touched.expect("touch");
    costs.push(("touch", cost));
    let (cost, deleted) = counter.count(store.delete(&key)).await;
    deleted.expect("delete");
    costs.push(("delete", cost));
    costs.extend(each_user_operation(store, counter).await);
    costs
}

async fn each_user_operation(store: &RedisStore, counter: &mut Counter) -> Vec<(&'static str, String)> {
    let mut costs = Vec::new();
    let user = format!("ada-{}", &SessionId::generate().key().to_hex()[..12]);
    let bound = record(Some(&user));
    let mut keys: Vec<StoreKey> = Vec::new();
    for _ in 0..3 {
        let key = SessionId::generate().key();
        let (cost, created) = counter.count(store.create(&key, &bound)).await;
        assert_eq!(created.expect("create"), Created::Created);
        costs.push(("create bound", cost));
        keys.push(key);
    }
    let mut next = bound.clone();
    next.version = 1;
    let (cost, saved) = counter.count(store.save(&keys[0], &next, 0)).await;
    assert_eq!(saved.expect("save"), Saved::Saved);
    costs.push(("save bound, same user", cost));
    let other = format!("{user}-other");
    next.user = Some(other.clone());
    next.version = 2;
    let (cost, saved) = counter.count(store.save(&keys[0], &next, 1)).await;
    assert_eq!(saved.expect("save"), Saved::Saved);
    costs.push(("save bound, user changed", cost));
    let mut changes = one_change(&mut next);
    changes.user = Some(Some(user.clone()));
    let (cost, applied) = counter.count(store.apply(&keys[0], &next, &changes)).await;
    assert_eq!(applied.expect("apply"), Applied::Applied);
    costs.push(("apply binding a user", cost));
    let (cost, listed) = counter.count(store.user_sessions(&user)).await;
    assert_eq!(listed.expect("list").len(), 3);
    costs.push(("user_sessions (3)", cost));
    let (cost, ended) = counter
        .count(store.delete_user_sessions(&user, Some(&keys[0])))
        .await;
    assert_eq!(ended.expect("delete others"), 2);
    costs.push(("delete_user_sessions (3, keep 1)", cost));
    let (cost, deleted) = counter.count(store.delete(&keys[0])).await;
    deleted.expect("delete");
    costs.push(("delete bound", cost));
    costs
}

/// One test, one server: parallel tests would count each other's commands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trips_are_what_the_readme_says() {
    let Some((_server, store, mut counter)) = setup().await else {
        return;
    };
    store_operations(&store, &mut counter).await;
    requests(store, &mut counter).await;
}

async fn store_operations(store: &RedisStore, counter: &mut Counter) {
    each_operation(store, counter).await;
    let costs = each_operation(store, counter).await;
    for (op, cost) in &costs {
        println!("{op:<34} {cost}");
    }
    let expected = [
        ("create", "evalsha:1"),
        ("load", "hgetall:1"),
        ("save", "evalsha:1"),
        ("apply", "evalsha:1"),
        ("touch", "evalsha:1"),
        ("delete", "evalsha:1"),
        ("create bound", "evalsha:2"),
        ("create bound", "evalsha:2"),
        ("create bound", "evalsha:2"),
        ("save bound, same user", "evalsha:1"),
        ("save bound, user changed", "evalsha:3"),
        ("apply binding a user", "evalsha:2"),
        ("user_sessions (3)", "evalsha:1 hgetall:3"),
        ("delete_user_sessions (3, keep 1)", "evalsha:3 zrem:1"),
        ("delete bound", "evalsha:1 zrem:1"),
    ];
    let costs: Vec<(&str, &str)> = costs.iter().map(|(op, c)| (*op, c.as_str())).collect();
    assert_eq!(costs, expected);
}

async fn counter(session: Session) -> Result<String, sesh::Error> {
    let n: u64 = session.get("n")?.unwrap_or(0) + 1;
    session.insert("n", n)?;
    Ok(n.to_string())
}

async fn read(session: Session) -> Result<String, sesh::Error> {
    Ok(session.get::<u64>("n")?.unwrap_or(0).to_string())
}

fn app(store: RedisStore, expiry: Expiry) -> Router {
    Router::new()
        .route("/", get(counter))
        .route("/read", get(read))
        .route("/health", get(|| async { "ok" }))
        .route(
            "/logout",
            get(|session: Session| async move { session.destroy() }),
        )
        .layer(SessionLayer::new(store).expiry(expiry))
}

/// One request; returns the `name=value` of a Set-Cookie, if any.
async fn send(app: &Router, path: &str, cookie: Option<&str>) -> Option<String> {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let set = response.headers().get(header::SET_COOKIE)?.to_str().ok()?;
    set.split(';').next().map(str::to_owned)
}

async fn requests(store: RedisStore, counter: &mut Counter) {
    let lazy = app(store.clone(), Expiry::new());
    let eager = app(store, Expiry::new().touch_after(0.0));
    // Warm-up: loads the scripts.
    let warm = send(&lazy, "/", None).await.expect("cookie");
    send(&eager, "/read", Some(&warm)).await;
    send(&lazy, "/", Some(&warm)).await;
    counter.mark().await;

    let (cost, cookie) = counter.count(send(&lazy, "/", None)).await;
    let cookie = cookie.expect("a new session sets its cookie");
    println!("new session (create)            {cost}");
    assert_eq!(cost, "evalsha:1");
    let (cost, _) = counter.count(send(&lazy, "/health", Some(&cookie))).await;
    println!("untouched session               {cost:?}");
    assert_eq!(cost, "");
    let (cost, _) = counter.count(send(&lazy, "/read", Some(&cookie))).await;
    println!("read                            {cost}");
    assert_eq!(cost, "hgetall:1");
    let (cost, _) = counter.count(send(&lazy, "/", Some(&cookie))).await;
    println!("write (load + apply)            {cost}");
    assert_eq!(cost, "evalsha:1 hgetall:1");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (cost, _) = counter.count(send(&eager, "/read", Some(&cookie))).await;
    println!("read past the touch threshold   {cost}");
    assert_eq!(cost, "evalsha:1 hgetall:1");
    let (cost, _) = counter.count(send(&lazy, "/logout", Some(&cookie))).await;
    println!("destroy (load + delete)         {cost}");
    assert_eq!(cost, "evalsha:1 hgetall:1");
}
