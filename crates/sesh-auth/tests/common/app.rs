//! The app the tests serve: login, logout, the current user, a password
//! change, and guarded routes.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Form, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use sesh::{MemoryStore, SessionLayer};
use sesh_auth::{AuthLayer, AuthSession, CurrentUser, RequireLoginLayer, RequirePermissionLayer, safe_next};

use super::backend::{Backend, Credentials, Permission};

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
    app_with(backend, SessionLayer::new(store).secure(false))
}

/// The whole app, over `backend` and the session layer `sessions`.
pub fn app_with(backend: Arc<Backend>, sessions: SessionLayer) -> Router {
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
        .layer(sessions)
}
