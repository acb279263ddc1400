//! Where to send the user after login: only back to this site.

/// The longest `next` accepted, in bytes; a longer one is refused.
const MAX_LEN: usize = 2048;

/// How many rounds of percent-decoding are checked: a value that still
/// decodes to something new after these is refused.
const DECODE_ROUNDS: usize = 3;

/// `next` if it is a path on this site, safe to redirect to after login;
/// `None` otherwise (redirect to a default page instead).
///
/// A login page that sends the user back where they came from
/// (`/login?next=/orders/7`) must not send them anywhere else, or an
/// attacker's link (`/login?next=//evil.example`) turns the site's own
/// login into a phishing hop. Accepted: a path that starts with one `/`,
/// with its query and fragment, of printable ASCII (percent-encode the
/// rest), at most 2048 bytes. Refused:
/// - anything that is not a path: `https://evil.example`, `javascript:...`,
///   `evil.example`, the empty string;
/// - a scheme-relative URL, `//evil.example`, and its browser spellings:
///   `/\evil.example`, any backslash, a tab or newline (browsers drop them:
///   `/\t/evil.example`), any other control character or space;
/// - the same tricks percent-encoded, once or more: `/%2F%2Fevil.example`,
///   `/%5Cevil.example`, `/%09/evil.example` (a value decoded once more by a
///   proxy or an app is still a path on this site).
///
/// ```
/// use sesh_auth::safe_next;
///
/// assert_eq!(safe_next("/orders/7?tab=items"), Some("/orders/7?tab=items"));
/// assert_eq!(safe_next("//evil.example"), None);
/// assert_eq!(safe_next("https://evil.example"), None);
///
/// // After a login, in a handler that took `Query(q): Query<LoginQuery>`:
/// # let next: Option<String> = None;
/// let to = next.as_deref().and_then(safe_next).unwrap_or("/");
/// # assert_eq!(to, "/");
/// ```
#[must_use]
pub fn safe_next(next: &str) -> Option<&str> {
    if next.len() > MAX_LEN || !next.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let mut form = next.as_bytes().to_vec();
    for _ in 0..=DECODE_ROUNDS {
        if !is_local_path(&form) {
            return None;
        }
        let decoded = percent_decode(&form);
        if decoded == form {
            return Some(next);
        }
        form = decoded;
    }
    None
}

/// Whether `path` (maybe decoded, so any bytes) is a path on this site:
/// one leading `/`, no backslash, no control character or space.
fn is_local_path(path: &[u8]) -> bool {
    match path {
        [b'/', b'/' | b'\\', ..] => false,
        [b'/', ..] => path
            .iter()
            .all(|&b| b != b'\\' && b != b' ' && !b.is_ascii_control()),
        _ => false,
    }
}

/// `bytes` with every valid `%XX` decoded; invalid escapes stay as they are.
fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if let [b'%', hi, lo, ..] = bytes[i..] {
            if let (Some(hi), Some(lo)) = (hex(hi), hex(lo)) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_keeps_invalid_escapes() {
        assert_eq!(percent_decode(b"/a%2Fb%zz%4"), b"/a/b%zz%4");
    }

    #[test]
    fn a_value_that_keeps_decoding_is_refused() {
        // %25 is '%': each round uncovers another escape.
        assert_eq!(safe_next("/a%2525252F"), None);
        assert_eq!(safe_next("/a%252F"), Some("/a%252F"));
    }
}
