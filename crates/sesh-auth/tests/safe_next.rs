//! `safe_next`: only a path on this site, however it is spelled.

use sesh_auth::safe_next;

#[test]
fn paths_on_this_site_are_accepted_as_given() {
    for next in [
        "/",
        "/orders",
        "/orders/7?tab=items&page=2",
        "/orders/7#lines",
        "/search?q=%2F%2Fnot-a-host", // a `//` in the query is not a host
        "/files/a%2Fb",               // an encoded slash inside the path
        "/%7Euser/caf%C3%A9",
        "/a/../b",
        "/@evil.example", // a path segment on this site, not a user-info
        "/100%",
        "/a%25252F", // decodes to /a/ after three rounds
    ] {
        assert_eq!(safe_next(next), Some(next), "{next:?} should be accepted");
    }
}

#[test]
fn every_open_redirect_spelling_is_refused() {
    let long = format!("/{}", "a".repeat(3000));
    let cases: &[(&str, &str)] = &[
        ("", "empty"),
        ("orders", "relative, not a path"),
        ("evil.example", "a host"),
        ("//evil.example", "scheme-relative"),
        ("///evil.example", "three slashes"),
        ("//evil.example/login", "scheme-relative with a path"),
        ("/\\evil.example", "a backslash browsers read as a slash"),
        ("\\\\evil.example", "two backslashes"),
        ("\\/evil.example", "backslash then slash"),
        ("/a\\b", "any backslash"),
        ("https://evil.example", "absolute"),
        ("http:/evil.example", "a scheme with one slash"),
        ("HTTPS://evil.example", "absolute, upper case"),
        ("javascript:alert(1)", "javascript:"),
        ("JaVaScRiPt:alert(1)", "javascript: in mixed case"),
        ("data:text/html,<script>alert(1)</script>", "data:"),
        (" /orders", "a leading space"),
        ("/orders ", "a space"),
        ("/\t/evil.example", "a tab browsers drop"),
        ("/\n/evil.example", "a newline browsers drop"),
        ("/orders\r\nLocation: https://evil.example", "header injection"),
        ("/\u{0}", "NUL"),
        ("/\u{7f}", "DEL"),
        ("/caf\u{e9}", "non-ASCII, unencoded"),
        ("/\u{ff0f}evil.example", "a fullwidth solidus"),
        ("/%2F%2Fevil.example", "percent-encoded slashes"),
        ("/%2f%2fevil.example", "percent-encoded slashes, lower case"),
        ("/%2Fevil.example", "one encoded slash after the first"),
        ("/%5Cevil.example", "a percent-encoded backslash"),
        ("/%5cevil.example", "a percent-encoded backslash, lower case"),
        ("/a%5Cb", "an encoded backslash anywhere"),
        ("%2F%2Fevil.example", "an encoded first slash"),
        ("/%252F%252Fevil.example", "double-encoded slashes"),
        ("/%25252F%25252Fevil.example", "triple-encoded slashes"),
        ("/%09/evil.example", "an encoded tab"),
        ("/%0d%0aSet-Cookie:x=1", "encoded CR LF"),
        ("/%00", "an encoded NUL"),
        ("/%20/evil.example", "an encoded space"),
        ("/a%2525252F", "still decoding after three rounds"),
        (&long, "longer than 2048 bytes"),
    ];
    for (next, why) in cases {
        assert_eq!(safe_next(next), None, "{next:?} ({why}) must be refused");
    }
}
