//! The app served over real TCP, and a browser for it: reqwest with a
//! cookie jar of its own, redirects not followed, and helpers that read
//! the CSRF token from a page as a browser's form would send it.

use std::{net::SocketAddr, sync::Arc};

use reqwest::{StatusCode, Url, cookie::CookieStore as _, header, redirect::Policy};
use sesh::MemoryStore;
use tokio::net::TcpListener;

use crate::app;

/// Serves the web app over a fresh memory store on an ephemeral port.
pub(crate) async fn serve() -> SocketAddr {
    let users = tokio::task::spawn_blocking(app::Users::demo)
        .await
        .expect("hashing task")
        .expect("demo users");
    let router = app::router(MemoryStore::new(), users).expect("templates compile");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    addr
}

/// What a test looks at in a response.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    /// The `Set-Cookie` of the session cookie, if one came.
    pub(crate) set_cookie: Option<String>,
    pub(crate) body: String,
}

impl Answer {
    /// `"303 /path"`, or `"403"` without a location: short to compare.
    pub(crate) fn short(&self) -> String {
        match &self.location {
            Some(to) => format!("{} {to}", self.status.as_u16()),
            None => self.status.as_u16().to_string(),
        }
    }
}

/// One device: a cookie jar of its own and a user agent naming it.
#[derive(Clone)]
pub(crate) struct Browser {
    http: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    base: Url,
}

impl Browser {
    /// A browser that calls itself `agent`. The app's cookie is `Secure`:
    /// served over plain HTTP, the base is `localhost`, which browsers (and
    /// reqwest's jar) count as a secure origin.
    pub(crate) fn new(addr: SocketAddr, agent: &str) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(Arc::clone(&jar))
            .redirect(Policy::none())
            .user_agent(agent)
            .build()
            .expect("client");
        let base = format!("http://localhost:{}/", addr.port())
            .parse()
            .expect("base URL");
        Self { http, jar, base }
    }

    fn url(&self, path: &str) -> Url {
        self.base.join(path).expect("a path")
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        answer(self.http.get(self.url(path)).send().await.expect("GET")).await
    }

    /// `POST path` with exactly `form` (add the token yourself).
    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let sent = self.http.post(self.url(path)).form(form).send();
        answer(sent.await.expect("POST")).await
    }

    /// `POST path` with `form` and a token taken from `page`, as a form on
    /// that page would send it.
    pub(crate) async fn submit(&self, page: &str, path: &str, form: &[(&str, &str)]) -> Answer {
        let token = self.token(page).await;
        let mut form = form.to_vec();
        form.push(("csrf_token", &token));
        self.post(path, &form).await
    }

    /// `POST path` as a script would: the token in the `x-csrf-token`
    /// header, JSON asked for.
    pub(crate) async fn fetch_post(&self, path: &str, token: &str, form: &[(&str, &str)]) -> Answer {
        let sent = self
            .http
            .post(self.url(path))
            .header("x-csrf-token", token)
            .header(header::ACCEPT, "application/json")
            .form(form)
            .send();
        answer(sent.await.expect("POST")).await
    }

    /// The CSRF token of the first form on `page`.
    pub(crate) async fn token(&self, page: &str) -> String {
        let page = self.get(page).await;
        field(&page.body, r#"name="csrf_token" value=""#)
            .unwrap_or_else(|| panic!("no CSRF field on the page: {}", page.body))
    }

    /// The token of the `csrf-token` meta tag of `page`, for scripts.
    pub(crate) async fn meta_token(&self, page: &str) -> String {
        let page = self.get(page).await;
        field(&page.body, r#"<meta name="csrf-token" content=""#).expect("a csrf-token meta tag")
    }

    /// Signs in through the login page's form; `extra` adds `remember` or
    /// `next`.
    pub(crate) async fn login(&self, user: &str, password: &str, extra: &[(&str, &str)]) -> Answer {
        let mut form = vec![("username", user), ("password", password)];
        form.extend_from_slice(extra);
        self.submit("/login", "/login", &form).await
    }

    /// The session cookie's value in the jar, if any.
    pub(crate) fn session_cookie(&self) -> Option<String> {
        let header = self.jar.cookies(&self.base)?;
        let header = header.to_str().expect("ascii").to_owned();
        header
            .split("; ")
            .find_map(|pair| pair.strip_prefix("session="))
            .map(str::to_owned)
    }
}

/// The text after `prefix` in `html`, up to the next `"`.
pub(crate) fn field(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(prefix)? + prefix.len();
    let len = html[start..].find('"')?;
    Some(html[start..start + len].to_owned())
}

async fn answer(response: reqwest::Response) -> Answer {
    let header = |name| {
        response
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let location = header(header::LOCATION).pop();
    let set_cookie = header(header::SET_COOKIE)
        .into_iter()
        .find(|c| c.starts_with("session="));
    Answer {
        status: response.status(),
        location,
        set_cookie,
        body: response.text().await.expect("body"),
    }
}
