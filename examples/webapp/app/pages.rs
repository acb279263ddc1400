//! The HTML: the templates, and what every page shows (who is signed in,
//! the flash messages waiting, the CSRF token for its forms).
//!
//! Templates are minijinja's, named `*.html` so that every `{{ value }}` is
//! HTML-escaped: user names, cart items and user agents are the users' own
//! text. (`csrf_token()` is base64url: nothing to escape.)

use std::sync::OnceLock;

use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::request::Parts,
    response::{Html, IntoResponse, Response},
};
use minijinja::{
    Environment, ErrorKind, context,
    value::{Serde, Value},
};
use serde::Serialize;
use sesh::{Session, csrf, flash::Flash};
use sesh_auth::CurrentUser;

use super::{
    error::AppError,
    users::{User, Users},
};

/// Every template, compiled once.
static TEMPLATES: OnceLock<Environment<'static>> = OnceLock::new();

/// The templates, compiled on the first call: `router` makes it, so a
/// broken template stops the app at startup rather than failing its page.
pub(crate) fn templates() -> Result<&'static Environment<'static>, minijinja::Error> {
    if let Some(env) = TEMPLATES.get() {
        return Ok(env);
    }
    let mut env = Environment::new();
    env.add_template("layout.html", include_str!("../templates/layout.html"))?;
    env.add_template("home.html", include_str!("../templates/home.html"))?;
    env.add_template("login.html", include_str!("../templates/login.html"))?;
    env.add_template("cart.html", include_str!("../templates/cart.html"))?;
    env.add_template("devices.html", include_str!("../templates/devices.html"))?;
    env.add_template("password.html", include_str!("../templates/password.html"))?;
    Ok(TEMPLATES.get_or_init(|| env))
}

/// What every page needs, as an extractor: the current user (if any), and
/// the session, for its flash messages and CSRF tokens.
pub(crate) struct Page {
    user: Option<User>,
    flash: Flash,
    session: Session,
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        // A session whose password changed elsewhere ends here: the page
        // is a visitor's.
        let user = <CurrentUser<Users> as OptionalFromRequestParts<S>>::from_request_parts(parts, state)
            .await?
            .map(|CurrentUser(user)| user);
        let flash = Flash::from_request_parts(parts, state).await?;
        let session = Session::from_request_parts(parts, state).await?;
        Ok(Self { user, flash, session })
    }
}

/// The template context: the layout's part, and the page's own under `page`.
#[derive(Serialize)]
struct Context<'a, T> {
    title: &'a str,
    user: Option<&'a str>,
    flashes: Vec<sesh::flash::Message>,
    page: T,
}

impl Page {
    /// Renders `template` with the page's own values; the flash messages
    /// shown are removed from the session (each is shown once).
    ///
    /// Templates call `csrf_token()` for each form: the token is made only
    /// for pages that have one, so a visitor's page without a form starts
    /// no session (and costs no store write).
    pub(crate) fn render<T: Serialize>(
        &self,
        template: &str,
        title: &str,
        page: T,
    ) -> Result<Response, AppError> {
        let context = Context {
            title,
            user: self.user.as_ref().map(|u| u.name.as_str()),
            flashes: self.flash.take()?,
            page,
        };
        let session = self.session.clone();
        let csrf_token = Value::from_function(move || {
            csrf::token(&session)
                .map_err(|e| minijinja::Error::new(ErrorKind::InvalidOperation, e.to_string()))
        });
        let context = context! { csrf_token, ..Value::from(Serde(&context)) };
        let html = templates()?.get_template(template)?.render(context)?;
        Ok(Html(html).into_response())
    }
}
