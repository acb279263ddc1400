//! The value that carries the session back: a `Set-Cookie`, or under the
//! header transport the header's bare value.

use std::time::{Duration, SystemTime};

use cookie::Cookie;
use http::HeaderValue;
use sesh_core::{Error, ErrorKind, SessionId};

use crate::{config::CookieConfig, transport::Transport};

/// Browsers cap cookie lifetimes at 400 days (RFC 6265bis); longer is a lie.
pub(crate) const MAX_AGE_CAP: Duration = Duration::from_secs(400 * 24 * 60 * 60);

/// What to send for a session stored under `id`, sealed as configured;
/// persistent cookies live `max_age` (capped at 400 days), others until
/// the browser closes.
pub(crate) fn for_id(config: &CookieConfig, id: &SessionId, max_age: Option<Duration>) -> HeaderValue {
    let mut buf = [0; SessionId::ENCODED_LEN];
    sealed(config, id.encode_into(&mut buf), max_age)
        .expect("an ID cookie's size and attributes are validated when the layer is built")
}

/// `plain` sealed for the cookie and ready to send: a `Set-Cookie` value,
/// or the bare value under the header transport.
///
/// # Errors
/// [`ErrorKind::CookieTooLarge`] if name and value exceed 4096 bytes,
/// which browsers would drop without a word.
pub(crate) fn sealed(
    config: &CookieConfig,
    plain: &str,
    max_age: Option<Duration>,
) -> Result<HeaderValue, Error> {
    let value = config.sealing.seal(&config.name, plain);
    config.check_size(value.len())?;
    let text = match config.transport {
        Transport::Header(_) => value.into_owned(),
        Transport::Cookie => render(config, &value, max_age),
    };
    HeaderValue::try_from(text).map_err(|e| Error::new(ErrorKind::Config, e))
}

/// The `Set-Cookie` value for `value`.
fn render(config: &CookieConfig, value: &str, max_age: Option<Duration>) -> String {
    let mut cookie = with_attributes(config, value.to_owned());
    if let Some(max_age) = max_age {
        let secs = max_age.min(MAX_AGE_CAP).as_secs();
        // At most 400 days: always fits.
        cookie.set_max_age(cookie::time::Duration::seconds(
            i64::try_from(secs).unwrap_or(i64::MAX),
        ));
    }
    cookie.to_string()
}

/// What makes the client drop the session: a removal `Set-Cookie`, or an
/// empty header value.
pub(crate) fn removal(config: &CookieConfig) -> HeaderValue {
    if let Transport::Header(_) = config.transport {
        return Transport::ended();
    }
    let mut cookie = with_attributes(config, String::new());
    cookie.make_removal();
    HeaderValue::try_from(cookie.to_string())
        .expect("cookie names and attributes are validated when the layer is built")
}

/// The time left until `deadline`, as a cookie's `Max-Age`.
pub(crate) fn until(deadline: SystemTime, now: SystemTime) -> Duration {
    deadline.duration_since(now).unwrap_or_default()
}

/// The session cookie holding `value`, with the configured attributes.
fn with_attributes(config: &CookieConfig, value: String) -> Cookie<'static> {
    let mut cookie = Cookie::new(config.name.clone(), value);
    cookie.set_http_only(config.http_only);
    cookie.set_secure(config.secure);
    cookie.set_same_site(config.same_site);
    cookie.set_path(config.path.clone());
    if let Some(domain) = &config.domain {
        cookie.set_domain(domain.clone());
    }
    cookie
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_secure_and_max_age_capped() {
        let config = CookieConfig::default();
        let id = SessionId::generate();
        let v = for_id(&config, &id, None);
        let s = v.to_str().expect("ascii");
        for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(s.contains(attr), "{s} lacks {attr}");
        }
        assert!(!s.contains("Max-Age") && !s.contains("Domain"), "{s}");
        let long = for_id(&config, &id, Some(Duration::from_secs(10_000 * 86_400)));
        assert!(
            long.to_str().expect("ascii").contains("Max-Age=34560000"),
            "{long:?}"
        );
    }

    #[test]
    fn removal_expires_now() {
        let v = removal(&CookieConfig::default());
        let s = v.to_str().expect("ascii");
        assert!(s.starts_with("session=;") && s.contains("Max-Age=0"), "{s}");
    }
}
