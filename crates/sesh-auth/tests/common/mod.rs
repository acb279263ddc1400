//! The app every test serves over real TCP, its backend (which counts its
//! calls and can change a password), and a browser-like client.

// Each test file uses a different subset of these helpers.
#![allow(dead_code, unreachable_pub)]

use std::{
    collections::{HashMap, HashSet},
    fmt,
    net::SocketAddr,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use axum::{
    Form, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use reqwest::{Url, cookie::CookieStore as _, redirect::Policy};
use serde::Deserialize;
use sesh::{MemoryStore, SessionLayer};
use sesh_auth::{
    AuthBackend, AuthLayer, AuthSession, AuthUser, AuthzBackend, CurrentUser, RequireLoginLayer,
    RequirePermissionLayer, safe_next,
};
use tokio::net::TcpListener;

#[derive(Clone, Debug)]
pub struct User {
    pub name: String,
    /// Changes whenever the password does.
    pub fingerprint: Vec<u8>,
}

impl AuthUser for User {
    fn id(&self) -> String {
        self.name.clone()
    }

    fn auth_hash(&self) -> &[u8] {
        &self.fingerprint
    }
}

#[derive(Deserialize)]
pub struct Credentials {
    pub name: String,
    pub password: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    Admin,
}

/// The app's own error, for a backend that is down.
#[derive(Debug)]
pub struct DbDown;

impl fmt::Display for DbDown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("database unreachable")
    }
}

impl std::error::Error for DbDown {}

struct Account {
    password: String,
    /// Bumped on every password change: the fingerprint is derived from it.
    generation: u32,
    admin: bool,
}

/// Users in memory; counts its `user` and `permissions` calls.
#[derive(Default)]
pub struct Backend {
    accounts: Mutex<HashMap<String, Account>>,
    pub user_calls: AtomicUsize,
    pub permission_calls: AtomicUsize,
    pub down: AtomicBool,
}

impl Backend {
    pub fn add(&self, name: &str, password: &str, admin: bool) {
        let account = Account {
            password: password.to_owned(),
            generation: 0,
            admin,
        };
        self.accounts().insert(name.to_owned(), account);
    }

    pub fn remove(&self, name: &str) {
        self.accounts().remove(name);
    }

    /// Changes `name`'s password; the user with the new auth hash.
    pub fn set_password(&self, name: &str, password: &str) -> Option<User> {
        let mut accounts = self.accounts();
        let account = accounts.get_mut(name)?;
        account.password = password.to_owned();
        account.generation += 1;
        Some(user(name, account))
    }

    pub fn user_calls(&self) -> usize {
        self.user_calls.load(Ordering::SeqCst)
    }

    pub fn permission_calls(&self) -> usize {
        self.permission_calls.load(Ordering::SeqCst)
    }

    fn accounts(&self) -> std::sync::MutexGuard<'_, HashMap<String, Account>> {
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn check_up(&self) -> Result<(), DbDown> {
        if self.down.load(Ordering::SeqCst) {
            Err(DbDown)
        } else {
            Ok(())
        }
    }
}

fn user(name: &str, account: &Account) -> User {
    User {
        name: name.to_owned(),
        fingerprint: format!("{name}/{}", account.generation).into_bytes(),
    }
}

impl AuthBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = DbDown;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, DbDown> {
        self.check_up()?;
        let accounts = self.accounts();
        Ok(accounts
            .get(&creds.name)
            .filter(|a| a.password == creds.password)
            .map(|a| user(&creds.name, a)))
    }

    async fn user(&self, id: &str) -> Result<Option<User>, DbDown> {
        self.user_calls.fetch_add(1, Ordering::SeqCst);
        self.check_up()?;
        Ok(self.accounts().get(id).map(|a| user(id, a)))
    }
}

impl AuthzBackend for Backend {
    type Permission = Permission;

    async fn permissions(&self, user: &User) -> Result<HashSet<Permission>, DbDown> {
        self.permission_calls.fetch_add(1, Ordering::SeqCst);
        self.check_up()?;
        let admin = self.accounts().get(&user.name).is_some_and(|a| a.admin);
        Ok(if admin {
            HashSet::from([Permission::Admin])
        } else {
            HashSet::new()
        })
    }
}

type Auth = AuthSession<Backend>;
type Me = CurrentUser<Backend>;

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// `POST /login`: 401 on wrong credentials; else a 303 to a safe `next`,
/// or 200 naming the user.
async fn login(
    auth: Auth,
    Query(q): Query<Next>,
    Form(creds): Form<Credentials>,
) -> Result<Response, sesh_auth::Error> {
    let Some(user) = auth.authenticate(creds).await? else {
        return Ok((StatusCode::UNAUTHORIZED, "wrong name or password").into_response());
    };
    auth.login(&user).await?;
    Ok(match q.next.as_deref().and_then(safe_next) {
        Some(next) => Redirect::to(next).into_response(),
        None => format!("logged in as {}", user.name).into_response(),
    })
}

async fn logout(auth: Auth) -> Result<&'static str, sesh_auth::Error> {
    auth.logout().await?;
    Ok("bye")
}

async fn me(CurrentUser(user): Me) -> String {
    user.name
}

async fn home(user: Option<Me>) -> String {
    match user {
        Some(CurrentUser(user)) => format!("hello {}", user.name),
        None => "hello visitor".to_owned(),
    }
}

/// Asks for the user four ways, behind a guard that asked too.
async fn many(auth: Auth, CurrentUser(first): Me, second: Option<Me>) -> Result<String, sesh_auth::Error> {
    let third = auth.user().await?.map(|u| u.name);
    let second = second.map(|CurrentUser(u)| u.name);
    Ok(format!("{} {second:?} {third:?}", first.name))
}

/// `POST /note` (form `text`): a value of the app's own in the session.
async fn write_note(auth: Auth, Form(note): Form<HashMap<String, String>>) -> Result<(), sesh::Error> {
    auth.session().load().await?;
    auth.session().insert("note", note.get("text"))
}

async fn read_note(auth: Auth) -> Result<String, sesh::Error> {
    auth.session().load().await?;
    Ok(auth.session().get::<String>("note")?.unwrap_or_default())
}

#[derive(Deserialize)]
struct NewPassword {
    password: String,
    /// `end_others=1`: end the other sessions now, not on their next request.
    #[serde(default)]
    end_others: Option<String>,
}

/// `POST /password`: changes the password and keeps this session.
async fn change_password(
    State(backend): State<Arc<Backend>>,
    auth: Auth,
    CurrentUser(user): Me,
    Form(form): Form<NewPassword>,
) -> Result<String, sesh_auth::Error> {
    let Some(updated) = backend.set_password(&user.name, &form.password) else {
        return Ok("gone".to_owned());
    };
    auth.login(&updated).await?;
    if form.end_others.is_some() {
        auth.session().end_other_sessions().await?;
    }
    Ok("changed".to_owned())
}

/// `POST /raw-login`: binds the session to ada through sesh alone, with
/// no auth hash.
async fn raw_login(auth: Auth) -> Result<(), sesh::Error> {
    auth.session().load().await?;
    auth.session().login("ada").await
}

/// Looks at the permissions twice, behind a guard that looked too.
async fn admin_report(auth: Auth) -> Result<String, sesh_auth::Error> {
    let admin = auth.has_permission(&Permission::Admin).await?;
    let all = auth.permissions().await?;
    Ok(format!("admin={admin} permissions={}", all.len()))
}

/// The whole app, over `backend` and `store`.
pub fn app(backend: Arc<Backend>, store: MemoryStore) -> Router {
    let api = Router::new()
        .route("/api/secret", get(|| async { "api secret" }))
        .route("/many", get(many))
        .route_layer(RequireLoginLayer::<Backend>::new());
    let pages = Router::new()
        .route("/page/secret", get(|| async { "page secret" }))
        .route_layer(RequireLoginLayer::<Backend>::new().login_url("/login"));
    let admin_api = Router::new()
        .route("/admin", get(admin_report))
        .route_layer(RequirePermissionLayer::<Backend>::new([Permission::Admin]));
    let admin_pages = Router::new()
        .route("/admin/page", get(|| async { "admin page" }))
        .route_layer(RequirePermissionLayer::<Backend>::new([Permission::Admin]).login_url("/login"));
    Router::new()
        .merge(api)
        .merge(pages)
        .merge(admin_api)
        .merge(admin_pages)
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/home", get(home))
        .route("/note", post(write_note).get(read_note))
        .route("/password", post(change_password))
        .route("/raw-login", post(raw_login))
        .with_state(Arc::clone(&backend))
        .layer(AuthLayer::from_arc(backend))
        .layer(SessionLayer::new(store).secure(false))
}

/// Serves `app` on 127.0.0.1 at a free port.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

/// A backend with `ada` (password `ada-pw`, admin) and `bob` (`bob-pw`).
pub fn backend() -> Arc<Backend> {
    let backend = Backend::default();
    backend.add("ada", "ada-pw", true);
    backend.add("bob", "bob-pw", false);
    Arc::new(backend)
}

/// A server of the whole app; the backend and store to look into.
pub async fn start() -> (Arc<Backend>, MemoryStore, SocketAddr) {
    let backend = backend();
    let store = MemoryStore::new();
    let addr = serve(app(Arc::clone(&backend), store.clone())).await;
    (backend, store, addr)
}

/// What a test looks at in a response.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookie: Vec<String>,
    pub body: String,
}

/// One browser: its own cookie jar; redirects are not followed.
pub struct Browser {
    http: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    base: Url,
}

impl Browser {
    pub fn new(addr: SocketAddr) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .redirect(Policy::none())
            .build()
            .expect("client");
        Self {
            http,
            jar,
            base: format!("http://{addr}/").parse().expect("a base URL"),
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        answer(self.http.get(self.url(path)).send().await.expect("GET")).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        answer(
            self.http
                .post(self.url(path))
                .form(form)
                .send()
                .await
                .expect("POST"),
        )
        .await
    }

    /// `GET path` with exactly `cookie` (`name=value`), outside the jar.
    pub async fn get_with_cookie(&self, path: &str, cookie: &str) -> Answer {
        let client = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("client");
        let sent = client.get(self.url(path)).header("cookie", cookie).send();
        answer(sent.await.expect("GET")).await
    }

    /// Logs in as `name` with `password`; asserts it worked.
    pub async fn log_in(&self, name: &str, password: &str) {
        let answer = self
            .post("/login", &[("name", name), ("password", password)])
            .await;
        assert_eq!(answer.status, StatusCode::OK, "login of {name}: {}", answer.body);
        assert_eq!(answer.body, format!("logged in as {name}"));
    }

    /// The session cookie in the jar (`session=...`), if any.
    pub fn session_cookie(&self) -> Option<String> {
        let header = self.jar.cookies(&self.base)?;
        let header = header.to_str().expect("ascii").to_owned();
        header
            .split("; ")
            .find(|pair| pair.starts_with("session="))
            .map(str::to_owned)
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path.trim_start_matches('/')).expect("a URL")
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers();
    let location = headers
        .get("location")
        .map(|v| v.to_str().expect("ascii").to_owned());
    let set_cookie = headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .collect();
    let body = response.text().await.expect("body");
    Answer {
        status,
        location,
        set_cookie,
        body,
    }
}
