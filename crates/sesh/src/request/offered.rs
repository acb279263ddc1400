//! Reading the session values a request offers out of its headers: every
//! `name=` pair of its `Cookie` headers, or every value of the session
//! header, or both. Never the URL (see [`Transport`]).

use http::{HeaderMap, HeaderValue, header, header::ValueIter};

use crate::transport::{Transport, Via};

/// The values a request offers for the session, in order, each with the
/// way it came: every value of the session header first (an API client
/// names its session explicitly, so the header wins when both come), then
/// every `name=` pair of its `Cookie` headers.
///
/// Read as bytes: a browser sends all of a site's cookies in one
/// `Cookie` header, and another cookie's non-ASCII value (`lang=français`)
/// must not hide the session's. Pairs that are not ASCII are skipped
/// unread; a session value that is not visible ASCII is offered as
/// `Err(bytes)`, to be refused. An iterator, not a collection: this runs
/// on every request.
pub(crate) fn offered<'a>(
    transport: &'a Transport,
    headers: &'a HeaderMap,
    cookie_name: &'a str,
) -> impl Iterator<Item = (Via, Result<&'a str, &'a [u8]>)> + 'a {
    let from_header = transport
        .header
        .iter()
        .flat_map(move |name| headers.get_all(name).iter())
        .map(|v| (Via::Header, visible(v.as_bytes().trim_ascii())));
    let from_cookies = transport
        .cookie
        .then(|| Cookies {
            headers: headers.get_all(header::COOKIE).iter(),
            pairs: None,
            name: cookie_name.as_bytes(),
        })
        .into_iter()
        .flatten()
        .map(|value| (Via::Cookie, value));
    from_header.chain(from_cookies)
}

/// The `;`-separated pairs of one `Cookie` header.
type Pairs<'a> = std::slice::Split<'a, u8, fn(&u8) -> bool>;

/// Every `name=` pair of the `Cookie` headers, in the order the request
/// carries them (browsers put the most specific path first; HTTP/2 clients
/// may split the pairs over several headers).
struct Cookies<'a> {
    headers: ValueIter<'a, HeaderValue>,
    /// The pairs of the header being read.
    pairs: Option<Pairs<'a>>,
    name: &'a [u8],
}

impl<'a> Iterator for Cookies<'a> {
    type Item = Result<&'a str, &'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(pair) = self.pairs.as_mut().and_then(Iterator::next) {
                if let Some(value) = pair
                    .trim_ascii_start()
                    .strip_prefix(self.name)
                    .and_then(|rest| rest.strip_prefix(b"="))
                {
                    return Some(visible(value.trim_ascii_end()));
                }
                continue;
            }
            let separator: fn(&u8) -> bool = |b| *b == b';';
            self.pairs = Some(self.headers.next()?.as_bytes().split(separator));
        }
    }
}

/// `value` as text if it is visible ASCII, as every sealed or plain
/// session value is; its bytes otherwise.
fn visible(value: &[u8]) -> Result<&str, &[u8]> {
    if value.iter().all(u8::is_ascii_graphic) {
        // Checked just above: ASCII is UTF-8.
        std::str::from_utf8(value).map_err(|_| value)
    } else {
        Err(value)
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderName;

    use super::*;

    fn values<'a>(t: &'a Transport, h: &'a HeaderMap) -> Vec<Result<&'a str, &'a [u8]>> {
        offered(t, h, "session").map(|(_, v)| v).collect()
    }

    fn headers(name: &HeaderName, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name.clone(), HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn cookie_values_keep_order_and_skip_similar_names() {
        let h = headers(
            &header::COOKIE,
            &["a=1; session=x", "xsession=no; session = no; session=y "],
        );
        assert_eq!(values(&Transport::default(), &h), vec![Ok("x"), Ok("y")]);
    }

    #[test]
    fn a_non_ascii_cookie_beside_it_does_not_hide_the_session() {
        let mut h = HeaderMap::new();
        let raw = "lang=fran\u{e7}ais; session=abc; caf\u{e9}=cr\u{e8}me".as_bytes();
        h.append(
            header::COOKIE,
            HeaderValue::from_bytes(raw).expect("obs-text is allowed"),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_bytes(b"x=\xff\xfe; session=def").expect("bytes"),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_bytes(b"session=gh\xffi").expect("bytes"),
        );
        assert_eq!(
            values(&Transport::default(), &h),
            vec![Ok("abc"), Ok("def"), Err(&b"gh\xffi"[..])]
        );
    }

    #[test]
    fn header_transport_reads_only_its_header() {
        let name = HeaderName::from_static("x-session-id");
        let mut h = headers(&name, &[" abc "]);
        h.append(header::COOKIE, HeaderValue::from_static("session=cookie"));
        let only_header = Transport {
            cookie: false,
            header: Some(name.clone()),
        };
        assert_eq!(values(&only_header, &h), vec![Ok("abc")]);
        let both = Transport {
            cookie: true,
            header: Some(name),
        };
        let all: Vec<_> = offered(&both, &h, "session").collect();
        assert_eq!(
            all,
            vec![(Via::Header, Ok("abc")), (Via::Cookie, Ok("cookie"))],
            "the header first"
        );
    }
}
