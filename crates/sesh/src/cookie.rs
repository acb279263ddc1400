//! Reading the session ID from a request and writing the session cookie.

use std::time::Duration;

use cookie::Cookie;
use http::{HeaderMap, HeaderValue, header};
use sesh_core::SessionId;

use crate::config::CookieConfig;

/// Browsers cap cookie lifetimes at 400 days (RFC 6265bis); longer is a lie.
pub(crate) const MAX_AGE_CAP: Duration = Duration::from_secs(400 * 24 * 60 * 60);

/// The first well-formed session ID among the request's cookies named `name`.
///
/// Strict mode: anything else (missing, oversized, wrong alphabet) is no
/// session at all; the value is never repaired or adopted.
pub(crate) fn session_id(headers: &HeaderMap, name: &str) -> Option<SessionId> {
    let mut malformed = false;
    for header in headers.get_all(header::COOKIE) {
        let Ok(header) = header.to_str() else {
            malformed = true;
            continue;
        };
        for pair in header.split(';') {
            let Some(value) = pair
                .trim_start()
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix('='))
            else {
                continue;
            };
            match SessionId::parse(value.trim_end()) {
                Ok(id) => return Some(id),
                Err(_) => malformed = true,
            }
        }
    }
    if malformed {
        tracing::debug!(cookie = name, "ignored a malformed session cookie");
    }
    None
}

/// `Set-Cookie` carrying `id`; persistent cookies live `max_age` (capped
/// at 400 days), others until the browser closes.
pub(crate) fn set_cookie(config: &CookieConfig, id: &SessionId, max_age: Option<Duration>) -> HeaderValue {
    let mut cookie = base(config, id.encode());
    if let Some(max_age) = max_age {
        cookie.set_max_age(to_cookie_duration(max_age.min(MAX_AGE_CAP)));
    }
    header_value(&cookie)
}

/// `Set-Cookie` that makes the browser drop the session cookie.
pub(crate) fn removal_cookie(config: &CookieConfig) -> HeaderValue {
    let mut cookie = base(config, String::new());
    cookie.make_removal();
    header_value(&cookie)
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

fn header_value(cookie: &Cookie<'_>) -> HeaderValue {
    HeaderValue::try_from(cookie.to_string())
        .expect("cookie names and attributes are validated when the layer is configured")
}

fn to_cookie_duration(d: Duration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Marks a response that sets the session cookie as personal: caches must
/// key it by `Cookie` and shared caches must not store it.
pub(crate) fn mark_private(headers: &mut HeaderMap) {
    let varies_on_cookie = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("cookie") || v.trim() == "*");
    if !varies_on_cookie {
        headers.append(header::VARY, HeaderValue::from_static("cookie"));
    }
    let cache_control = headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok());
    let private = match cache_control {
        None => "private".to_owned(),
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

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for c in cookies {
            h.append(header::COOKIE, HeaderValue::from_str(c).expect("header"));
        }
        h
    }

    #[test]
    fn finds_the_session_cookie_among_others() {
        let id = SessionId::generate();
        let h = headers(&["a=1", &format!("theme=dark; session={}; x=y", id.encode())]);
        assert_eq!(session_id(&h, "session"), Some(id));
    }

    #[test]
    fn rejects_malformed_values_and_similar_names() {
        let id = SessionId::generate().encode();
        for bad in [
            "session=".to_owned(),
            format!("session={id}x"),
            format!("session={}", &id[1..]),
            format!("session=\"{id}\""),
            format!("xsession={id}"),
            format!("session ={id}"),
            format!("session={}", "é".repeat(21)),
        ] {
            assert_eq!(session_id(&headers(&[&bad]), "session"), None, "{bad}");
        }
    }

    #[test]
    fn takes_the_first_valid_of_duplicates() {
        let id = SessionId::generate();
        let h = headers(&[&format!("session=junk; session={}", id.encode())]);
        assert_eq!(session_id(&h, "session"), Some(id));
    }

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
    fn removal_cookie_expires_now() {
        let v = removal_cookie(&CookieConfig::default());
        let s = v.to_str().expect("ascii");
        assert!(s.starts_with("session=;") && s.contains("Max-Age=0"), "{s}");
    }

    #[test]
    fn mark_private_adds_vary_and_cache_control() {
        let mut h = HeaderMap::new();
        mark_private(&mut h);
        assert_eq!(h[header::VARY], "cookie");
        assert_eq!(h[header::CACHE_CONTROL], "private");
        let mut h = HeaderMap::new();
        h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding, Cookie"));
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        );
        mark_private(&mut h);
        assert_eq!(h.get_all(header::VARY).iter().count(), 1);
        assert_eq!(h[header::CACHE_CONTROL], "private, max-age=60");
    }
}
