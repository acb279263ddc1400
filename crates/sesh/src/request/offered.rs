//! Reading the session values a request offers out of its headers: every
//! `name=` pair of its `Cookie` headers, or every value of the session
//! header. Never the URL (see [`Transport`]).

use http::{HeaderMap, HeaderValue, header, header::ValueIter};

use crate::transport::Transport;

/// The values a request offers for the session, in order: every
/// `name=` pair of its `Cookie` headers, or every value of the header.
///
/// Read as bytes: a browser sends all of a site's cookies in one
/// `Cookie` header, and another cookie's non-ASCII value (`lang=français`)
/// must not hide the session's. Pairs that are not ASCII are skipped
/// unread; a session value that is not visible ASCII is offered as
/// `Err(bytes)`, to be refused. An iterator, not a collection: this runs
/// on every request.
pub(crate) fn offered<'a>(
    transport: &Transport,
    headers: &'a HeaderMap,
    cookie_name: &'a str,
) -> Offered<'a> {
    match transport {
        Transport::Cookie => Offered::Cookies {
            headers: headers.get_all(header::COOKIE).iter(),
            pairs: None,
            name: cookie_name.as_bytes(),
        },
        Transport::Header(name) => Offered::Header(headers.get_all(name).iter()),
    }
}

/// The `;`-separated pairs of one `Cookie` header.
type Pairs<'a> = std::slice::Split<'a, u8, fn(&u8) -> bool>;

/// The session values a request offers; see [`offered`].
pub(crate) enum Offered<'a> {
    /// Every `name=` pair of the `Cookie` headers, in the order the request
    /// carries them (browsers put the most specific path first; HTTP/2
    /// clients may split the pairs over several headers).
    Cookies {
        headers: ValueIter<'a, HeaderValue>,
        /// The pairs of the header being read.
        pairs: Option<Pairs<'a>>,
        name: &'a [u8],
    },
    /// Every value of the session header.
    Header(ValueIter<'a, HeaderValue>),
}

impl<'a> Iterator for Offered<'a> {
    type Item = Result<&'a str, &'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Header(values) => values.next().map(|v| visible(v.as_bytes().trim_ascii())),
            Self::Cookies { headers, pairs, name } => loop {
                if let Some(pair) = pairs.as_mut().and_then(Iterator::next) {
                    if let Some(value) = pair
                        .trim_ascii_start()
                        .strip_prefix(*name)
                        .and_then(|rest| rest.strip_prefix(b"="))
                    {
                        return Some(visible(value.trim_ascii_end()));
                    }
                    continue;
                }
                let separator: fn(&u8) -> bool = |b| *b == b';';
                *pairs = Some(headers.next()?.as_bytes().split(separator));
            },
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
        assert_eq!(
            offered(&Transport::Cookie, &h, "session").collect::<Vec<_>>(),
            vec![Ok("x"), Ok("y")]
        );
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
            offered(&Transport::Cookie, &h, "session").collect::<Vec<_>>(),
            vec![Ok("abc"), Ok("def"), Err(&b"gh\xffi"[..])]
        );
    }

    #[test]
    fn header_transport_reads_only_its_header() {
        let name = HeaderName::from_static("x-session-id");
        let mut h = headers(&name, &[" abc "]);
        h.append(header::COOKIE, HeaderValue::from_static("session=cookie"));
        let t = Transport::Header(name);
        assert_eq!(offered(&t, &h, "session").collect::<Vec<_>>(), vec![Ok("abc")]);
    }
}
