//! Signing in and out, and changing the password.
//!
//! - `GET /login`, `POST /login`: the form, then a 303 to `/` (or to a
//!   `next` on this site) with "Welcome, NAME", or back to `/login` with
//!   "Wrong user name or password".
//! - `POST /logout`: ends this session.
//! - `GET /password`, `POST /password`: a new password ends every other
//!   session of the user; this one goes on under a new ID.

use std::time::Duration;

use axum::{
    Form,
    extract::Query,
    http::{HeaderMap, header},
    response::{Redirect, Response},
};
use serde::{Deserialize, Serialize};
use sesh::flash::Flash;
use sesh_auth::{AuthSession, CurrentUser, safe_next};

use super::{
    error::AppError,
    pages::Page,
    users::{Credentials, Users},
};

type Auth = AuthSession<Users>;

/// The data key each session keeps its browser's user agent under, for
/// the devices page.
pub(crate) const USER_AGENT_KEY: &str = "user_agent";

/// A session without "remember me" ends after this long without a request;
/// a remembered one lasts as long as the layer allows.
const UNREMEMBERED_IDLE: Duration = Duration::from_secs(2 * 60 * 60);

/// The shortest new password taken.
const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

#[derive(Serialize)]
struct LoginPage<'a> {
    /// Only a `next` that `safe_next` lets through reaches the form.
    next: Option<&'a str>,
}

pub(crate) async fn login_page(page: Page, Query(q): Query<NextQuery>) -> Result<Response, AppError> {
    let next = q.next.as_deref().and_then(safe_next);
    page.render("login.html", "Sign in", LoginPage { next })
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    /// The checkbox: present (`on`) when ticked.
    remember: Option<String>,
    /// Where to go afterwards: the form's hidden field (or the query).
    next: Option<String>,
}

pub(crate) async fn login(
    auth: Auth,
    flash: Flash,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
    Form(form): Form<LoginForm>,
) -> Result<Redirect, AppError> {
    let next = form.next.or(q.next);
    let next = next.as_deref().and_then(safe_next);
    let creds = Credentials {
        username: form.username,
        password: form.password,
    };
    let Some(user) = auth.authenticate(creds).await? else {
        flash.error("Wrong user name or password")?;
        return Ok(Redirect::to(&login_url(next)));
    };
    // A new session ID, bound to the user, with the user's auth hash.
    auth.login(&user).await?;
    let session = auth.session();
    session.set_persistent(form.remember.is_some());
    // The layer's idle timeout again when remembered: this session may
    // have had the short one from an earlier sign-in without the box.
    let idle = if form.remember.is_some() {
        super::IDLE_TIMEOUT
    } else {
        UNREMEMBERED_IDLE
    };
    session.set_idle_timeout(idle)?;
    session.insert(USER_AGENT_KEY, user_agent(&headers))?;
    flash.success(format!("Welcome, {}", user.name))?;
    Ok(Redirect::to(next.unwrap_or("/")))
}

/// The browser's own description, cut short: enough to tell devices apart.
fn user_agent(headers: &HeaderMap) -> String {
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    agent.unwrap_or("unknown browser").chars().take(200).collect()
}

/// `/login`, keeping a safe `next` for the next try.
fn login_url(next: Option<&str>) -> String {
    let Some(next) = next else {
        return "/login".to_owned();
    };
    let mut url = String::from("/login?next=");
    for b in next.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

pub(crate) async fn logout(auth: Auth, flash: Flash) -> Result<Redirect, AppError> {
    auth.logout().await?;
    // In a fresh visitor's session: the signed-in one is gone.
    flash.info("You are signed out.")?;
    Ok(Redirect::to("/"))
}

pub(crate) async fn password_page(page: Page) -> Result<Response, AppError> {
    page.render("password.html", "Change password", ())
}

#[derive(Deserialize)]
pub(crate) struct PasswordForm {
    current: String,
    new: String,
}

pub(crate) async fn change_password(
    auth: Auth,
    CurrentUser(user): CurrentUser<Users>,
    flash: Flash,
    Form(form): Form<PasswordForm>,
) -> Result<Redirect, AppError> {
    let users = auth.backend();
    if !users.check_password(&user.name, &form.current).await? {
        flash.error("That is not your current password.")?;
        return Ok(Redirect::to("/password"));
    }
    if form.new.chars().count() < MIN_PASSWORD_CHARS {
        flash.error(format!(
            "Choose a new password of at least {MIN_PASSWORD_CHARS} characters."
        ))?;
        return Ok(Redirect::to("/password"));
    }
    let Some(updated) = users.set_password(&user.name, &form.new).await? else {
        auth.logout().await?;
        return Ok(Redirect::to("/"));
    };
    // The others would end on their next request anyway (their auth hash
    // is stale now); ending them here empties the devices list at once.
    let ended = auth.session().end_other_sessions().await?;
    // This session: a new ID and the new auth hash.
    auth.login(&updated).await?;
    flash.success(format!(
        "Password changed. {ended} other session{} signed out.",
        if ended == 1 { " was" } else { "s were" }
    ))?;
    Ok(Redirect::to("/devices"))
}
