//! Flash messages across a redirect and a parallel request, and CSRF
//! tokens checked on unsafe requests, over real TCP with a cookie-keeping
//! client.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Form, Router,
    extract::State,
    response::{Html, Redirect},
    routing::{get, post},
};
use reqwest::StatusCode;
use serde::Deserialize;
use sesh::{
    MemoryStore, Session, SessionLayer,
    csrf::{CsrfLayer, CsrfToken},
    flash::Flash,
};
use tokio::{net::TcpListener, sync::Notify};

#[derive(Deserialize)]
struct Note {
    text: String,
}

async fn home(flash: Flash, token: CsrfToken) -> Result<Html<String>, sesh::Error> {
    let notes: Vec<String> = flash.take()?.into_iter().map(|m| m.text).collect();
    Ok(Html(format!(
        "notes: [{}] token: {}",
        notes.join("|"),
        token.as_str()
    )))
}

async fn note(flash: Flash, Form(note): Form<Note>) -> Result<Redirect, sesh::Error> {
    flash.success(format!("saved {}", note.text))?;
    Ok(Redirect::to("/"))
}

type Gates = (Arc<Notify>, Arc<Notify>);

/// Reads (and so removes) the messages it sees, but only after the test
/// let another request add one meanwhile.
async fn slow_read(State((seen, go)): State<Gates>, flash: Flash) -> Result<String, sesh::Error> {
    let before = flash.peek()?.len();
    seen.notify_one();
    go.notified().await;
    let taken = flash.take()?.len();
    Ok(format!("{before} {taken}"))
}

async fn serve() -> (SocketAddr, Gates) {
    let gates: Gates = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let app = Router::new()
        .route("/", get(home))
        .route("/note", post(note))
        .route("/slow-read", get(slow_read))
        .route("/login", post(|s: Session| async move { s.login("ada").await }))
        .route("/json", post(|body: String| async move { format!("got {body}") }))
        .layer(CsrfLayer::new())
        .layer(SessionLayer::new(MemoryStore::new()).secure(false))
        .with_state(gates.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (addr, gates)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The page's notes and token.
async fn page(client: &reqwest::Client, base: &str) -> (String, String) {
    let body = client
        .get(format!("{base}/"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    let (notes, token) = body.split_once(" token: ").expect("a page");
    (notes.to_owned(), token.to_owned())
}

/// Posts a note form, with the token in its field when one is given.
async fn post_note(
    client: &reqwest::Client,
    base: &str,
    text: &str,
    token: Option<&str>,
) -> reqwest::Response {
    let mut fields = vec![("text", text)];
    fields.extend(token.map(|token| ("csrf_token", token)));
    let sent = client.post(format!("{base}/note")).form(&fields).send();
    sent.await.expect("post a note")
}

#[tokio::test]
async fn a_flash_message_survives_one_redirect_and_is_shown_once() {
    let (addr, _) = serve().await;
    let base = format!("http://{addr}");
    let client = client();
    let (_, token) = page(&client, &base).await;
    let saved = post_note(&client, &base, "hello", Some(&token)).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(page(&client, &base).await.0, "notes: [saved hello]");
    assert_eq!(page(&client, &base).await.0, "notes: []", "gone once read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_set_during_a_parallel_read_survives_it() {
    let (addr, (seen, go)) = serve().await;
    let base = format!("http://{addr}");
    let client = client();
    let (_, token) = page(&client, &base).await;
    let reader = tokio::spawn({
        let (client, base) = (client.clone(), base.clone());
        async move {
            client
                .get(format!("{base}/slow-read"))
                .send()
                .await
                .expect("read")
                .text()
                .await
                .expect("body")
        }
    });
    seen.notified().await;
    let added = post_note(&client, &base, "meanwhile", Some(&token)).await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    go.notify_one();
    assert_eq!(reader.await.expect("task"), "0 0", "the reader saw none");
    assert_eq!(
        page(&client, &base).await.0,
        "notes: [saved meanwhile]",
        "and did not take it"
    );
}

#[tokio::test]
async fn unsafe_requests_need_the_sessions_token() {
    let (addr, _) = serve().await;
    let base = format!("http://{addr}");
    let client = client();
    let (_, token) = page(&client, &base).await;

    let missing = post_note(&client, &base, "x", None).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert!(
        missing.text().await.expect("body").contains("csrf_token"),
        "names the fix"
    );

    let forged = post_note(&client, &base, "x", Some("AAAA")).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // Another session's token is no good here.
    let other = self::client();
    let (_, theirs) = page(&other, &base).await;
    let crossed = post_note(&client, &base, "x", Some(&theirs)).await;
    assert_eq!(crossed.status(), StatusCode::FORBIDDEN);

    // From a script: the header, with any body the handler then reads whole.
    let fetched = client
        .post(format!("{base}/json"))
        .header("x-csrf-token", &token)
        .body(r#"{"a":1}"#)
        .send()
        .await
        .expect("post");
    assert_eq!(fetched.text().await.expect("body"), r#"got {"a":1}"#);
}

#[tokio::test]
async fn the_token_rotates_at_login() {
    let (addr, _) = serve().await;
    let base = format!("http://{addr}");
    let client = client();
    let (_, before) = page(&client, &base).await;
    let login = client
        .post(format!("{base}/login"))
        .header("x-csrf-token", &before)
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), StatusCode::OK);
    let stale = post_note(&client, &base, "x", Some(&before)).await;
    assert_eq!(stale.status(), StatusCode::FORBIDDEN, "a token from before login");
    let (_, after) = page(&client, &base).await;
    let fresh = post_note(&client, &base, "x", Some(&after)).await;
    assert_eq!(fresh.status(), StatusCode::SEE_OTHER);
}
