//! `GET /cart` and `POST /cart/add` (field `item`): a count per item, kept
//! in the session; a visitor's cart survives signing in.
//!
//! The counts change with `Session::update`, whose closure runs again on
//! the stored value when the store applies it: twenty parallel adds from
//! one browser end at twenty, on every store.

use std::collections::BTreeMap;

use axum::{
    Form, Json,
    http::{HeaderMap, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::{Deserialize, Serialize};
use sesh::{Session, flash::Flash};

use super::{error::AppError, pages::Page};

/// The data key of the cart: item name to count.
const CART_KEY: &str = "cart";

/// The longest item name taken, in characters.
const MAX_ITEM_CHARS: usize = 40;

/// How many different items a cart holds; adding a new one past it is
/// refused (a cart must not grow the session without bound).
const MAX_ITEMS: usize = 50;

type Cart = BTreeMap<String, u32>;

#[derive(Serialize)]
struct Line<'a> {
    item: &'a str,
    count: u32,
}

#[derive(Serialize)]
struct CartPage<'a> {
    lines: Vec<Line<'a>>,
    total: u64,
}

pub(crate) async fn page(page: Page, session: Session) -> Result<Response, AppError> {
    let cart: Cart = session.get(CART_KEY)?.unwrap_or_default();
    let lines: Vec<Line<'_>> = cart.iter().map(|(item, &count)| Line { item, count }).collect();
    let total = cart.values().map(|&n| u64::from(n)).sum();
    page.render("cart.html", "Cart", CartPage { lines, total })
}

#[derive(Deserialize)]
pub(crate) struct AddForm {
    item: String,
}

/// What a script asking for JSON gets back.
#[derive(Serialize)]
struct Added {
    item: String,
    /// The count as this request saw it; parallel requests each add theirs.
    count: u32,
}

pub(crate) async fn add(
    session: Session,
    flash: Flash,
    headers: HeaderMap,
    Form(form): Form<AddForm>,
) -> Result<Response, AppError> {
    let item = form.item.trim().to_owned();
    if item.is_empty() || item.chars().count() > MAX_ITEM_CHARS {
        flash.error(format!("Name an item of 1 to {MAX_ITEM_CHARS} characters."))?;
        return Ok(Redirect::to("/cart").into_response());
    }
    let added = item.clone();
    let cart = session.update(CART_KEY, move |old: Option<Cart>| {
        let mut cart = old.unwrap_or_default();
        if cart.len() < MAX_ITEMS || cart.contains_key(&added) {
            let count = cart.entry(added.clone()).or_insert(0);
            *count = count.saturating_add(1);
        }
        cart
    })?;
    let count = cart.get(&item).copied().unwrap_or(0);
    if wants_json(&headers) {
        return Ok(Json(Added { item, count }).into_response());
    }
    if count == 0 {
        flash.error(format!("A cart holds at most {MAX_ITEMS} different items."))?;
    }
    Ok(Redirect::to("/cart").into_response())
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}
