//! `GET /`: who is signed in, and the messages waiting.

use axum::response::Response;

use super::{error::AppError, pages::Page};

pub(crate) async fn page(page: Page) -> Result<Response, AppError> {
    page.render("home.html", "Home", ())
}
