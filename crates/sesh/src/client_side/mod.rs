//! Client-side sessions: the whole state lives in a private (encrypted)
//! cookie and the server keeps nothing. Here: the cookie's contents, the
//! budget they must fit, and the stand-in store; the cookie a response
//! sends is made by the response (`response/client_side.rs`).
//!
//! What that buys and costs: no store, no I/O; but the state is capped by
//! the 4096-byte cookie, and a copy of the cookie keeps working until the
//! deadlines sealed inside it pass, even after `destroy` or `cycle_id`,
//! because there is no server record to delete.

pub(crate) mod payload;

use std::time::SystemTime;

use async_trait::async_trait;
use sesh_core::{Created, Error, ErrorKind, Expiry, Record, Saved, SessionStore, StoreKey};

use crate::config::{Config, CookieConfig};

/// Stands for the ID when sizing a payload: every ID encodes to this length.
const PLACEHOLDER_ID: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The "store" of a client-side layer. The layer never calls it for
/// sessions; anything else that needs a server store (a per-user index,
/// say) gets a clear error instead of silently working on nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoStore;

fn no_store() -> Error {
    Error::msg(
        ErrorKind::Config,
        "client-side sessions have no server store; this operation needs \
         SessionLayer::new(store)",
    )
}

#[async_trait]
impl SessionStore for NoStore {
    async fn load(&self, _: &StoreKey) -> Result<Option<Record>, Error> {
        Err(no_store())
    }
    async fn create(&self, _: &StoreKey, _: &Record) -> Result<Created, Error> {
        Err(no_store())
    }
    async fn save(&self, _: &StoreKey, _: &Record, _: u64) -> Result<Saved, Error> {
        Err(no_store())
    }
    async fn touch(&self, _: &StoreKey, _: SystemTime) -> Result<(), Error> {
        Err(no_store())
    }
    async fn delete(&self, _: &StoreKey) -> Result<(), Error> {
        Err(no_store())
    }
}

/// Refuses a state that would no longer fit in the cookie, so the handler
/// that made it too big sees the error. A no-op for store-backed layers.
///
/// # Errors
/// [`ErrorKind::CookieTooLarge`] past the budget.
pub(crate) fn check_fits(config: &Config, record: &Record) -> Result<(), Error> {
    let cookie = &config.cookie;
    if !cookie.client_side {
        return Ok(());
    }
    let plain = payload::encode(PLACEHOLDER_ID, record)?;
    cookie.check_size(cookie.sealing.sealed_len(plain.len()))
}

/// The length of the cookie value of an empty session.
pub(crate) fn smallest_cookie_value(config: &CookieConfig) -> usize {
    let empty = Record::new(SystemTime::now(), &Expiry::new());
    let plain = payload::encode(PLACEHOLDER_ID, &empty).map_or(0, |p| p.len());
    config.sealing.sealed_len(plain)
}

#[cfg(test)]
mod tests {
    use sesh_core::SessionId;

    use super::*;

    #[test]
    fn placeholder_is_as_long_as_an_id() {
        assert_eq!(PLACEHOLDER_ID.len(), SessionId::ENCODED_LEN);
    }
}
