//! Writing the session cookie (or, under the header transport, the
//! header's value).

use std::time::{Duration, SystemTime};

use cookie::{Cookie, SameSite};
use http::{HeaderMap, HeaderValue, header};
use sesh_core::{Error, ErrorKind, SessionId};

use crate::{config::CookieConfig, transport::Transport, validate::MAX_COOKIE_BYTES};

/// Browsers cap cookie lifetimes at 400 days (RFC 6265bis); longer is a lie.
pub(crate) const MAX_AGE_CAP: Duration = Duration::from_secs(400 * 24 * 60 * 60);

/// What to send for a session stored under `id`, sealed as configured;
/// persistent cookies live `max_age` (capped at 400 days), others until
/// the browser closes.
pub(crate) fn set_cookie(config: &CookieConfig, id: &SessionId, max_age: Option<Duration>) -> HeaderValue {
    let mut buf = [0; SessionId::ENCODED_LEN];
    outgoing(config, id.encode_into(&mut buf), max_age)
        .expect("an ID cookie's size and attributes are validated when the layer is built")
}

/// `plain` sealed for the cookie and ready to send: a `Set-Cookie` value,
/// or the bare value under the header transport.
///
/// # Errors
/// [`ErrorKind::CookieTooLarge`] if name and value exceed 4096 bytes,
/// which browsers would drop without a word.
pub(crate) fn outgoing(
    config: &CookieConfig,
    plain: &str,
    max_age: Option<Duration>,
) -> Result<HeaderValue, Error> {
    let value = config.sealing.seal(&config.name, plain);
    check_size(config, value.len())?;
    let text = match config.transport {
        Transport::Header(_) => value.into_owned(),
        Transport::Cookie => render(config, &value, max_age),
    };
    HeaderValue::try_from(text).map_err(|e| Error::new(ErrorKind::Config, e))
}

/// The `Set-Cookie` value for `value`, written straight into one buffer:
/// this runs for every new session, and the `cookie` crate's `Display`
/// (a `Cookie` built and formatted attribute by attribute) cost 13 % of
/// such a request. Attributes come in the `cookie` crate's order and
/// spelling; a test holds the two renderings equal.
fn render(config: &CookieConfig, value: &str, max_age: Option<Duration>) -> String {
    let mut out = String::with_capacity(config.name.len() + value.len() + 96);
    out.push_str(&config.name);
    out.push('=');
    out.push_str(value);
    if config.http_only {
        out.push_str("; HttpOnly");
    }
    out.push_str(match config.same_site {
        SameSite::Strict => "; SameSite=Strict",
        SameSite::Lax => "; SameSite=Lax",
        SameSite::None => "; SameSite=None",
    });
    if config.secure {
        out.push_str("; Secure");
    }
    out.push_str("; Path=");
    out.push_str(&config.path);
    if let Some(domain) = &config.domain {
        out.push_str("; Domain=");
        out.push_str(domain.strip_prefix('.').unwrap_or(domain));
    }
    if let Some(max_age) = max_age {
        out.push_str("; Max-Age=");
        out.push_str(itoa::Buffer::new().format(max_age.min(MAX_AGE_CAP).as_secs()));
    }
    out
}

/// Refuses a cookie value of `value_len` bytes that, with the name, is
/// over what browsers keep.
pub(crate) fn check_size(config: &CookieConfig, value_len: usize) -> Result<(), Error> {
    let total = config.name.len() + value_len;
    if total <= MAX_COOKIE_BYTES {
        return Ok(());
    }
    Err(Error::msg(
        ErrorKind::CookieTooLarge,
        format!(
            "the session cookie would be {total} bytes (name and value), over the \
             {MAX_COOKIE_BYTES} browsers keep; keep large data in a server-side store"
        ),
    ))
}

/// What makes the client drop the session: a removal `Set-Cookie`, or an
/// empty header value.
pub(crate) fn removal_cookie(config: &CookieConfig) -> HeaderValue {
    if let Transport::Header(_) = config.transport {
        return Transport::ended();
    }
    let mut cookie = base(config, String::new());
    cookie.make_removal();
    HeaderValue::try_from(cookie.to_string())
        .expect("cookie names and attributes are validated when the layer is built")
}

/// The time left until `deadline`, as a cookie's `Max-Age`.
pub(crate) fn until(deadline: SystemTime, now: SystemTime) -> Duration {
    deadline.duration_since(now).unwrap_or_default()
}

fn base(config: &CookieConfig, value: String) -> Cookie<'static> {
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

/// Marks a response that sets the session as personal: caches must key it
/// by `vary` (the request header the session came in) and shared caches
/// must not store it.
pub(crate) fn mark_private(headers: &mut HeaderMap, vary: &str) {
    let already_varies = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case(vary) || v.trim() == "*");
    if !already_varies {
        let vary = if vary == "cookie" {
            Ok(HeaderValue::from_static("cookie"))
        } else {
            HeaderValue::from_str(vary)
        };
        if let Ok(vary) = vary {
            headers.append(header::VARY, vary);
        }
    }
    let cache_control = headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok());
    let private = match cache_control {
        None => {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
            return;
        }
        Some(value) => {
            let directives: Vec<&str> = value
                .split(',')
                .map(str::trim)
                .filter(|d| !d.eq_ignore_ascii_case("public") && !d.is_empty())
                .collect();
            if directives
                .iter()
                .any(|d| d.eq_ignore_ascii_case("private") || d.eq_ignore_ascii_case("no-store"))
            {
                return;
            }
            std::iter::once("private")
                .chain(directives)
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    if let Ok(value) = HeaderValue::try_from(private) {
        headers.insert(header::CACHE_CONTROL, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_has_secure_defaults_and_capped_max_age() {
        let config = CookieConfig::default();
        let id = SessionId::generate();
        let v = set_cookie(&config, &id, None);
        let s = v.to_str().expect("ascii");
        for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
            assert!(s.contains(attr), "{s} lacks {attr}");
        }
        assert!(!s.contains("Max-Age") && !s.contains("Domain"), "{s}");
        let long = set_cookie(&config, &id, Some(Duration::from_secs(10_000 * 86_400)));
        assert!(
            long.to_str().expect("ascii").contains("Max-Age=34560000"),
            "{long:?}"
        );
    }

    #[test]
    fn render_matches_the_cookie_crate() {
        let mut config = CookieConfig::default();
        for (http_only, secure, same_site, domain, max_age) in [
            (true, true, SameSite::Lax, None, None),
            (false, false, SameSite::Strict, Some(".example.com"), Some(3600)),
            (true, true, SameSite::None, Some("example.com"), Some(u64::MAX)),
            (false, true, SameSite::Lax, None, Some(0)),
        ] {
            config.http_only = http_only;
            config.secure = secure;
            config.same_site = same_site;
            config.domain = domain.map(str::to_owned);
            config.path = "/app".to_owned();
            let max_age = max_age.map(Duration::from_secs);
            let mut expected = base(&config, "v4lue".to_owned());
            if let Some(max_age) = max_age {
                let secs = max_age.min(MAX_AGE_CAP).as_secs();
                expected.set_max_age(cookie::time::Duration::seconds(
                    i64::try_from(secs).expect("capped"),
                ));
            }
            assert_eq!(render(&config, "v4lue", max_age), expected.to_string());
        }
    }

    #[test]
    fn removal_cookie_expires_now() {
        let v = removal_cookie(&CookieConfig::default());
        let s = v.to_str().expect("ascii");
        assert!(s.starts_with("session=;") && s.contains("Max-Age=0"), "{s}");
    }

    #[test]
    fn mark_private_adds_vary_and_cache_control() {
        let mut h = HeaderMap::new();
        mark_private(&mut h, "cookie");
        assert_eq!(h[header::VARY], "cookie");
        assert_eq!(h[header::CACHE_CONTROL], "private");
        let mut h = HeaderMap::new();
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding, Cookie"));
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        );
        mark_private(&mut h, "cookie");
        assert_eq!(h.get_all(header::VARY).iter().count(), 1);
        assert_eq!(h[header::CACHE_CONTROL], "private, max-age=60");
    }
}
