//! Headers the layer sets on a response besides the session value: `Vary`
//! and `Cache-Control`, so caches never hand one user's answer to another,
//! and the removal of a handler's own session cookie.

use http::{
    HeaderMap, HeaderValue,
    header::{self, Entry},
};

use crate::config::CookieConfig;
#[cfg(test)]
use crate::transport::Transport;

/// Says that the response depends on `vary`, the request header the
/// session came in: a shared cache must not hand one user's answer to
/// another.
pub(crate) fn add_vary(headers: &mut HeaderMap, vary: &str) {
    // Through the entry API: a response that names no `Vary` (the usual
    // one) costs one table probe.
    match headers.entry(header::VARY) {
        Entry::Vacant(slot) => {
            if let Some(vary) = vary_value(vary) {
                slot.insert(vary);
            }
        }
        Entry::Occupied(mut varies) => {
            let already_varies = varies
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .any(|v| v.trim().eq_ignore_ascii_case(vary) || v.trim() == "*");
            if !already_varies {
                if let Some(vary) = vary_value(vary) {
                    varies.append(vary);
                }
            }
        }
    }
}

/// Keeps a response that sets the session out of shared caches
/// (`Cache-Control: private`, `public` dropped).
pub(crate) fn keep_private(headers: &mut HeaderMap) {
    match headers.entry(header::CACHE_CONTROL) {
        Entry::Vacant(slot) => {
            slot.insert(HeaderValue::from_static("private"));
        }
        Entry::Occupied(mut cache_control) => {
            // Directives may be split over several header lines.
            let values: Option<Vec<&str>> = cache_control.iter().map(|v| v.to_str().ok()).collect();
            let private = match values {
                Some(values) => made_private(&values),
                // Unreadable directives cannot be kept safely: replaced.
                None => Some(HeaderValue::from_static("private")),
            };
            if let Some(private) = private {
                cache_control.insert(private);
            }
        }
    }
}

/// Removes what the handler itself set under the session's name: a
/// `Set-Cookie` of the session cookie, or the session header. The layer
/// alone speaks for the session, so its value (or none) wins; a handler's
/// would overwrite the client's session with whatever it wrote.
pub(crate) fn drop_handler_values(cookie: &CookieConfig, headers: &mut HeaderMap) {
    if let Some(name) = &cookie.transport.header
        && headers.remove(name).is_some()
    {
        tracing::debug!(target: "sesh", header = %name, "dropped the handler's own session header; the layer's wins");
    }
    if !cookie.transport.cookie {
        return;
    }
    let names_session = |v: &HeaderValue| {
        let name = v.as_bytes().split(|b| *b == b'=').next().unwrap_or_default();
        name.trim_ascii() == cookie.name.as_bytes()
    };
    if !headers.get_all(header::SET_COOKIE).iter().any(names_session) {
        return;
    }
    let kept: Vec<HeaderValue> = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter(|v| !names_session(v))
        .cloned()
        .collect();
    headers.remove(header::SET_COOKIE);
    for value in kept {
        headers.append(header::SET_COOKIE, value);
    }
    tracing::debug!(target: "sesh", cookie = %cookie.name, "dropped the handler's own Set-Cookie of the session cookie; the layer's wins");
}

fn vary_value(vary: &str) -> Option<HeaderValue> {
    if vary == "cookie" {
        Some(HeaderValue::from_static("cookie"))
    } else {
        HeaderValue::from_str(vary).ok()
    }
}

/// The `Cache-Control` values with `public` dropped and `private` added, as
/// one value; `None` when they already keep shared caches out (or cannot be
/// rewritten).
fn made_private(cache_control: &[&str]) -> Option<HeaderValue> {
    let directives: Vec<&str> = cache_control
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|d| !d.eq_ignore_ascii_case("public") && !d.is_empty())
        .collect();
    if directives
        .iter()
        .any(|d| d.eq_ignore_ascii_case("private") || d.eq_ignore_ascii_case("no-store"))
    {
        return None;
    }
    let private = std::iter::once("private")
        .chain(directives)
        .collect::<Vec<_>>()
        .join(", ");
    HeaderValue::try_from(private).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark_private(headers: &mut HeaderMap, vary: &str) {
        add_vary(headers, vary);
        keep_private(headers);
    }

    #[test]
    fn handler_values_under_the_sessions_name_are_dropped() {
        let cookie = CookieConfig::default();
        let mut h = HeaderMap::new();
        for v in ["a=1", "session=handler; Path=/", " session =x", "sessions=2"] {
            h.append(header::SET_COOKIE, HeaderValue::from_static(v));
        }
        drop_handler_values(&cookie, &mut h);
        let left: Vec<_> = h.get_all(header::SET_COOKIE).iter().collect();
        assert_eq!(left, ["a=1", "sessions=2"]);

        let mut cookie = CookieConfig::default();
        let name = http::HeaderName::from_static("x-session-id");
        cookie.transport = Transport {
            cookie: false,
            header: Some(name.clone()),
        };
        let mut h = HeaderMap::new();
        h.insert(name.clone(), HeaderValue::from_static("handler"));
        h.insert(header::SET_COOKIE, HeaderValue::from_static("session=kept"));
        drop_handler_values(&cookie, &mut h);
        assert!(h.get(&name).is_none());
        assert_eq!(
            h[header::SET_COOKIE],
            "session=kept",
            "cookies are not the header transport's"
        );
    }

    #[test]
    fn mark_private_adds_vary_and_cache_control() {
        let mut h = HeaderMap::new();
        mark_private(&mut h, "cookie");
        assert_eq!(h[header::VARY], "cookie");
        assert_eq!(h[header::CACHE_CONTROL], "private");
        let mut h = HeaderMap::new();
        add_vary(&mut h, "cookie");
        assert_eq!(h[header::VARY], "cookie");
        assert!(h.get(header::CACHE_CONTROL).is_none(), "Vary alone");
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

    #[test]
    fn mark_private_keeps_what_already_keeps_caches_out() {
        let mut h = HeaderMap::new();
        h.insert(header::VARY, HeaderValue::from_static("*"));
        h.append(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        mark_private(&mut h, "cookie");
        assert_eq!(h[header::VARY], "*");
        assert_eq!(h[header::CACHE_CONTROL], "no-store");

        let mut h = HeaderMap::new();
        h.insert(header::VARY, HeaderValue::from_static("accept"));
        h.append(header::VARY, HeaderValue::from_static("origin, Cookie"));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public"));
        h.append(header::CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
        mark_private(&mut h, "cookie");
        assert_eq!(
            h.get_all(header::VARY).iter().count(),
            2,
            "a later value already varies"
        );
        let cache_control: Vec<_> = h.get_all(header::CACHE_CONTROL).iter().collect();
        assert_eq!(
            cache_control,
            ["private, max-age=60"],
            "every line is read, one is written"
        );

        let mut h = HeaderMap::new();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
        h.append(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        mark_private(&mut h, "cookie");
        let cache_control: Vec<_> = h.get_all(header::CACHE_CONTROL).iter().collect();
        assert_eq!(
            cache_control,
            ["max-age=60", "no-store"],
            "no-store on a later line is kept"
        );

        let mut h = HeaderMap::new();
        h.insert(header::VARY, HeaderValue::from_static("accept"));
        let unreadable =
            HeaderValue::from_bytes(b"max-age=60, \xff").expect("obs-text is a valid header value");
        h.insert(header::CACHE_CONTROL, unreadable);
        mark_private(&mut h, "authorization");
        let varies: Vec<_> = h.get_all(header::VARY).iter().collect();
        assert_eq!(varies, ["accept", "authorization"]);
        assert_eq!(
            h[header::CACHE_CONTROL],
            "private",
            "unreadable directives are replaced"
        );
    }
}
