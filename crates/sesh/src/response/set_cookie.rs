//! The value that carries the session back: a `Set-Cookie`, or under the
//! header transport the header's bare value.

use std::time::{Duration, SystemTime};

use cookie::{Cookie, SameSite};
use http::HeaderValue;
use sesh_core::{Error, ErrorKind, SessionId};

use crate::{
    config::CookieConfig,
    transport::{Transport, Via},
};

/// Browsers cap cookie lifetimes at 400 days (RFC 6265bis); longer is a lie.
pub(crate) const MAX_AGE_CAP: Duration = Duration::from_secs(400 * 24 * 60 * 60);

/// What to send `via` the cookie or header for a session stored under
/// `id`, sealed as configured; persistent cookies live `max_age` (capped at
/// 400 days), others until the browser closes.
pub(crate) fn for_id(
    config: &CookieConfig,
    id: &SessionId,
    max_age: Option<Duration>,
    via: Via,
) -> HeaderValue {
    let mut buf = [0; SessionId::ENCODED_LEN];
    sealed(config, id.encode_into(&mut buf), max_age, via)
        .expect("an ID cookie's size and attributes are validated when the layer is built")
}

/// `plain` sealed and ready to send `via` the cookie (a `Set-Cookie`
/// value) or the header (the bare value).
///
/// # Errors
/// [`ErrorKind::CookieTooLarge`] if name and value exceed 4096 bytes,
/// which browsers would drop without a word.
pub(crate) fn sealed(
    config: &CookieConfig,
    plain: &str,
    max_age: Option<Duration>,
    via: Via,
) -> Result<HeaderValue, Error> {
    let value = config.sealing.seal(&config.name, plain);
    config.check_size(value.len())?;
    let text = match via {
        Via::Header => value.into_owned(),
        Via::Cookie => render(config, &value, max_age),
    };
    HeaderValue::try_from(text).map_err(|e| Error::new(ErrorKind::Config, e))
}

/// The `Set-Cookie` value for `value`, written straight into one buffer
/// in the `cookie` crate's order and spelling (a test holds the two
/// renderings equal). Building and formatting a `cookie::Cookie` instead
/// cost a new session enough server time to fail the simplicity rule's
/// 5 % (ARCHITECTURE.md, "Simplicity").
fn render(config: &CookieConfig, value: &str, max_age: Option<Duration>) -> String {
    let mut digits = itoa::Buffer::new();
    let max_age = max_age.map(|max_age| digits.format(max_age.min(MAX_AGE_CAP).as_secs()));
    let domain = config.domain.as_deref().map(|d| d.strip_prefix('.').unwrap_or(d));
    let parts: [&str; 13] = [
        &config.name,
        "=",
        value,
        if config.http_only { "; HttpOnly" } else { "" },
        match config.same_site {
            SameSite::Strict => "; SameSite=Strict",
            SameSite::Lax => "; SameSite=Lax",
            SameSite::None => "; SameSite=None",
        },
        if config.partitioned { "; Partitioned" } else { "" },
        if config.secure { "; Secure" } else { "" },
        "; Path=",
        &config.path,
        if domain.is_some() { "; Domain=" } else { "" },
        domain.unwrap_or_default(),
        if max_age.is_some() { "; Max-Age=" } else { "" },
        max_age.unwrap_or_default(),
    ];
    // `concat` sizes the buffer exactly: the header value takes it over as
    // it is, where spare room would cost an allocation of its own.
    parts.concat()
}

/// What makes the client drop the session: a removal `Set-Cookie`, or an
/// empty header value.
pub(crate) fn removal(config: &CookieConfig, via: Via) -> HeaderValue {
    if via == Via::Header {
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
    if config.partitioned {
        cookie.set_partitioned(true);
    }
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
        let v = for_id(&config, &id, None, Via::Cookie);
        let s = v.to_str().expect("ascii");
        for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(s.contains(attr), "{s} lacks {attr}");
        }
        assert!(!s.contains("Max-Age") && !s.contains("Domain"), "{s}");
        let long = for_id(
            &config,
            &id,
            Some(Duration::from_secs(10_000 * 86_400)),
            Via::Cookie,
        );
        assert!(
            long.to_str().expect("ascii").contains("Max-Age=34560000"),
            "{long:?}"
        );
    }

    #[test]
    fn render_matches_the_cookie_crate() {
        let mut config = CookieConfig::default();
        for (http_only, secure, same_site, domain, max_age, partitioned) in [
            (true, true, SameSite::Lax, None, None, false),
            (
                false,
                false,
                SameSite::Strict,
                Some(".example.com"),
                Some(3600),
                false,
            ),
            (
                true,
                true,
                SameSite::None,
                Some("example.com"),
                Some(u64::MAX),
                true,
            ),
            (false, true, SameSite::Lax, None, Some(0), true),
        ] {
            config.partitioned = partitioned;
            config.http_only = http_only;
            config.secure = secure;
            config.same_site = same_site;
            config.domain = domain.map(str::to_owned);
            config.path = "/app".to_owned();
            let max_age = max_age.map(Duration::from_secs);
            let mut expected = with_attributes(&config, "v4lue".to_owned());
            if let Some(max_age) = max_age {
                let secs = max_age.min(MAX_AGE_CAP).as_secs();
                expected.set_max_age(cookie::time::Duration::seconds(
                    i64::try_from(secs).expect("capped"),
                ));
            }
            let rendered = render(&config, "v4lue", max_age);
            assert_eq!(rendered, expected.to_string());
            assert_eq!(
                rendered.capacity(),
                rendered.len(),
                "sized exactly, so Bytes adopts it"
            );
        }
    }

    #[test]
    fn removal_expires_now() {
        let v = removal(&CookieConfig::default(), Via::Cookie);
        let s = v.to_str().expect("ascii");
        assert!(s.starts_with("session=;") && s.contains("Max-Age=0"), "{s}");
    }
}
