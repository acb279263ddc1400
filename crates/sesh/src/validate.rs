//! Configuration checks run when the layer is built, so a cookie browsers
//! would silently drop is a startup error instead of a login that never
//! sticks.

use cookie::SameSite;
use sesh_core::{Error, ErrorKind, Expiry, SessionId};

use crate::{
    client_side,
    config::{Config, CookieConfig, MAX_COOKIE_BYTES, MAX_ROTATION_GRACE, is_attribute_value, is_token},
    seal::Seal,
};

/// Browsers ignore a cookie attribute value longer than this.
const MAX_ATTRIBUTE_BYTES: usize = 1024;

/// Every rule the layer's configuration breaks, as one
/// [`ErrorKind::Config`] error.
pub(crate) fn check(config: &Config) -> Result<(), Error> {
    let cookie = &config.cookie;
    let mut problems = cookie.problems.clone();
    problems.extend(syntax(cookie));
    problems.extend(prefix(cookie));
    if cookie.partitioned && !cookie.secure {
        problems.push(
            "Partitioned needs the Secure attribute (browsers reject the cookie otherwise): \
             remove .secure(false) or .partitioned(true)"
                .to_owned(),
        );
    }
    if cookie.same_site == SameSite::None && !cookie.secure {
        problems.push(
            "SameSite=None needs the Secure attribute (browsers reject the cookie otherwise): \
             remove .secure(false) or choose SameSite::Lax"
                .to_owned(),
        );
    }
    problems.extend(keys(cookie));
    if cookie.client_side && config.session_limit.is_some() {
        problems.push(
            "max_sessions_per_user() needs a server store to count a user's sessions; \
             client-side sessions have none: use SessionLayer::new(store)"
                .to_owned(),
        );
    }
    problems.extend(limits(config));
    if problems.is_empty() {
        problems.extend(size(cookie));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::msg(ErrorKind::Config, problems.join("; ")))
    }
}

/// Durations and sizes a request would trip over: zero, or past what the
/// time arithmetic and the stores' millisecond timestamps hold.
fn limits(config: &Config) -> Vec<String> {
    let mut problems = Vec::new();
    let timeouts = [
        ("idle_timeout", config.expiry.idle()),
        ("absolute_timeout", config.expiry.absolute()),
    ];
    for (setter, timeout) in timeouts {
        if timeout.is_zero() {
            problems.push(format!(
                "{setter}() is zero, so every session would end as it starts: give it a positive duration"
            ));
        } else if timeout > Expiry::MAX_TIMEOUT {
            problems.push(format!(
                "{setter}() is {timeout:?}, longer than the {} years sessions may last: \
                 use at most Expiry::MAX_TIMEOUT",
                Expiry::MAX_TIMEOUT.as_secs() / YEAR_SECS
            ));
        }
    }
    if config.store.limit.is_zero() {
        problems.push(
            "store_timeout() is zero, so every store call would time out: give it a positive duration"
                .to_owned(),
        );
    }
    if let Some(grace) = config.rotation_grace
        && (grace.is_zero() || grace > MAX_ROTATION_GRACE)
    {
        problems.push(format!(
            "rotation_grace({grace:?}) must be longer than zero and at most {MAX_ROTATION_GRACE:?}: \
             within it a rotated-away ID still reaches the session"
        ));
    }
    if config.rotation_grace.is_some() && config.cookie.client_side {
        problems.push(
            "rotation_grace() needs a server store: a client-side session's old cookie stays valid \
             until its deadlines anyway"
                .to_owned(),
        );
    }
    if config.max_data_bytes == 0 {
        problems.push("max_data_bytes() is zero, so no session could hold anything: raise it".to_owned());
    }
    problems
}

const YEAR_SECS: u64 = 365 * 24 * 60 * 60;

fn syntax(cookie: &CookieConfig) -> Vec<String> {
    let mut problems = Vec::new();
    if !is_token(&cookie.name) {
        problems.push(format!(
            "cookie name {:?} is not an RFC 6265 token: use only letters, digits and !#$%&'*+-.^_`|~",
            cookie.name
        ));
    }
    let attributes = [("path", Some(&cookie.path)), ("domain", cookie.domain.as_ref())];
    for (what, value) in attributes {
        let Some(value) = value else { continue };
        if !is_attribute_value(value) {
            problems.push(format!(
                "cookie {what} {value:?} contains ';' or a control character: remove them"
            ));
        } else if value.len() > MAX_ATTRIBUTE_BYTES {
            problems.push(format!(
                "cookie {what} is {} bytes, over the {MAX_ATTRIBUTE_BYTES} browsers keep: shorten it",
                value.len()
            ));
        }
    }
    problems
}

// Browsers match the prefixes case-insensitively (RFC 6265bis) and drop a
// prefixed cookie that lacks the attributes the prefix promises.
fn prefix(cookie: &CookieConfig) -> Vec<String> {
    let name = &cookie.name;
    let starts = |prefix: &str| {
        name.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    let mut problems = Vec::new();
    let prefix = if starts("__Host-") {
        "__Host-"
    } else if starts("__Secure-") {
        "__Secure-"
    } else {
        return problems;
    };
    if !cookie.secure {
        problems.push(format!(
            "cookie name {name:?} starts with {prefix}, which browsers accept only with Secure: \
             remove .secure(false) or rename the cookie"
        ));
    }
    if prefix == "__Host-" {
        if cookie.path != "/" {
            problems.push(format!(
                "cookie name {name:?} starts with __Host-, which requires Path=/: \
                 remove .path({:?}) or rename the cookie",
                cookie.path
            ));
        }
        if let Some(domain) = &cookie.domain {
            problems.push(format!(
                "cookie name {name:?} starts with __Host-, which forbids a Domain: \
                 remove .domain({domain:?}) or rename the cookie"
            ));
        }
    }
    problems
}

fn keys(cookie: &CookieConfig) -> Vec<String> {
    let sealing = &cookie.sealing;
    let mut problems = Vec::new();
    if !sealing.previous.is_empty() && !sealing.is_keyed() {
        problems.push(
            "previous_keys() were given but cookies are neither signed nor private: \
             also call .signed(current_key) or .private(current_key)"
                .to_owned(),
        );
    }
    if cookie.client_side && !matches!(sealing.seal, Seal::Private(_)) {
        problems.push(
            "client-side sessions keep their state in the cookie, so it must be encrypted: \
             use .private(key) (or SessionLayer::client_side(key) alone), not .signed(key)"
                .to_owned(),
        );
    }
    problems
}

fn size(cookie: &CookieConfig) -> Option<String> {
    let smallest_value = if cookie.client_side {
        client_side::smallest_cookie_value(cookie)
    } else {
        cookie.sealing.sealed_len(SessionId::ENCODED_LEN)
    };
    let total = cookie.name.len() + smallest_value;
    (total > MAX_COOKIE_BYTES).then(|| {
        format!(
            "cookie name {} bytes long plus its {smallest_value}-byte value is {total} bytes, \
             over the {MAX_COOKIE_BYTES} browsers keep: use a shorter cookie name",
            cookie.name.len()
        )
    })
}
