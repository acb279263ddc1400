//! A browser over real TCP: its own cookie jar, redirects not followed.

use std::{net::SocketAddr, sync::Arc};

use axum::http::StatusCode;
use reqwest::{Url, cookie::CookieStore as _, redirect::Policy};

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
