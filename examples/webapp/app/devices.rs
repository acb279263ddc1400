//! `GET /devices`: the signed-in user's sessions, this one marked;
//! `POST /devices/revoke` (field `key`) ends one of them,
//! `POST /logout-others` all but this one.
//!
//! Sessions are named by their store key, a hash of the session ID: it
//! can be shown and sent back, but it is no use as a cookie.

use std::time::{Duration, SystemTime};

use axum::{
    Form,
    response::{Redirect, Response},
};
use serde::{Deserialize, Serialize};
use sesh::{Session, StoreKey, flash::Flash};

use super::{auth::USER_AGENT_KEY, error::AppError, pages::Page};

#[derive(Serialize)]
struct Device {
    key: String,
    user_agent: String,
    last_active: String,
    current: bool,
}

#[derive(Serialize)]
struct DevicesPage {
    devices: Vec<Device>,
}

pub(crate) async fn page(page: Page, session: Session) -> Result<Response, AppError> {
    let current = session.current_key();
    let now = SystemTime::now();
    let devices = session
        .user_sessions()
        .await?
        .into_iter()
        .map(|s| Device {
            key: s.key.to_hex(),
            user_agent: s
                .record
                .data
                .get(USER_AGENT_KEY)
                .and_then(|v| v.as_str())
                .unwrap_or("unknown browser")
                .to_owned(),
            last_active: ago(now.duration_since(s.record.last_active).unwrap_or_default()),
            current: Some(s.key) == current,
        })
        .collect();
    page.render("devices.html", "Your devices", DevicesPage { devices })
}

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago".
fn ago(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    let (n, unit) = match secs {
        0..60 => return "just now".to_owned(),
        60..3600 => (secs / 60, "minute"),
        3600..86_400 => (secs / 3600, "hour"),
        _ => (secs / 86_400, "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

#[derive(Deserialize)]
pub(crate) struct RevokeForm {
    key: String,
}

pub(crate) async fn revoke(
    session: Session,
    flash: Flash,
    Form(form): Form<RevokeForm>,
) -> Result<Redirect, AppError> {
    // Only a session of this user ends: `end_session` checks the key
    // against the user's own list.
    let ended = match StoreKey::from_hex(&form.key) {
        Some(key) => session.end_session(&key).await?,
        None => false,
    };
    if ended {
        flash.success("That device is signed out.")?;
    } else {
        flash.error("No such session of yours.")?;
    }
    Ok(Redirect::to("/devices"))
}

pub(crate) async fn logout_others(session: Session, flash: Flash) -> Result<Redirect, AppError> {
    let ended = session.end_other_sessions().await?;
    flash.success(format!(
        "{ended} other session{} signed out.",
        if ended == 1 { " was" } else { "s were" }
    ))?;
    Ok(Redirect::to("/devices"))
}
