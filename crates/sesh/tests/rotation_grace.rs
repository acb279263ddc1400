//! A page fires ten requests while one of them logs in (and so rotates the
//! session ID): with a rotation grace window none of the others sees a
//! logged-out session, and after the window the old ID is dead. Without
//! one, they do: the test of the window's point.

use std::{net::SocketAddr, time::Duration};

use axum::{
    Router,
    extract::Request,
    routing::{get, post},
};
use futures_util::future::join_all;
use sesh::{MemoryStore, Session, SessionLayer};
use tokio::net::TcpListener;

const GRACE: Duration = Duration::from_millis(800);

/// Reads the cart, but loads the session only after a pause, so the
/// login's rotation has been stored by then.
async fn cart(req: Request) -> Result<String, sesh::Error> {
    let session = req.extensions().get::<Session>().cloned().expect("the layer");
    tokio::time::sleep(Duration::from_millis(150)).await;
    session.load().await?;
    Ok(session
        .get::<String>("cart")?
        .unwrap_or_else(|| "logged out".to_owned()))
}

async fn serve(layer: SessionLayer) -> SocketAddr {
    let app = Router::new()
        .route(
            "/fill",
            post(|s: Session| async move { s.insert("cart", "3 books") }),
        )
        .route("/login", post(|s: Session| async move { s.login("ada").await }))
        .route("/logout", post(|s: Session| async move { s.destroy() }))
        .route("/cart", get(cart))
        .layer(layer.secure(false));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

/// `name=value` of a response's session cookie, if it set one.
fn session_cookie(res: &reqwest::Response) -> Option<String> {
    let set = res.headers().get("set-cookie")?.to_str().ok()?;
    set.split(';').next().map(str::to_owned)
}

/// Logs in while nine cart reads with the old cookie are in flight; the
/// carts they saw, the new cookie, and the cookies they were sent.
async fn page_with_login(base: &str) -> (String, Vec<String>, String, Vec<Option<String>>) {
    let client = reqwest::Client::new();
    let filled = client.post(format!("{base}/fill")).send().await.expect("fill");
    let old = session_cookie(&filled).expect("a session");
    let reads = (0..9).map(|_| client.get(format!("{base}/cart")).header("cookie", &old).send());
    let login = client.post(format!("{base}/login")).header("cookie", &old).send();
    let (login, reads) = tokio::join!(login, join_all(reads));
    let new = session_cookie(&login.expect("login")).expect("login rotates the ID");
    assert_ne!(new, old);
    let mut carts = Vec::new();
    let mut sent = Vec::new();
    for read in reads {
        let read = read.expect("read");
        sent.push(session_cookie(&read));
        carts.push(read.text().await.expect("body"));
    }
    (old, carts, new, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_grace_window_no_request_of_the_page_sees_a_logout() {
    let base = format!(
        "http://{}",
        serve(SessionLayer::new(MemoryStore::new()).rotation_grace(GRACE)).await
    );
    let (old, carts, new, sent) = page_with_login(&base).await;
    assert!(carts.iter().all(|c| c == "3 books"), "{carts:?}");
    // Each of them was moved to the new ID.
    assert!(
        sent.iter().all(|c| c.as_deref() == Some(new.as_str())),
        "{sent:?}"
    );
    // The new cookie works; after the window, the old one is dead.
    let client = reqwest::Client::new();
    let with_new = client
        .get(format!("{base}/cart"))
        .header("cookie", &new)
        .send()
        .await
        .expect("read");
    assert_eq!(with_new.text().await.expect("body"), "3 books");
    tokio::time::sleep(GRACE + Duration::from_millis(200)).await;
    let with_old = client
        .get(format!("{base}/cart"))
        .header("cookie", &old)
        .send()
        .await
        .expect("read");
    assert_eq!(with_old.text().await.expect("body"), "logged out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_one_the_page_sees_logged_out_answers() {
    let base = format!("http://{}", serve(SessionLayer::new(MemoryStore::new())).await);
    let (_, carts, _, _) = page_with_login(&base).await;
    assert!(carts.iter().all(|c| c == "logged out"), "{carts:?}");
}

#[tokio::test]
async fn the_new_id_never_leads_back_and_logout_has_no_grace() {
    let base = format!(
        "http://{}",
        serve(SessionLayer::new(MemoryStore::new()).rotation_grace(GRACE)).await
    );
    let client = reqwest::Client::new();
    let filled = client.post(format!("{base}/fill")).send().await.expect("fill");
    let old = session_cookie(&filled).expect("a session");
    let login = client
        .post(format!("{base}/login"))
        .header("cookie", &old)
        .send()
        .await
        .expect("login");
    let new = session_cookie(&login).expect("rotated");
    // The old ID leads forward...
    let read = client
        .get(format!("{base}/cart"))
        .header("cookie", &old)
        .send()
        .await
        .expect("read");
    assert_eq!(read.text().await.expect("body"), "3 books");
    // ...but nothing leads from the new ID to the old record, which is gone.
    let read = client
        .get(format!("{base}/cart"))
        .header("cookie", &new)
        .send()
        .await
        .expect("read");
    assert!(
        session_cookie(&read).is_none(),
        "the new ID is not re-issued or moved"
    );
    // Logging out ends the session for both IDs at once, window or not.
    client
        .post(format!("{base}/logout"))
        .header("cookie", &new)
        .send()
        .await
        .expect("logout");
    for cookie in [&old, &new] {
        let read = client
            .get(format!("{base}/cart"))
            .header("cookie", cookie)
            .send()
            .await
            .expect("read");
        assert_eq!(read.text().await.expect("body"), "logged out");
    }
    // A destroy without a rotation leaves no forward at all.
    let filled = client.post(format!("{base}/fill")).send().await.expect("fill");
    let other = session_cookie(&filled).expect("a session");
    client
        .post(format!("{base}/logout"))
        .header("cookie", &other)
        .send()
        .await
        .expect("logout");
    let read = client
        .get(format!("{base}/cart"))
        .header("cookie", &other)
        .send()
        .await
        .expect("read");
    assert_eq!(read.text().await.expect("body"), "logged out");
}

#[test]
fn a_grace_window_is_short_and_needs_a_store() {
    for layer in [
        SessionLayer::new(MemoryStore::new()).rotation_grace(Duration::ZERO),
        SessionLayer::new(MemoryStore::new()).rotation_grace(Duration::from_secs(61)),
        SessionLayer::client_side(sesh::Key::generate()).rotation_grace(Duration::from_secs(5)),
    ] {
        let error = layer.validated().expect_err("refused");
        assert!(error.to_string().contains("rotation_grace"), "{error}");
    }
}
